/**
 * `create`: everything up to the user's process, which then waits for `start`.
 *
 *   1. config.json → validated spec → plan           (nothing on the host changes yet)
 *   2. claim <root>/<id>, write the state naming the cgroup directories and the network
 *      files before they are made; make them and write the limits (linux.resources)
 *   3. spawn the init; it clones the namespaces and reports the pid
 *   4. write uid/gid maps and oom_score_adj, put the pid in its cgroup
 *   5. send the plan; the init mounts, stops while we run the prestart/createRuntime
 *      hooks, pivots, drops privileges and waits at the barrier
 *
 * If any of it fails, what was made is undone in reverse: the process killed, the cgroup
 * and the state directory removed. The container's mounts live in its own mount
 * namespace, so they go with its last process. If the create itself is killed (SIGKILL)
 * at any moment, the state names all it made and `delete --force` removes it; the init,
 * left without its parent, exits when its sync socket reaches EOF (native/init/stage1.c).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { RuntimeError, StepError, errorMessage } from '../errors.js';
import { log } from '../log.js';
import { cgroupPathsFor, cgroupPids, cgroupsLeftToJoin, createCgroups, initCgroups, joinCgroupsInBackground, removeCgroups, type CgroupName } from '../cgroups/cgroup.js';
import { freezerState } from '../cgroups/freezer.js';
import { applyDeviceRules } from '../cgroups/devices.js';
import { detectMode } from '../cgroups/hierarchy.js';
import { applyResources } from '../cgroups/resources.js';
import { cgroupViews } from '../cgroups/views.js';
import { OomWatch, peakMemory } from '../cgroups/oom.js';
import { runHooks } from '../hooks/run-hooks.js';
import { compilePlan } from '../plan/compile.js';
import { bindSources, type CgroupView } from '../plan/mounts.js';
import { ignoredSettings } from '../plan/ignored.js';
import { CLONE_FLAGS, createsNamespace, namespaceCloneFlags } from '../plan/namespaces.js';
import { LOOPBACK_UP, applyLinkOp } from '../network/attach.js';
import type { Netlink } from '../network/netlink/socket.js';
import { InitProcess, type InitStdio, type StepTrace } from '../process/init-process.js';
import { seccompAgentHandoff } from '../seccomp/agent.js';
import { pidStartTime, waitForExit } from '../process/liveness.js';
import { signalProcess } from '../process/signals.js';
import { checkSpecOnHost } from '../spec/host-rules.js';
import { loadSpec, SpecError } from '../spec/load.js';
import type { Spec } from '../spec/schema.js';
import type { StateStore, StoredState } from '../state/container-state.js';
import { writeFileAtomic } from '../sys/write-atomic.js';
import { writeIdMaps } from './id-maps.js';
import { writeOomScoreAdj } from './oom-score-adj.js';
import { liveInitPid, ociState } from './status.js';
import type { NetworkRequest } from '../network/request.js';
import type { Prepared } from '../network/container-network.js';

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /** `run` in the foreground: stage 0 stays to relay signals and the exit status */
  foreground?: boolean;
  stdio?: InitStdio;
  /** config.json, if the caller has already loaded it (run does, to see process.terminal) */
  spec?: Spec;
  /** ts-runc's own networking (src/network/); undefined leaves the spec's netns alone */
  network?: NetworkRequest;
  /** each plan step's outcome and duration, as the init reports it (`explain --trace`) */
  trace?: (event: StepTrace) => void;
}

export interface Created {
  state: StoredState;
  init: InitProcess;
  spec: Spec;
}

export async function createContainer(store: StateStore, options: CreateOptions): Promise<Created> {
  try {
    return await create(store, options);
  } catch (error) {
    if (error instanceof StepError) {
      throw new StepError(`create ${options.id}: ${error.message}`, error.index, error.op, error.errno, { code: error.code, cause: error });
    }
    throw error instanceof RuntimeError
      ? new RuntimeError(`create ${options.id}: ${error.message}`, { code: error.code, cause: error })
      : new RuntimeError(`create ${options.id}: ${errorMessage(error)}`, { cause: error });
  }
}

async function create(store: StateStore, options: CreateOptions): Promise<Created> {
  const bundle = resolve(options.bundle);
  const spec = options.spec ?? await loadSpec(bundle);
  for (const path of ignoredSettings(spec)) log().warn(`${path} is set but not applied by this version of ts-runc`);
  const rootfs = resolve(bundle, spec.root?.path ?? 'rootfs');
  if (!existsSync(rootfs) || !statSync(rootfs).isDirectory()) {
    throw new RuntimeError(`rootfs ${rootfs} is not a directory (config.json root.path)`);
  }
  const cgroupName = { cgroupsPath: spec.linux?.cgroupsPath, id: options.id, root: store.root };
  const planFor = (hookState: string, cgroups: CgroupView[]) => compilePlan(spec, {
    bundle,
    rootfs,
    noPivot: options.noPivot ?? false,
    noNewKeyring: options.noNewKeyring ?? false,
    containerId: options.id,
    hookState,
    hasConsoleSocket: Boolean(options.consoleSocket),
    cgroups,
  });
  // Compile once before anything exists, so a config the compiler refuses (a mount option
  // it cannot honour, a terminal without a console socket) creates nothing at all. The
  // plan sent to the init is compiled again below, once the pid (for the hooks' state),
  // the cgroup directories and the network's mounts are known.
  const checked = planFor('{}', cgroupViews(cgroupName));
  for (const warning of checked.warnings ?? []) log().warn(warning);
  // --network edits the spec (netns, bind mounts of /etc/hosts…); it writes nothing yet.
  const network = options.network ? await networkSetup(spec, options, store.root) : undefined;
  // The checks that look at the host (a joined namespace that is the host's own), on the
  // spec as --network left it.
  checkSpecOnHost(spec);
  checkCgroupsOnHost(spec, cgroupName);
  const { cloneFlags, join } = namespaceCloneFlags(spec);
  const newUserns = (spec.linux?.namespaces ?? []).some((ns) => ns.type === 'user' && !ns.path);
  // Bind sources the new user namespace's root may not be able to read are opened by stage 0
  // on the host's side (native/init/mount-sources.c); the list is the plan's, with the
  // network's bind mounts in it.
  const mountSources = newUserns && (cloneFlags & CLONE_FLAGS.mount) !== 0
    ? bindSources((network ? planFor('{}', cgroupViews(cgroupName)) : checked).steps)
    : [];
  // The id is ours from here (or another create's, and then nothing of its is touched).
  store.claim(options.id);
  const state: StoredState = {
    ociVersion: spec.ociVersion,
    id: options.id,
    pid: 0,
    pidStartTime: '',
    creator: { pid: process.pid, startTime: pidStartTime(process.pid) },
    bundle,
    rootfs,
    created: new Date().toISOString(),
    owner: '',
    annotations: spec.annotations ?? {},
    started: false,
    cgroupPaths: cgroupPathsFor(cgroupName),
    hooks: { poststart: spec.hooks?.poststart ?? [], poststop: spec.hooks?.poststop ?? [] },
    namespaces: (spec.linux?.namespaces ?? []).map((ns) => ns.type),
    userns: (spec.linux?.namespaces ?? []).some((ns) => ns.type === 'user'),
    newPidNamespace: createsNamespace(spec, 'pid'),
    chroot: !createsNamespace(spec, 'mount'),
    seccomp: spec.linux?.seccomp ?? null,
    network: network?.record,
    resources: spec.linux?.resources,
  };
  let init: InitProcess | undefined;
  let netns: Netlink | undefined;
  let cgroupsMade = false;
  let oom: OomWatch | undefined;
  let joined: Promise<void> | undefined;
  try {
    // The state names everything before it is made (cgroup directories, name files, the
    // network), so a create killed (SIGKILL) at any moment from here leaves nothing that
    // `delete --force` cannot find and remove; killed before this write, only the claimed
    // directory exists.
    store.write(state);
    if (network) {
      const { writeNetworkFiles } = await import('../network/container-network.js');
      writeNetworkFiles(network);
    }
    createCgroups(cgroupName);
    cgroupsMade = true;
    if (network) {
      // The address is leased before the init exists. A create killed between the lease
      // and this write leaves a lease the state does not name; delete finds it by holder.
      const { allocateAddress } = await import('../network/container-network.js');
      await allocateAddress(network, state.created);
      store.write(state);
    }
    // Limits are written before the init joins the cgroup, so they hold from its first instruction.
    const mode = detectMode();
    // All but pids.max: stage 0 and the container process are both in the v1 pids cgroup
    // for the moment of clone (initCgroups), and a limit of 1 would refuse the clone. It is
    // written once the pid is back, when stage 0 has left; nothing of the container runs
    // before its plan, so it still holds from the user's first instruction (runc writes all
    // its limits after its init's children are made).
    const { pids: pidsLimit, ...otherResources } = spec.linux?.resources ?? {};
    applyResources(state.cgroupPaths, spec.linux?.resources ? otherResources : undefined, mode);
    applyDeviceRules(state.cgroupPaths, spec.linux?.resources?.devices, mode);

    // The OOM counter is read before the init joins: a kill during the join must count.
    oom = new OomWatch(state.cgroupPaths);
    // The init's stage 0 joins the cgroups itself and clones the container process into
    // them (initCgroups: no RCU grace period to wait for); what it could not join, we do,
    // on the thread pool while the state is written and the network set up, and await it
    // before anything runs in the container, hooks included.
    const cgroups = initCgroups(state.cgroupPaths);
    init = new InitProcess(
      {
        cloneFlags,
        join,
        foreground: options.foreground ?? false,
        consoleSocket: options.consoleSocket ? resolve(options.consoleSocket) : '',
        barrier: { startFifo: store.startFifo(options.id), reportFifo: store.reportFifo(options.id) },
        preserveFds: options.preserveFds ?? 0,
        mountSources,
        cgroups,
        // A new network namespace: Node sets it up through its netlink socket when the
        // container has a network, else the init brings lo up by itself (no koffi here).
        netlink: network !== undefined && (cloneFlags & CLONE_FLAGS.network) !== 0,
        loopbackUp: network === undefined && (cloneFlags & CLONE_FLAGS.network) !== 0,
      },
      options.stdio ?? { stdin: 'inherit', stdout: 'inherit', stderr: 'inherit' },
      options.trace,
    );
    state.pid = await init.pid();
    if (pidsLimit) applyResources(state.cgroupPaths, { pids: pidsLimit }, mode);
    joined = joinCgroupsInBackground(cgroupsLeftToJoin(cgroups, init.startedInCgroup2), state.pid);
    joined.catch(() => {}); // awaited below; a failure before then must not go unhandled
    state.pidStartTime = pidStartTime(state.pid);
    log().debug('container process cloned', { id: options.id, pid: state.pid });
    store.write(state);

    // The parent writes the maps (user_namespaces(7)): the child cannot map ids it does
    // not own, and must not run anything before it is mapped and in its cgroup.
    if (newUserns) writeIdMaps(state.pid, spec);
    // From here too, before the plan runs: the init could not write its own (oom-score-adj.ts).
    writeOomScoreAdj(state.pid, spec.process?.oomScoreAdj);

    // A new network namespace with a network is set up through the netlink socket the init
    // opened inside it (Node never setns(2)s). lo comes up first, as runc does: a fresh
    // namespace has lo DOWN (without a network, the init brought it up: loopbackUp).
    netns = init.netlink();
    if (netns) applyLinkOp(LOOPBACK_UP, { container: netns });
    if (network) {
      const { attachNetwork } = await import('../network/container-network.js');
      attachNetwork(network, state.pid, netns);
    }
    await joined;

    const hookState = JSON.stringify(ociState(store, state, 'creating'));
    const plan = planFor(hookState, cgroupViews(state.cgroupPaths));
    init.sendPlan(plan);
    // runc gives the seccomp agent the state as the hooks see it: "creating", the init's pid.
    // The plan's run-runtime-hooks step (after the mounts, before pivot_root) waits for the hooks.
    await init.finished(plan, {
      onSeccompFd: seccompAgentHandoff(spec.linux?.seccomp, () => state.pid, () => ociState(store, state, 'creating')),
      runtimeHooks: async () => {
        await runHooks('prestart', spec.hooks?.prestart, hookState, bundle);
        await runHooks('createRuntime', spec.hooks?.createRuntime, hookState, bundle);
      },
    });

    if (options.pidFile) writePidFile(options.pidFile, state.pid);
    return { state, init, spec };
  } catch (error) {
    // Read before the cgroup goes: was the init killed for want of memory?
    const cause = oom?.check() ? memoryTooSmall(spec, state.cgroupPaths, error) : error;
    await joined?.catch(() => {}); // no cgroup.procs write still under way while the cgroups go
    // A cgroup that was already there (createCgroups refused it) is not ours to remove.
    await undoCreate(state, init, cgroupsMade);
    if (network) await undoNetwork(network);
    store.remove(state.id);
    throw cause;
  } finally {
    netns?.close();
  }
}

/**
 * Before anything is made, what the host's cgroups allow (runc's factory Create and
 * validator): `linux.resources.unified` names cgroup v2 files, which a v1 or hybrid host's
 * controllers do not have ("invalid configuration: cannot use unified on cgroup v1"). A
 * cgroupsPath the user gave may exist already: one holding processes is used with a warning
 * (runc 1.1 does the same, and 1.2 refuses it), a frozen one is refused, as its init would
 * freeze on joining and `run -d` would wait for it forever.
 */
function checkCgroupsOnHost(spec: Spec, name: CgroupName): void {
  if (spec.linux?.resources?.unified !== undefined && detectMode() !== 'unified') {
    throw new SpecError('config.json', 'linux.resources.unified',
      `invalid configuration: cannot use unified on cgroup v1 (this host is ${detectMode()}: its controllers are v1 hierarchies)`);
  }
  if (name.cgroupsPath === undefined || name.cgroupsPath === '') return; // the default leaf must be new (createCgroups)
  const paths = cgroupPathsFor(name);
  const freezer = freezerState(paths);
  if (freezer === 'frozen' || freezer === 'freezing') {
    throw new RuntimeError(`container's cgroup is ${freezer} (linux.cgroupsPath ${name.cgroupsPath}): a process joining it would stop; thaw it first`);
  }
  const pids = cgroupPids(paths);
  if (pids.length > 0) log().warn(`container's cgroup is not empty: ${pids.length} process(es) found (linux.cgroupsPath ${name.cgroupsPath})`);
}

/**
 * The kernel's OOM killer killed a process of the container while it was being made: its
 * memory limit is below what the init needs to reach the user's program (mounts, the
 * execve). ts-runc writes the limits before the init joins the cgroup, so they hold from its
 * first instruction (runc writes them after the join and gets EBUSY for a limit below the
 * usage, "unable to set memory limit to 4096 (current usage: ...)"); here the first sign is
 * the init dying with SIGKILL, which alone would read "exited before it was ready". The
 * cgroup's oom_kill counter (memory.oom_control / memory.events) says why; the error names
 * the setting, as a config error does.
 */
function memoryTooSmall(spec: Spec, paths: Record<string, string>, error: unknown): RuntimeError {
  const memory = spec.linux?.resources?.memory;
  const unifiedMax = spec.linux?.resources?.unified?.['memory.max'];
  const [setting, value] = memory?.limit !== undefined && BigInt(memory.limit) > 0n
    ? ['linux.resources.memory.limit', `${memory.limit} bytes`]
    : unifiedMax !== undefined ? ['linux.resources.unified["memory.max"]', unifiedMax] : ['linux.resources.memory', 'the memory limit'];
  const peak = peakMemory(paths);
  return new SpecError('config.json', setting,
    `${value} is too small for the container to start: the kernel's OOM killer killed its init` +
    `${peak === undefined ? '' : ` (peak usage ${peak} bytes)`}; raise the limit (${errorMessage(error)})`);
}

async function undoCreate(state: StoredState, init: InitProcess | undefined, cgroupsMade: boolean): Promise<void> {
  const pid = liveInitPid(state);
  if (pid !== undefined) {
    signalProcess(pid, 'SIGKILL');
    await waitForExit(pid, state.pidStartTime, 5000);
  }
  if (init) {
    init.child.kill('SIGKILL');
    init.release();
  }
  if (!cgroupsMade) return;
  try {
    await removeCgroups(state.cgroupPaths);
  } catch (error) {
    log().warn(`cleanup after failed create: ${errorMessage(error)}`);
  }
}

/** runc writes the pid file atomically too: containerd reads it as soon as create returns. */
export function writePidFile(path: string, pid: number): void {
  writeFileAtomic(path, String(pid));
}

/** The network module is imported only by creates that ask for networking. */
async function networkSetup(spec: Spec, options: CreateOptions, root: string): Promise<Prepared> {
  const { prepareNetwork } = await import('../network/container-network.js');
  return prepareNetwork(spec, options.network!, options.id, root);
}

/** After a failed create (its process already killed): lease, veth, rules and files go. */
async function undoNetwork(network: Prepared): Promise<void> {
  const { teardownNetwork } = await import('../network/container-network.js');
  try {
    teardownNetwork(network.record, network.id, network.root);
  } catch (error) {
    log().warn(`cleanup after failed create: ${errorMessage(error)}`);
  }
}
