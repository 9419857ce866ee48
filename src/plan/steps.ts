/**
 * The plan: what the C init (native/init/) does inside the new namespaces, in order.
 *
 * A plan is plain data. `compilePlan()` (compile.ts) turns a validated config.json into a
 * list of these steps; `encodePlan()` (encode.ts) serialises them for the init; a test can
 * assert them without root; `ts-runc plan` prints them for a learner.
 *
 * Paths: `path`/`target` fields are *container* paths ("/proc", "/dev/null"). Before
 * `pivot-root` the init resolves them inside the rootfs with openat2(RESOLVE_IN_ROOT), so a
 * symlink in the image can never point a mount outside the rootfs; after `pivot-root` they
 * are ordinary absolute paths. `source` of a bind mount is a *host* path.
 *
 * Every step maps to one or a few visible kernel calls; the comment on each says which.
 */

/** mount(2) flags by name; the encoder turns them into MS_* bits. */
export type MountFlag =
  | 'ro' | 'nosuid' | 'nodev' | 'noexec' | 'sync' | 'dirsync' | 'remount' | 'mand'
  | 'noatime' | 'nodiratime' | 'relatime' | 'strictatime' | 'bind' | 'rec' | 'silent'
  | 'acl' | 'iversion' | 'lazytime' | 'nosymfollow';

/** mount_setattr(2) MOUNT_ATTR_* by name; 'atime' is MOUNT_ATTR__ATIME, the whole access-time
 *  field (cleared to change it), and 'relatime' is its value 0. */
export type MountAttr =
  | 'ro' | 'nosuid' | 'nodev' | 'noexec' | 'atime' | 'relatime' | 'noatime' | 'strictatime'
  | 'nodiratime' | 'nosymfollow';

/** Mount propagation, applied with a separate mount(2) call as the kernel requires. */
export type Propagation =
  | 'shared' | 'rshared' | 'slave' | 'rslave' | 'private' | 'rprivate' | 'unbindable' | 'runbindable';

export type Step =
  /** mount("", "/", NULL, MS_REC|<propagation>) on the (new) mount namespace's root, so
   *  nothing the container mounts leaks back to the host. */
  | { op: 'set-root-propagation'; propagation: Propagation }
  /** mount(rootfs, rootfs, MS_BIND|MS_REC): pivot_root(2) needs the new root to be a mount
   *  point. `rootfs` is a host path. The init keeps a dirfd on it for path resolution. */
  | { op: 'bind-rootfs'; rootfs: string }
  /** mount(2) of one filesystem at a container path. `create` says what to make if the
   *  target is missing ('dir' for directories, 'file' for bind-mounting a file). For bind
   *  mounts, flags other than bind/rec are applied by a second MS_REMOUNT|MS_BIND call
   *  (the kernel ignores them on the first). `propagation` entries are extra mount(2) calls. */
  | {
      op: 'mount';
      source: string;
      target: string;
      fstype: string;
      flags: MountFlag[];
      propagation: Propagation[];
      data: string;
      create: 'dir' | 'file';
    }
  /** runc's `tmpcopyup` (podman --read-only, --tmpfs): open the target directory, mount a
   *  tmpfs over it, copy what the directory held into the tmpfs (the open fd still reads
   *  the hidden directory), then apply `ro` if asked. */
  | { op: 'mount-copy-up'; target: string; fstype: string; flags: MountFlag[]; propagation: Propagation[]; data: string }
  /** runc's recursive options (`rro`, `rnosuid`...): mount_setattr(2) with AT_RECURSIVE on
   *  the mount at `target` and every mount below it, setting `set` and clearing `clear`. */
  | { op: 'mount-setattr'; target: string; set: MountAttr[]; clear: MountAttr[] }
  /** A tmpfs or /dev asked for `ro`, made read-only only now that what goes inside it (device
   *  nodes, /dev/pts, /dev/shm, masks) is in place, as runc's finalizeRootfs does:
   *  mount(NULL, target, NULL, MS_REMOUNT|MS_BIND|MS_RDONLY|flags). */
  | { op: 'remount-readonly'; target: string; flags: MountFlag[] }
  /** mkdir -p of a container path, then chmod to `mode`. */
  | { op: 'mkdir'; path: string; mode: number }
  /** mknod(2) of a device or fifo, then chown(2) to uid/gid (0 means container root). */
  | { op: 'mknod'; path: string; type: 'c' | 'b' | 'p'; major: number; minor: number; mode: number; uid: number; gid: number }
  /** symlink(2): `path` becomes a link to `target`. An existing entry is left alone. */
  | { op: 'symlink'; target: string; path: string }
  /** pivot_root(2) as runc and crun do it: open the old root "/" and the new root, fchdir
   *  to the new root, pivot_root(".", "."), fchdir to the old root fd (the kernel does not
   *  promise where the cwd is afterwards), make it rslave, umount2(".", MNT_DETACH), fchdir
   *  to the new root fd. The old root is stacked under the new one and detached, so no
   *  host path stays reachable. */
  | { op: 'pivot-root' }
  /** A container without a mount namespace of its own (none in linux.namespaces, or one
   *  joined by path): chroot(2) into `rootfs` (a path in that mount namespace), then
   *  chdir("/"). Nothing is mounted and nobody else's root moves. */
  | { op: 'chroot'; rootfs: string }
  /** `--no-pivot`: detach the host's procfs and sysfs mounts (runc's msMoveRoot), then
   *  chdir(rootfs); mount(rootfs, "/", MS_MOVE); chroot("."); chdir("/"). Weaker than
   *  pivot_root (the old root is still in the namespace), for ramdisk hosts. */
  | { op: 'move-root' }
  /** OCI maskedPaths: bind /dev/null over a file, or a read-only empty tmpfs over a
   *  directory. A missing path is skipped. */
  | { op: 'mask-path'; path: string }
  /** OCI readonlyPaths: bind the path onto itself, then remount it MS_RDONLY. Missing: skip. */
  | { op: 'readonly-path'; path: string }
  /** root.readonly: remount "/" MS_BIND|MS_REMOUNT|MS_RDONLY (keeping nosuid/nodev/noexec). */
  | { op: 'remount-root-readonly' }
  /** sethostname(2) in the new UTS namespace. */
  | { op: 'sethostname'; name: string }
  /** setdomainname(2) in the new UTS namespace. */
  | { op: 'setdomainname'; name: string }
  /** write `value` to /proc/sys/<key with dots as slashes>. */
  | { op: 'sysctl'; key: string; value: string }
  /** setrlimit(2); `resource` is the OCI name without RLIMIT_ ("NOFILE"). */
  | { op: 'setrlimit'; resource: string; soft: bigint; hard: bigint }
  /** ioctl(SIOCSIFFLAGS, IFF_UP) on "lo": a new network namespace starts with lo down. */
  /** keyctl(KEYCTL_JOIN_SESSION_KEYRING, name): a fresh session keyring per container
   *  (skipped by --no-new-keyring). */
  | { op: 'join-session-keyring'; name: string }
  /** process.terminal: open /dev/ptmx in the container, unlockpt, make the pty slave the
   *  controlling terminal and stdio (setsid, TIOCSCTTY, dup2), and send the master fd over
   *  the console socket with SCM_RIGHTS. */
  | { op: 'terminal'; width: number; height: number }
  /** A hook run inside the container's namespaces (createContainer, startContainer):
   *  fork, write `state` on its stdin, exec path with args/env, kill it after `timeout`
   *  seconds (0: none). A non-zero exit fails the step. */
  | { op: 'run-hook'; name: string; path: string; args: string[]; env: string[]; timeout: number; state: string }
  /** drop every capability not in `keep` from the bounding set (prctl PR_CAPBSET_DROP). */
  | { op: 'drop-bounding-caps'; keep: number[] }
  /** prctl(PR_SET_KEEPCAPS,1); setgroups(2); setresgid(2); setresuid(2); PR_SET_KEEPCAPS 0.
   *  KEEPCAPS keeps the permitted set across the uid change so `set-capabilities` can
   *  still choose it. */
  | { op: 'switch-user'; uid: number; gid: number; additionalGids: number[] }
  /** capset(2) effective/permitted/inheritable, then PR_CAP_AMBIENT_CLEAR_ALL and
   *  PR_CAP_AMBIENT_RAISE for each ambient (the compiler keeps only those that are
   *  permitted and inheritable, which prctl(2) requires). */
  | { op: 'set-capabilities'; effective: number[]; permitted: number[]; inheritable: number[]; ambient: number[] }
  /** process.env has no HOME: read the container's /etc/passwd (after pivot_root, so the
   *  container's own, or the one an engine bind-mounted there) for the entry of `uid`,
   *  while still root, and add HOME=<its home directory> to the exec step's environment;
   *  "/" when there is no such entry or no readable /etc/passwd (runc's setupUser). */
  | { op: 'lookup-home'; uid: number }
  /** umask(2). */
  | { op: 'umask'; mask: number }
  /** chdir(2) to the process cwd, as root, before the user switch (runc's finalizeNamespace),
   *  so a directory only root may enter still works. EACCES/EPERM is left to
   *  `chdir-as-user`; any other error fails the step. */
  | { op: 'chdir'; path: string }
  /** chdir(2) again after the user switch, only when root was refused by `chdir`: a
   *  directory the user may enter and root may not (its owner unmapped in the user
   *  namespace, root-squashed NFS). */
  | { op: 'chdir-as-user'; path: string }
  /** prctl(PR_SET_NO_NEW_PRIVS, 1). */
  | { op: 'no-new-privileges' }
  /** seccomp(SECCOMP_SET_MODE_FILTER, flags, program) (seccomp(2)): `program` is the
   *  struct sock_filter array that src/seccomp/compile.ts built from linux.seccomp, as hex
   *  (8 bytes per instruction, little-endian); `flags` are SECCOMP_FILTER_FLAG_* bits. From
   *  here on every system call of this process and its children goes through the filter.
   *  With SECCOMP_FILTER_FLAG_NEW_LISTENER (SCMP_ACT_NOTIFY rules) the init then sends the
   *  notify fd's number to Node (SECCOMP, protocol.ts) and waits for SECCOMP_DONE. */
  | { op: 'seccomp'; program: string; flags: number }
  /** Look the program up now (PATH from `env`, in the container), so a missing one fails
   *  `create` as in runc, not `start`: podman reports that as exit status 127. */
  | { op: 'find-executable'; path: string; env: string[] }
  /** The create/start barrier: block in read(2) on "start.fifo", which the init made in
   *  the state dir, until `ts-runc start` writes a byte into it. From here on a failure is
   *  reported on "report.fifo" (close-on-exec), and success is its EOF. */
  | { op: 'wait-for-start' }
  /** Send HOOKS to Node and wait for RESUME: Node runs the prestart and createRuntime hooks
   *  meanwhile, with the container's mounts made and its root not yet switched (runc's
   *  procHooks sync, libcontainer/rootfs_linux.go prepareRootfs). */
  | { op: 'run-runtime-hooks' }
  /** Mark every fd above stdio and the preserved ones close-on-exec (close_range(2)
   *  CLOSE_RANGE_CLOEXEC, falling back to fcntl(2) on each fd of /proc/self/fd on kernels
   *  without it): none of the runtime's fds reach the container. Not closed at once: the
   *  report socket or FIFO must stay open until execve(2) has succeeded. Runs before the
   *  seccomp filter, which may not allow these calls. */
  | { op: 'close-fds' }
  /** execve(2). Without a '/' in `path`, PATH from `env` is searched (in the container). */
  | { op: 'exec'; path: string; args: string[]; env: string[] };

export type StepOp = Step['op'];

/** Every op, for code and tests that must cover them all (test/unit/init-check-plan.test.ts
 *  checks that the C init decodes each). A record keyed by StepOp, so tsc fails when an op
 *  is added to Step and not here. */
const EVERY_OP: Record<StepOp, true> = {
  'set-root-propagation': true, 'bind-rootfs': true, mount: true, 'mount-copy-up': true,
  'mount-setattr': true, 'remount-readonly': true,
  mkdir: true, mknod: true, symlink: true, 'pivot-root': true, 'move-root': true, chroot: true,
  'mask-path': true, 'readonly-path': true, 'remount-root-readonly': true, sethostname: true,
  setdomainname: true, sysctl: true, setrlimit: true,
  'join-session-keyring': true, terminal: true, 'run-hook': true, 'drop-bounding-caps': true,
  'switch-user': true, 'set-capabilities': true, 'lookup-home': true, umask: true, chdir: true,
  'chdir-as-user': true,
  'no-new-privileges': true, seccomp: true, 'close-fds': true, 'find-executable': true,
  'wait-for-start': true, exec: true, 'run-runtime-hooks': true,
};
export const STEP_OPS = Object.keys(EVERY_OP) as StepOp[];

/** A plan: the steps, and what the compiler chose not to do, for the caller to log once
 *  (runc warns for these and goes on: an ambient capability it cannot raise...). */
export interface Plan {
  steps: Step[];
  warnings?: string[];
}

/** One line per step, for `ts-runc plan` and for error messages ("mount proc on /proc"). */
export function describeStep(step: Step): string {
  switch (step.op) {
    case 'set-root-propagation': return `make / ${step.propagation}`;
    case 'bind-rootfs': return `bind-mount rootfs ${step.rootfs}`;
    case 'mount': return `mount ${step.fstype || 'bind'} ${step.source} on ${step.target}` +
      (step.flags.length ? ` (${step.flags.join(',')})` : '');
    case 'mount-copy-up': return `mount ${step.fstype} on ${step.target}, copying its contents up`;
    case 'mount-setattr': return `set ${[...step.set, ...step.clear.map((a) => `no ${a}`)].join(', ')} on ${step.target} and every mount below it`;
    case 'remount-readonly': return `remount ${step.target} read-only`;
    case 'mkdir': return `mkdir ${step.path}`;
    case 'mknod': return `mknod ${step.path} ${step.type} ${step.major}:${step.minor}`;
    case 'symlink': return `symlink ${step.path} -> ${step.target}`;
    case 'pivot-root': return 'pivot_root into the rootfs';
    case 'move-root': return 'move the rootfs onto / and chroot (--no-pivot)';
    case 'chroot': return `chroot ${step.rootfs} (no mount namespace of its own)`;
    case 'mask-path': return `mask ${step.path}`;
    case 'readonly-path': return `make ${step.path} read-only`;
    case 'remount-root-readonly': return 'remount / read-only';
    case 'sethostname': return `sethostname ${step.name}`;
    case 'setdomainname': return `setdomainname ${step.name}`;
    case 'sysctl': return `sysctl ${step.key}=${step.value}`;
    case 'setrlimit': return `setrlimit ${step.resource} ${step.soft}:${step.hard}`;
    case 'join-session-keyring': return `join session keyring ${step.name}`;
    case 'terminal': return 'open a pty and send its master to the console socket';
    case 'run-hook': return `${step.name} hook ${step.path}`;
    case 'drop-bounding-caps': return `drop bounding capabilities (keep ${step.keep.length})`;
    case 'switch-user': return `switch to uid ${step.uid} gid ${step.gid}`;
    case 'set-capabilities': return 'set capabilities';
    case 'lookup-home': return `HOME from /etc/passwd for uid ${step.uid}`;
    case 'umask': return `umask ${step.mask.toString(8).padStart(4, '0')}`;
    case 'chdir': return `chdir ${step.path} (as root)`;
    case 'chdir-as-user': return `chdir ${step.path} again as the user, if root was refused`;
    case 'no-new-privileges': return 'set no_new_privs';
    case 'seccomp': return `load the seccomp filter (${step.program.length / 16} instructions)`;
    case 'close-fds': return 'mark inherited fds close-on-exec';
    case 'find-executable': return `find ${step.path}`;
    case 'wait-for-start': return 'wait for start';
    case 'run-runtime-hooks': return 'prestart and createRuntime hooks';
    case 'exec': return `exec ${step.path}`;
    default: {
      const never: never = step;
      return String(never);
    }
  }
}
