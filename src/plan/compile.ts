/**
 * Validated config.json → the ordered plan the C init runs (steps.ts).
 *
 * This is the whole container setup on one page, in the order runc does it
 * (libcontainer/rootfs_linux.go prepareRootfs, standard_init_linux.go Init):
 *
 *   before pivot_root, with the rootfs at a host path:
 *     1. mount propagation of "/", then bind the rootfs onto itself
 *     2. the spec's mounts, in order
 *     3. device nodes and /dev links (unless /dev is a bind mount)
 *     4. session keyring, prestart and createRuntime hooks (run by Node while the init
 *        waits), createContainer hooks in the rootfs (lo is brought up by create.ts,
 *        through netlink, before the plan runs)
 *   the switch:
 *     5. pivot_root (or MS_MOVE + chroot with --no-pivot), rootfsPropagation
 *   (without a mount namespace of its own, 1-3 are refused or skipped and 5 is a chroot:
 *   see chrootSteps)
 *   after it, inside the container's root:
 *     6. terminal, hostname, sysctls, read-only and masked paths, read-only root
 *     7. the process: rlimits, umask, capabilities, user, cwd, no_new_privs
 *     8. wait for `start`, startContainer hooks, inherited fds marked close-on-exec, the
 *        seccomp filter, execve (see withSeccomp)
 *
 * Everything the compiler needs to know about the host (is a bind source a file?) it asks
 * here, so the plan is complete data that a test or `ts-runc plan` can print.
 */
import { SpecError } from '../spec/errors.js';
import { compileSeccomp, programBytes, SECCOMP_FILTER_FLAG_NEW_LISTENER } from '../seccomp/compile.js';
import type { RootfsPropagation, Spec, SpecHook, SpecProcess, SpecSeccomp } from '../spec/schema.js';
import { containerDevices, deviceSteps, devLinks } from './devices.js';
import { cleanPath, isBindMount, mountSteps, type CgroupView, type MountPlan } from './mounts.js';
import { createsNamespace, hasNamespace } from './namespaces.js';
import { execStep, processSteps, terminalSteps } from './process-steps.js';
import type { Plan, Propagation, Step } from './steps.js';

export interface CompileOptions {
  /** Absolute host path of the root filesystem, already resolved against the bundle. */
  rootfs: string;
  /** `--no-pivot`: move-root instead of pivot-root. */
  noPivot: boolean;
  /** `--no-new-keyring`: keep the caller's session keyring. */
  noNewKeyring: boolean;
  containerId: string;
  /** JSON of the OCI state (runtime.md#state), given on stdin to createContainer and
   *  startContainer hooks. */
  hookState: string;
  /** A console socket was given (needed when process.terminal is true). */
  hasConsoleSocket: boolean;
  /** The bundle directory, for bind-mount sources relative to it (config.md#mounts).
   *  Without it, a relative source is an error. */
  bundle?: string;
  /** The container's cgroups, for a "cgroup" mount (src/cgroups/views.ts). Without them a
   *  cgroup mount is an empty read-only tmpfs. */
  cgroups?: CgroupView[];
  /** Bind-mount sources that `create` writes as files before the plan runs (the network's
   *  /etc/hosts…), for a plan compiled before they exist (`ts-runc explain`). */
  pendingFiles?: readonly string[];
}

export interface ExecOptions {
  hasConsoleSocket: boolean;
  /** The container's linux.seccomp: runc applies it to exec'd processes too. */
  seccomp?: SpecSeccomp;
  /** exec runs no hooks (runtime.md#lifecycle lists none for it). */
  hookState?: never;
  /** The container has no mount namespace of its own, so joining its namespaces leaves
   *  the process at that namespace's root: chroot into the container's rootfs first. */
  chroot?: string;
}

const FILE = 'config.json';

export function compilePlan(spec: Spec, opts: CompileOptions): Plan {
  const process = spec.process;
  if (process === undefined) {
    throw new SpecError(FILE, 'process', 'is required to create a container (config.md#process: REQUIRED when start is called)');
  }
  const ownMountNamespace = createsNamespace(spec, 'mount');
  const warnings: string[] = [];
  const mounts = ownMountNamespace ? mountPlan(spec, opts) : undefined;
  const steps: Step[] = [
    // 1-5.
    ...(mounts ? rootfsSteps(spec, opts, mounts) : chrootSteps(spec, opts, warnings)),
    // 6.
    ...terminalSteps(process, opts.hasConsoleSocket),
    ...utsSteps(spec),
    ...Object.entries(spec.linux?.sysctl ?? {}).map(([key, value]): Step => ({ op: 'sysctl', key, value })),
    // runc's order: read-only paths, then masks (a mask may sit inside a read-only path).
    // Both come after the sysctls, which write to /proc/sys before it turns read-only.
    ...(spec.linux?.readonlyPaths ?? []).map((path): Step => ({ op: 'readonly-path', path })),
    ...(spec.linux?.maskedPaths ?? []).map((path): Step => ({ op: 'mask-path', path })),
    // runc's finalizeRootfs: a read-only tmpfs or /dev turns read-only only now.
    ...(mounts?.finalize ?? []),
    ...(spec.root.readonly && ownMountNamespace ? [{ op: 'remount-root-readonly' } as const] : []),
    // 7.
    ...processSteps(process, warnings),
    // 8. runtime.md#lifecycle: the user process runs only after `start`; startContainer
    // hooks run "after the start operation is called but before the user-specified
    // program command is executed". A missing program fails create, as runc's does.
    { op: 'find-executable', path: process.args[0]!, env: [...(process.env ?? [])] },
    { op: 'wait-for-start' },
    ...hookSteps('startContainer', spec, opts.hookState),
    execStep(process),
  ];
  return { steps: withSeccomp(steps, spec.linux?.seccomp, process.noNewPrivileges === true, FILE), warnings };
}

/** Steps 1-5 in the container's own, new mount namespace. */
function rootfsSteps(spec: Spec, opts: CompileOptions, mounts: MountPlan): Step[] {
  const propagation = spec.linux?.rootfsPropagation || undefined;
  return [
    // 1. The new mount namespace starts as a copy of the host's, with the same peer groups.
    { op: 'set-root-propagation', propagation: initialPropagation(propagation) },
    { op: 'bind-rootfs', rootfs: opts.rootfs },
    // 2.
    ...mounts.mounts,
    // 3.
    ...devSteps(spec),
    // 4.
    ...keyringAndHookSteps(spec, opts),
    // 5.
    opts.noPivot ? { op: 'move-root' } : { op: 'pivot-root' },
    ...(propagation ? [{ op: 'set-root-propagation', propagation } as const] : []),
  ];
}

/**
 * Steps 1-5 for a container without a mount namespace of its own: none in
 * linux.namespaces (it shares the caller's), or one joined by path (someone else's).
 * config-linux.md#namespaces allows both; runc and crun then chroot(2) into the rootfs.
 *
 * Without a new namespace of our own, every mount would land in a namespace that outlives
 * the container: the host's, or the joined one. runc 1.1.5 does make them there (it sets
 * "/" rslave, makes the rootfs's parent private, bind-mounts the rootfs and the spec's
 * mounts, and for a joined namespace pivots the root of every process in it); ts-runc
 * makes none and refuses what needs one, naming the field. What remains is what such a
 * container can have without touching anyone's mounts: chroot into `root.path`, resolved
 * in that mount namespace (for a joined one, a path inside it, such as "/").
 */
function chrootSteps(spec: Spec, opts: CompileOptions, warnings: string[]): Step[] {
  const linux = spec.linux;
  // runc's own refusal (libcontainer/configs/validate: security), with its words.
  for (const key of ['maskedPaths', 'readonlyPaths'] as const) {
    if ((linux?.[key] ?? []).length > 0) {
      throw new SpecError(FILE, `linux.${key}`, 'unable to restrict sys entries without a private MNT namespace ' +
        '(add {"type": "mount"} without a path to linux.namespaces)');
    }
  }
  const needing = (what: string): string =>
    `${what} without a mount namespace of its own would stay mounted in the host's (or the joined) mount namespace; ` +
    'add {"type": "mount"} without a path to linux.namespaces';
  if ((spec.mounts ?? []).length > 0) throw new SpecError(FILE, 'mounts[0]', needing('a mount'));
  if (linux?.rootfsPropagation) throw new SpecError(FILE, 'linux.rootfsPropagation', needing('a propagation change'));
  // Device nodes would be made with mknod(2) in the rootfs directory itself, on the host.
  if ((linux?.devices ?? []).length > 0) throw new SpecError(FILE, 'linux.devices[0]', needing('a device node (on a tmpfs /dev)'));
  if (spec.root.readonly) {
    // runc skips finalizeRootfs (which makes the root read-only) without a mount
    // namespace; remounting here would make the *host's* mount read-only.
    warnings.push('root.readonly is ignored without a mount namespace of its own (it would remount the host\'s mount read-only)');
  }
  return [...keyringAndHookSteps(spec, opts), { op: 'chroot', rootfs: opts.rootfs }];
}

function mountPlan(spec: Spec, opts: CompileOptions): MountPlan {
  return mountSteps(spec.mounts ?? [], {
    bundle: opts.bundle,
    file: FILE,
    cgroups: opts.cgroups ?? [],
    cgroupns: createsNamespace(spec, 'cgroup'),
    pendingFiles: opts.pendingFiles,
  });
}

/** Step 4: the session keyring and the createContainer hooks. */
function keyringAndHookSteps(spec: Spec, opts: CompileOptions): Step[] {
  return [
    // A new network namespace has only `lo`, and it is down (network_namespaces(7));
    // create.ts brings it up through netlink before the plan runs.
    // runc names the keyring "_ses.<id>" so `keyctl show` tells containers apart.
    ...(opts.noNewKeyring ? [] : [{ op: 'join-session-keyring', name: `_ses.${opts.containerId}` } as const]),
    // runtime.md#lifecycle: prestart and createRuntime hooks run in the runtime's
    // namespaces once the container's are made; runc runs them here, after the mounts and
    // before pivot_root (its procHooks sync), so a hook that nsenter(1)s the container
    // sees its mounts. Node runs them while the init waits (no step without such hooks).
    ...((spec.hooks?.prestart ?? []).length + (spec.hooks?.createRuntime ?? []).length > 0
      ? [{ op: 'run-runtime-hooks' } as const] : []),
    // config.md#posix-platform-hooks, runtime.md#lifecycle: createContainer hooks run in
    // the container namespaces "after the container has been created but before
    // pivot_root or any equivalent operation has been called".
    ...hookSteps('createContainer', spec, opts.hookState),
  ];
}

/**
 * A process joining a running container (`ts-runc exec`): its namespaces and root are
 * already set up, so only the process's own settings remain. No barrier: it runs at once.
 */
export function compileExecPlan(process: SpecProcess, opts: ExecOptions): Plan {
  const warnings: string[] = [];
  const steps: Step[] = [
    ...(opts.chroot !== undefined ? [{ op: 'chroot', rootfs: opts.chroot } as const] : []),
    ...terminalSteps(process, opts.hasConsoleSocket),
    ...processSteps(process, warnings),
    execStep(process),
  ];
  return { steps: withSeccomp(steps, opts.seccomp, process.noNewPrivileges === true, FILE), warnings };
}

/**
 * `create` compiles its plan twice (once to check it, once with the pid and cgroups
 * known); the filter, ~2,000 instructions for Docker's default profile, only once.
 */
const compiledSeccomp = new WeakMap<SpecSeccomp, Step & { op: 'seccomp' }>();

/**
 * linux.seccomp (config-linux.md#seccomp) as a `seccomp` step, where runc puts it
 * (libcontainer/standard_init_linux.go):
 *
 * - with no_new_privs, as late as possible, so that few of the init's own calls go through
 *   the filter: right before `exec`. Except where that would change what the container
 *   sees from what runc shows: runc loads it before it waits on exec.fifo, so
 *   startContainer hooks run under it (a hook cannot do what the container may not), and
 *   a SCMP_ACT_NOTIFY filter's fd reaches the agent during `create` (whose ts-runc is the
 *   one listening on the init's socket). With either, it goes before `wait-for-start`, and
 *   the barrier's read(2) and write(2) go through it too, as runc's open and write of
 *   exec.fifo do;
 * - without it, seccomp(2) needs CAP_SYS_ADMIN, which dropping the bounding set and
 *   switching to a non-root user can take away, so the filter is loaded just before the
 *   first of those. The init's remaining calls (setresuid, capset, read, execve...) then
 *   go through the filter too; a profile that denies them breaks the container, as in runc.
 */
function withSeccomp(steps: Step[], seccomp: SpecSeccomp | undefined, noNewPrivileges: boolean, file: string): Step[] {
  // close_range(2) is not in every profile (runc marks the fds in finalizeNamespace,
  // before its late filter), so the fds are marked before the filter in both cases.
  // The fds the init still needs (the barrier's FIFOs, the report socket) are only marked
  // close-on-exec, so a startContainer hook does not inherit them either.
  const closeFds: Step = { op: 'close-fds' };
  if (!seccomp) return insertBefore(steps, steps.findIndex((s) => s.op === 'exec'), closeFds);
  let step = compiledSeccomp.get(seccomp);
  if (!step) {
    const { program, flags } = compileSeccomp(seccomp, undefined, file);
    step = { op: 'seccomp', program: programBytes(program).toString('hex'), flags };
    compiledSeccomp.set(seccomp, step);
  }
  const early = (step.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) !== 0 || steps.some((s) => s.op === 'run-hook' && s.name === 'startContainer');
  const barrier = steps.findIndex((s) => s.op === 'wait-for-start');
  const at = noNewPrivileges
    ? (early && barrier >= 0 ? barrier : steps.findIndex((s) => s.op === 'exec'))
    : steps.findIndex((s) => s.op === 'drop-bounding-caps' || s.op === 'switch-user');
  return insertBefore(steps, at, closeFds, step);
}

function insertBefore(steps: Step[], at: number, ...inserted: Step[]): Step[] {
  if (at < 0) throw new TypeError(`the plan has no step to put ${inserted.map((s) => s.op).join(', ')} before`);
  return [...steps.slice(0, at), ...inserted, ...steps.slice(at)];
}

/**
 * The propagation of "/" right after the mount namespace is created, before any mount.
 *
 * The new namespace is a copy of the host's, and a copied mount stays in its original's
 * peer group: while "/" is shared, every mount the container makes would appear on the
 * host. So the first step is always a recursive change that stops that: "rslave" (runc's
 * default: keep receiving the host's mounts, send none back), or "rprivate" when the spec
 * asks for private/unbindable (receive nothing either). Neither leaves anything shared,
 * which pivot_root(2) also requires of the new root's parent mount.
 *
 * A requested `rootfsPropagation` (config-linux.md#rootfs-mount-propagation) is then
 * applied to the container's "/" after pivot-root: applying "shared" here instead would
 * make "/" a peer of the host's root again. Applied afterwards, on a mount that is already
 * a slave, it forms a new peer group that only the container's own mounts (nested
 * containers) share: "Note this does not mean that it's shared with the host."
 */
export function initialPropagation(requested: RootfsPropagation | undefined): Propagation {
  switch (requested) {
    case 'private':
    case 'rprivate':
    case 'unbindable':
    case 'runbindable':
      return 'rprivate';
    case undefined:
    case 'slave':
    case 'rslave':
    case 'shared':
    case 'rshared':
      return 'rslave';
    default: {
      const never: never = requested;
      throw new TypeError(`unknown rootfsPropagation ${String(never)}`);
    }
  }
}

/**
 * Device nodes (config-linux.md#devices, #default-devices) and the /dev links. Skipped when
 * /dev is a bind mount: then it is someone else's /dev (often the host's), and runc leaves
 * it alone too (needsSetupDev).
 */
function devSteps(spec: Spec): Step[] {
  const mounts = spec.mounts ?? [];
  if (mounts.some((m) => cleanPath(m.destination) === '/dev' && isBindMount(m))) return [];
  // mknod(2) is refused in any user namespace but the initial one, created or joined.
  const inUserNamespace = hasNamespace(spec, 'user');
  const procMounted = mounts.some((m) => cleanPath(m.destination) === '/proc');
  return [
    ...containerDevices(spec.linux?.devices ?? []).flatMap((device) => deviceSteps(device, inUserNamespace)),
    ...devLinks(procMounted),
  ];
}

/**
 * config.md#hostname, config.md#domainname. The schema's rules already refuse these
 * without a UTS namespace; checked again because setting them in the host's UTS namespace
 * would rename the host.
 */
function utsSteps(spec: Spec): Step[] {
  const steps: Step[] = [];
  if (spec.hostname) steps.push({ op: 'sethostname', name: spec.hostname });
  if (spec.domainname) steps.push({ op: 'setdomainname', name: spec.domainname });
  if (steps.length > 0 && !hasNamespace(spec, 'uts')) {
    throw new SpecError(FILE, spec.hostname ? 'hostname' : 'domainname', 'needs a "uts" entry in linux.namespaces');
  }
  return steps;
}

/**
 * Hooks the init runs inside the container (createContainer, startContainer). The others
 * (prestart, createRuntime, poststart, poststop) run in the runtime namespace, from Node.
 * Without `args`, argv is just the path (what Go's exec, and so runc, does). Without `env`,
 * the init's environment, which in runc is the container process's (runc's init sets
 * process.env before it runs these hooks, and Go's exec passes it on for a nil Env).
 */
function hookSteps(name: 'createContainer' | 'startContainer', spec: Spec, state: string): Step[] {
  const hooks: readonly SpecHook[] = spec.hooks?.[name] ?? [];
  return hooks.map((hook): Step => ({
    op: 'run-hook',
    name,
    path: hook.path,
    args: hook.args && hook.args.length > 0 ? [...hook.args] : [hook.path],
    env: [...(hook.env ?? spec.process?.env ?? [])],
    timeout: hook.timeout ?? 0,
    state,
  }));
}
