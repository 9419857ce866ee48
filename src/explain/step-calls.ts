/**
 * Each plan step (src/plan/steps.ts) as a learner reads it: the system calls the C init
 * makes for it, with the step's real arguments, the man page, and one sentence of why.
 *
 * The table is a Record keyed by StepOp, so tsc refuses an op added to the plan without an
 * explanation here (and test/unit/explain.test.ts checks every op has all three parts).
 * What each call does is what native/init/<family>.c does for that op; the comment on the
 * op in steps.ts is the longer story.
 */
import { CAPABILITIES, type CapabilityName } from '../spec/capabilities.js';
import { PROPAGATION_FLAGS } from '../plan/encode.js';
import type { MountAttr, MountFlag, Propagation, Step, StepOp } from '../plan/steps.js';

/** One explained action: what the kernel is asked, where it is documented, and why. */
export interface Explanation {
  /** the calls with their arguments, in the order they are made */
  syscalls: string[];
  /** the man page section(s) that document them: "mount(2)" */
  man: string;
  why: string;
}

type Explainer<S extends Step> = (step: S) => Explanation;
type Explainers = { [Op in StepOp]: Explainer<Extract<Step, { op: Op }>> };

/** MS_* names for mount(2)'s flags argument (the bits encode.ts sends). */
const MS_NAMES: Record<MountFlag, string> = {
  ro: 'MS_RDONLY', nosuid: 'MS_NOSUID', nodev: 'MS_NODEV', noexec: 'MS_NOEXEC', sync: 'MS_SYNCHRONOUS',
  dirsync: 'MS_DIRSYNC', remount: 'MS_REMOUNT', mand: 'MS_MANDLOCK', noatime: 'MS_NOATIME', nodiratime: 'MS_NODIRATIME',
  relatime: 'MS_RELATIME', strictatime: 'MS_STRICTATIME', bind: 'MS_BIND', rec: 'MS_REC', silent: 'MS_SILENT',
  acl: 'MS_POSIXACL', iversion: 'MS_I_VERSION', lazytime: 'MS_LAZYTIME', nosymfollow: 'MS_NOSYMFOLLOW',
};

export function msFlags(flags: readonly MountFlag[]): string {
  return flags.length === 0 ? '0' : flags.map((f) => MS_NAMES[f]).join('|');
}

function propagationFlags(p: Propagation): string {
  const base = `MS_${p.replace(/^r/, '').toUpperCase()}`;
  return (PROPAGATION_FLAGS[p] & 0x4000) !== 0 ? `MS_REC|${base}` : base;
}

function attrs(list: readonly MountAttr[]): string {
  return list.length === 0 ? '0' : list.map((a) => (a === 'atime' ? 'MOUNT_ATTR__ATIME' : `MOUNT_ATTR_${a.toUpperCase()}`)).join('|');
}

const q = (s: string): string => JSON.stringify(s);

function capNames(numbers: readonly number[]): string {
  const byNumber = new Map<number, string>(Object.entries(CAPABILITIES).map(([name, n]) => [n, name as CapabilityName]));
  if (numbers.length === 0) return '{}';
  return `{${numbers.map((n) => byNumber.get(n) ?? String(n)).join(', ')}}`;
}

function list(items: readonly string[], max = 4): string {
  const shown = items.slice(0, max).map(q);
  return `[${shown.join(', ')}${items.length > max ? `, … ${items.length - max} more` : ''}]`;
}

export const STEP_EXPLAINERS: Explainers = {
  'set-root-propagation': (s) => ({
    syscalls: [`mount(NULL, "/", NULL, ${propagationFlags(s.propagation)}, NULL)`],
    man: 'mount(2), mount_namespaces(7)',
    // The plan's first step (compile.ts initialPropagation); birth.ts words a later one
    // (linux.rootfsPropagation, after pivot_root) itself, since the step alone cannot tell.
    why: 'the new mount namespace is a copy of the host\'s, still in its peer groups: this stops the container\'s mounts from propagating back to the host',
  }),
  'bind-rootfs': (s) => ({
    syscalls: [`mount(${q(s.rootfs)}, ${q(s.rootfs)}, NULL, MS_BIND|MS_REC, NULL)`],
    man: 'mount(2), pivot_root(2)',
    why: 'pivot_root(2) needs the new root to be a mount point; a bind mount of the directory onto itself makes it one',
  }),
  mount: (s) => {
    const bind = s.flags.includes('bind');
    const first = bind ? s.flags.filter((f) => f === 'bind' || f === 'rec') : s.flags;
    const rest = s.flags.filter((f) => f !== 'bind' && f !== 'rec');
    return {
      syscalls: [
        `openat2(rootfs, ${q(s.target)}, RESOLVE_IN_ROOT)${s.create === 'file' ? ' (creat if missing)' : ' (mkdir -p if missing)'}`,
        `mount(${q(s.source)}, "/proc/self/fd/N", ${s.fstype ? q(s.fstype) : 'NULL'}, ${msFlags(first)}, ${s.data ? q(s.data) : 'NULL'})`,
        ...(bind && rest.length > 0 ? [`mount(NULL, "/proc/self/fd/N", NULL, MS_REMOUNT|MS_BIND|${msFlags(rest)}, NULL)`] : []),
        ...s.propagation.map((p) => `mount(NULL, "/proc/self/fd/N", NULL, ${propagationFlags(p)}, NULL)`),
      ],
      man: 'mount(2), openat2(2)',
      why: s.flags.includes('remount')
        ? `changes the flags of the mount already at ${s.target} (MS_REMOUNT), now that what goes below it is mounted`
        : bind
        ? `makes the host's ${s.source} visible at ${s.target}${rest.length ? `; the kernel ignores ${rest.join(',')} on a new bind mount, hence the remount` : ''}`
        : `the container gets its own ${s.fstype} at ${s.target}, resolved inside the rootfs so a symlink in the image cannot aim it at the host`,
    };
  },
  'mount-copy-up': (s) => ({
    syscalls: [`open(${q(s.target)}, O_DIRECTORY)`, `mount("tmpfs", ${q(s.target)}, ${q(s.fstype)}, ${msFlags(s.flags.filter((f) => f !== 'ro'))}, ${q(s.data)})`, 'copy the old contents through the open fd'],
    man: 'mount(2), tmpfs(5)',
    why: 'a writable tmpfs over a directory of a read-only image, starting with what the image had there (runc\'s tmpcopyup)',
  }),
  'mount-setattr': (s) => ({
    syscalls: [`mount_setattr(AT_FDCWD, ${q(s.target)}, AT_RECURSIVE, {attr_set=${attrs(s.set)}, attr_clr=${attrs(s.clear)}})`],
    man: 'mount_setattr(2)',
    why: 'recursive options (rro, rnosuid…) must reach every mount below the target, which mount(2)\'s remount cannot do',
  }),
  'remount-readonly': (s) => ({
    syscalls: [`mount(NULL, ${q(s.target)}, NULL, MS_REMOUNT|MS_BIND|MS_RDONLY${s.flags.length ? `|${msFlags(s.flags)}` : ''}, NULL)`],
    man: 'mount(2)',
    why: 'made read-only only now that what goes inside it (device nodes, /dev/pts, masks) is in place',
  }),
  mkdir: (s) => ({
    syscalls: [`mkdirat(rootfs, ${q(s.path)}, 0${s.mode.toString(8)})`, `fchmodat(…, 0${s.mode.toString(8)})`],
    man: 'mkdir(2), chmod(2)',
    why: 'a mount point or directory the container expects, with the mode the spec asks for, not the umask\'s',
  }),
  mknod: (s) => ({
    syscalls: s.type === 'p'
      ? [`mknodat(rootfs, ${q(s.path)}, S_IFIFO|0${s.mode.toString(8)}, 0)`, `fchownat(…, ${s.uid}, ${s.gid})`]
      : [`mknodat(rootfs, ${q(s.path)}, S_IF${s.type === 'c' ? 'CHR' : 'BLK'}|0${s.mode.toString(8)}, makedev(${s.major}, ${s.minor}))`, `fchownat(…, ${s.uid}, ${s.gid})`],
    man: 'mknod(2), chown(2)',
    why: `the container's ${s.path} is a fresh node on its own tmpfs /dev, not the host's /dev`,
  }),
  symlink: (s) => ({
    syscalls: [`symlinkat(${q(s.target)}, rootfs, ${q(s.path)})`],
    man: 'symlink(2)',
    why: `programs expect ${s.path} (the standard /dev links of config-linux.md#default-devices)`,
  }),
  'pivot-root': () => ({
    syscalls: ['fchdir(newroot)', 'pivot_root(".", ".")', 'fchdir(oldroot)', 'mount(NULL, ".", NULL, MS_SLAVE|MS_REC, NULL)', 'umount2(".", MNT_DETACH)', 'fchdir(newroot)'],
    man: 'pivot_root(2), umount(2)',
    why: 'the rootfs becomes "/" and the host\'s old root, stacked beneath it, is detached, so no host path stays reachable (chroot(2) alone can be escaped)',
  }),
  'move-root': () => ({
    syscalls: ['umount2("/proc", MNT_DETACH) and "/sys" of the host', 'chdir(rootfs)', 'mount(rootfs, "/", NULL, MS_MOVE, NULL)', 'chroot(".")', 'chdir("/")'],
    man: 'mount(2), chroot(2)',
    why: '--no-pivot, for ramdisk roots where pivot_root(2) is refused; weaker, the old root stays in the namespace',
  }),
  chroot: (s) => ({
    syscalls: [`chroot(${q(s.rootfs)})`, 'chdir("/")'],
    man: 'chroot(2)',
    why: 'without a mount namespace of its own the container may not mount anything, so it only changes its root directory',
  }),
  'mask-path': (s) => ({
    syscalls: [`mount("/dev/null", ${q(s.path)}, NULL, MS_BIND, NULL) for a file, or mount("tmpfs", ${q(s.path)}, "tmpfs", MS_RDONLY, NULL) for a directory`],
    man: 'mount(2)',
    why: `${s.path} tells about or reaches the host's kernel (OCI maskedPaths): hidden under an empty file or directory`,
  }),
  'readonly-path': (s) => ({
    syscalls: [`mount(${q(s.path)}, ${q(s.path)}, NULL, MS_BIND|MS_REC, NULL)`, `mount(NULL, ${q(s.path)}, NULL, MS_REMOUNT|MS_BIND|MS_RDONLY|MS_REC, NULL)`],
    man: 'mount(2)',
    why: `${s.path} may be read but writing it would change the host's kernel (OCI readonlyPaths)`,
  }),
  'remount-root-readonly': () => ({
    syscalls: ['mount(NULL, "/", NULL, MS_REMOUNT|MS_BIND|MS_RDONLY, NULL)'],
    man: 'mount(2)',
    why: 'root.readonly: the container cannot change its own filesystem',
  }),
  sethostname: (s) => ({
    syscalls: [`sethostname(${q(s.name)}, ${Buffer.byteLength(s.name)})`],
    man: 'sethostname(2), uts_namespaces(7)',
    why: 'in the new UTS namespace, so the host keeps its own name',
  }),
  setdomainname: (s) => ({
    syscalls: [`setdomainname(${q(s.name)}, ${Buffer.byteLength(s.name)})`],
    man: 'setdomainname(2), uts_namespaces(7)',
    why: 'in the new UTS namespace, so the host keeps its own NIS domain name',
  }),
  sysctl: (s) => ({
    syscalls: [`open("/proc/sys/${s.key.replaceAll('.', '/')}", O_WRONLY)`, `write(fd, ${q(s.value)})`],
    man: 'proc(5), sysctl(8)',
    why: 'a namespaced kernel setting (linux.sysctl), written from inside so it changes the container\'s namespace only',
  }),
  setrlimit: (s) => ({
    syscalls: [`setrlimit(RLIMIT_${s.resource}, {rlim_cur=${s.soft}, rlim_max=${s.hard}})`],
    man: 'setrlimit(2)',
    why: 'process.rlimits: limits are inherited across execve(2), so the program starts with them',
  }),
  'join-session-keyring': (s) => ({
    syscalls: [`keyctl(KEYCTL_JOIN_SESSION_KEYRING, ${q(s.name)})`],
    man: 'keyctl(2), keyrings(7)',
    why: 'the keyring is not namespaced: a fresh session keyring keeps the host\'s keys out of reach',
  }),
  terminal: (s) => ({
    syscalls: ['open("/dev/ptmx", O_RDWR|O_NOCTTY)', 'unlockpt(master)', 'setsid()', 'ioctl(slave, TIOCSCTTY, 0)', `ioctl(master, TIOCSWINSZ, {${s.height} rows, ${s.width} cols})`, 'dup2(slave, 0..2)', 'sendmsg(console socket, SCM_RIGHTS master)'],
    man: 'pty(7), unix(7)',
    why: 'process.terminal: the pty is made inside the container\'s /dev/pts, and its master handed to whoever listens on the console socket',
  }),
  'run-hook': (s) => ({
    syscalls: ['fork()', `execve(${q(s.path)}, ${list(s.args)}, env)`, 'write(stdin, state JSON)', `waitpid()${s.timeout ? `, killed after ${s.timeout}s` : ''}`],
    man: 'fork(2), execve(2)',
    why: `the ${s.name} hook runs inside the container's namespaces, as runtime.md#lifecycle says`,
  }),
  'drop-bounding-caps': (s) => ({
    syscalls: [`prctl(PR_CAPBSET_DROP, cap) for every capability not in ${capNames(s.keep)}`],
    man: 'prctl(2), capabilities(7)',
    why: 'the bounding set caps what the process and anything it execs can ever gain, even through a setuid binary',
  }),
  'switch-user': (s) => ({
    syscalls: ['prctl(PR_SET_KEEPCAPS, 1)', `setgroups(${s.additionalGids.length}, [${s.additionalGids.join(', ')}])`, `setresgid(${s.gid}, ${s.gid}, ${s.gid})`, `setresuid(${s.uid}, ${s.uid}, ${s.uid})`, 'prctl(PR_SET_KEEPCAPS, 0)'],
    man: 'setresuid(2), setgroups(2), prctl(2)',
    why: `the program runs as uid ${s.uid} gid ${s.gid}; KEEPCAPS keeps the permitted set across the change so the next step can choose it`,
  }),
  'set-capabilities': (s) => ({
    syscalls: [`capset(effective=${capNames(s.effective)}, permitted=${capNames(s.permitted)}, inheritable=${capNames(s.inheritable)})`,
      'prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)', ...s.ambient.map((c) => `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, ${capNames([c]).slice(1, -1)})`)],
    man: 'capset(2), capabilities(7)',
    why: `root in the container gets only these ${s.permitted.length} of the capabilities, never those that reach the host (CAP_SYS_ADMIN, CAP_NET_ADMIN…) unless asked`,
  }),
  'lookup-home': (s) => ({
    syscalls: ['open("/etc/passwd") in the container', `find the entry of uid ${s.uid}`],
    man: 'passwd(5)',
    why: 'process.env has no HOME: it comes from the container\'s own /etc/passwd, as runc does',
  }),
  umask: (s) => ({
    syscalls: [`umask(0${s.mask.toString(8)})`],
    man: 'umask(2)',
    why: 'process.user.umask: the mode mask the program\'s new files get',
  }),
  chdir: (s) => ({
    syscalls: [`chdir(${q(s.path)})`],
    man: 'chdir(2)',
    why: 'process.cwd, as root, before the user switch, so a directory only root may enter still works',
  }),
  'chdir-as-user': (s) => ({
    syscalls: [`chdir(${q(s.path)}) again, only if root was refused`],
    man: 'chdir(2)',
    why: 'a directory the user may enter and root may not (its owner unmapped, root-squashed NFS)',
  }),
  'no-new-privileges': () => ({
    syscalls: ['prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)'],
    man: 'prctl(2)',
    why: 'execve(2) can never grant more privilege from here on: setuid bits and file capabilities are ignored',
  }),
  seccomp: (s) => ({
    syscalls: [`seccomp(SECCOMP_SET_MODE_FILTER, ${s.flags === 0 ? '0' : `0x${s.flags.toString(16)}`}, {len=${s.program.length / 16}, filter=…})`],
    man: 'seccomp(2)',
    why: 'from here every system call of the process and its children goes through the BPF filter built from linux.seccomp',
  }),
  'find-executable': (s) => ({
    syscalls: [`stat(${q(s.path)}), access(${q(s.path)}, X_OK)${s.path.includes('/') ? '' : ' in each directory of PATH'}`],
    man: 'access(2), execve(2)',
    why: 'a missing program fails create, as in runc, not start',
  }),
  'wait-for-start': () => ({
    syscalls: ['read(start.fifo, 1 byte)', 'close(start.fifo)'],
    man: 'read(2), fifo(7)',
    why: 'the create/start barrier: the container is made and waits here until `ts-runc start` writes a byte into start.fifo',
  }),
  'run-runtime-hooks': () => ({
    syscalls: ['send(sync, HOOKS)', 'recv(sync) → RESUME'],
    man: 'unix(7)',
    why: 'Node runs the prestart and createRuntime hooks now, with the mounts made and the root not yet switched',
  }),
  'close-fds': () => ({
    syscalls: ['close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)'],
    man: 'close_range(2)',
    why: 'none of the runtime\'s open files may reach the container\'s program',
  }),
  exec: (s) => ({
    syscalls: [`execve(${q(s.path)}, ${list(s.args)}, ${list(s.env, 2)})`],
    man: 'execve(2)',
    why: 'the init becomes the user\'s program: same pid, same namespaces, cgroup and credentials',
  }),
};

export function explainStep(step: Step): Explanation {
  return (STEP_EXPLAINERS[step.op] as Explainer<Step>)(step);
}
