/**
 * config.json as zod schemas (zod/mini), following OCI runtime-spec 1.2 (config.md, config-linux.md).
 *
 * Three choices shape this file:
 *
 * - Objects are `z.looseObject`: config.md#extensibility says runtimes "MUST NOT generate an
 *   error if they encounter an unknown property. Instead they MUST ignore unknown
 *   properties." Unknown keys are kept (not stripped) so a spec we save is the spec we got.
 * - Every field the spec defines is parsed, even the ones ts-runc does not apply yet
 *   (seccomp, cgroup resources, apparmor...), so a typo in them is still reported, and the
 *   code that applies them later starts from a typed value. `ignoredSettings()`
 *   (src/plan/ignored.ts) lists what is parsed but not applied.
 * - 64-bit integers are `number | bigint`: a JSON number above 2^53 cannot be a JS number
 *   without losing digits, so loadSpec() parses those as bigints (src/spec/json.ts).
 *
 * Rules that relate fields to each other (a user namespace for uid mappings, a UTS
 * namespace for a hostname...) are in rules.ts; they run after the shapes here pass.
 *
 * The CLI does not build these schemas for a valid config: scripts/gen-spec-check.mjs
 * generates spec-check.ts from them, plain checks that give the same answer, and zod runs
 * only to word the errors of a config that check refuses (load.ts). A check that calls a
 * function (z.refine, problemsCheck) must call an exported one, from value-checks.ts,
 * rules.ts or capabilities.ts, so that the generated file can call it too.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { isCapabilityName } from './capabilities.js';
import type { RuleProblem } from './errors.js';
import { NAMESPACE_TYPES } from './namespaces.js';
import { RLIMIT_TYPES } from './rlimits.js';
import { deviceNumberProblems, isAbsolutePath, isNamespacePath, rlimitProblems } from './value-checks.js';

export { NAMESPACE_TYPES, PROC_NS_NAMES, type NamespaceType, type ProcNamespaceName } from './namespaces.js';

// zod/mini rather than zod: the same checks and issues (zod/v4/core), without the ~50
// methods classic zod attaches to every schema object, so the schemas build in a third of
// the time (issue 14). `import * as` lets a bundler keep only what is used here; zod's own
// text for the issues load.ts does not word itself is English, as classic zod sets it.
z.config(en());

// ---------------------------------------------------------------------------------------
// Building blocks

/**
 * The function behind each problemsCheck, by check: scripts/gen-spec-check.mjs reads it to
 * call the same function from the generated spec-check.ts (zod keeps only a wrapper).
 */
export const PROBLEM_FINDERS = new WeakMap<object, (value: never) => RuleProblem[]>();

/** A check that reports each problem `find` returns, at its path below the value checked. */
export function problemsCheck<T>(find: (value: T) => RuleProblem[]) {
  const check = z.superRefine<T>((value, ctx) => {
    for (const problem of find(value)) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  });
  PROBLEM_FINDERS.set(check, find);
  return check;
}

/** An enum whose error names the value and the choices: "foo" is not a namespace type (...) */
function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string, choices = values.join(', ')) {
  return z.enum(values, {
    error: (issue) => `${JSON.stringify(issue.input)} is not ${what} (${choices})`,
  });
}

const U32_MAX = 0xffff_ffff;
const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

const uint16 = z.int().check(z.minimum(0), z.maximum(0xffff));
const int32 = z.int().check(z.minimum(-(2 ** 31)), z.maximum(2 ** 31 - 1));
const uint32 = z.int().check(z.minimum(0), z.maximum(U32_MAX));
/** int64: a safe-integer number, or a bigint when the JSON text had more digits. */
const int64 = z.union([z.int(), z.bigint().check(z.minimum(I64_MIN), z.maximum(I64_MAX))], {
  error: 'must be an integer between -2^63 and 2^63-1',
});
/** uint64, same representation as int64. */
const uint64 = z.union([z.int().check(z.minimum(0)), z.bigint().check(z.minimum(0n), z.maximum(U64_MAX))], {
  error: 'must be an integer between 0 and 2^64-1',
});

/** A path in the container (or on the host) that the spec says MUST be absolute. */
const absolutePath = z.string().check(z.refine(isAbsolutePath, {
  error: (issue) => `${JSON.stringify(issue.input)} must be an absolute path`,
}));

const stringList = z.array(z.string());

/** OCI config.md#specification-version: ociVersion MUST be SemVer 2.0.0. */
const semver = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

// ---------------------------------------------------------------------------------------
// process (config.md#process, #posix-process, #linux-process, #user)

/** config-linux.md#user-namespace-mappings: one line of /proc/<pid>/{uid,gid}_map. */
export const IdMappingSchema = z.looseObject({
  containerID: uint32,
  hostID: uint32,
  size: uint32,
});

/**
 * A uid or gid the process runs as. The spec types it uint32, but setresuid(2) and
 * setresgid(2) read (uid_t)-1 = 4294967295 as "leave this id unchanged": a process asking
 * for that uid would stay root. runc refuses every id outside 0..2^31-1 for 32-bit
 * compatibility (moby/sys/user user.go: "uids and gids must be in range 0-2147483647"),
 * and so does ts-runc, for config.json, `exec --process` and `exec --user`.
 */
const ID_MAX = 2 ** 31 - 1;
const processId = z.int().check(z.minimum(0), z.maximum(ID_MAX, { error: (issue) => `must be in range 0-${ID_MAX}, as uids and gids are in runc, not ${describeId(issue.input)}` }));
function describeId(input: unknown): string {
  return input === U32_MAX ? `${U32_MAX} ((uid_t)-1, which setresuid(2) and setresgid(2) read as "leave unchanged")` : String(input);
}

export const UserSchema = z.looseObject({
  uid: processId,
  gid: processId,
  umask: z.optional(uint32),
  additionalGids: z.optional(z.array(processId)),
  /** Windows only; parsed so a shared config does not fail. */
  username: z.optional(z.string()),
});

/**
 * A capability name. Typed as a plain string (what a user writes, what `exec --cap` builds)
 * but checked against the kernel's list, so the compiler can look every name up.
 */
const capabilityName = z.string().check(z.refine(isCapabilityName, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a Linux capability (capabilities(7): CAP_CHOWN ... CAP_CHECKPOINT_RESTORE)`,
}));
const capabilityList = z.optional(z.array(capabilityName));

export const CapabilitiesSchema = z.looseObject({
  bounding: capabilityList,
  effective: capabilityList,
  inheritable: capabilityList,
  permitted: capabilityList,
  ambient: capabilityList,
});

export const RlimitSchema = z.looseObject({
  type: oneOf(RLIMIT_TYPES, 'an rlimit type', 'RLIMIT_* from getrlimit(2)'),
  hard: uint64,
  soft: uint64,
});

export const ConsoleSizeSchema = z.looseObject({ height: uint32, width: uint32 });

export const IoPrioritySchema = z.looseObject({
  class: oneOf(['IOPRIO_CLASS_RT', 'IOPRIO_CLASS_BE', 'IOPRIO_CLASS_IDLE'], 'an I/O priority class'),
  priority: z.int().check(z.minimum(0), z.maximum(7)),
});

export const SchedulerSchema = z.looseObject({
  policy: oneOf(
    ['SCHED_OTHER', 'SCHED_FIFO', 'SCHED_RR', 'SCHED_BATCH', 'SCHED_ISO', 'SCHED_IDLE', 'SCHED_DEADLINE'],
    'a scheduling policy',
  ),
  nice: z.optional(int32),
  priority: z.optional(int32),
  flags: z.optional(z.array(oneOf(
    ['SCHED_FLAG_RESET_ON_FORK', 'SCHED_FLAG_RECLAIM', 'SCHED_FLAG_DL_OVERRUN', 'SCHED_FLAG_KEEP_POLICY',
      'SCHED_FLAG_KEEP_PARAMS', 'SCHED_FLAG_UTIL_CLAMP_MIN', 'SCHED_FLAG_UTIL_CLAMP_MAX'],
    'a scheduler flag',
  ))),
  runtime: z.optional(uint64),
  deadline: z.optional(uint64),
  period: z.optional(uint64),
});

export const ProcessSchema = z.looseObject({
  terminal: z.optional(z.boolean()),
  /** config.md#process: ignored unless `terminal` is true. */
  consoleSize: z.optional(ConsoleSizeSchema),
  user: UserSchema,
  /** config.md#process: "at least one entry is REQUIRED (non-Windows)". */
  args: z.array(z.string()).check(z.minLength(1)),
  commandLine: z.optional(z.string()),
  env: z.optional(stringList),
  /** config.md#process: "This value MUST be an absolute path." */
  cwd: absolutePath,
  capabilities: z.optional(CapabilitiesSchema),
  rlimits: z.optional(z.array(RlimitSchema)),
  noNewPrivileges: z.optional(z.boolean()),
  apparmorProfile: z.optional(z.string()),
  /** The kernel accepts -1000..1000 in /proc/<pid>/oom_score_adj (proc(5)). */
  oomScoreAdj: z.optional(z.int().check(z.minimum(-1000), z.maximum(1000))),
  selinuxLabel: z.optional(z.string()),
  ioPriority: z.optional(IoPrioritySchema),
  scheduler: z.optional(SchedulerSchema),
}).check(problemsCheck(rlimitProblems));

// ---------------------------------------------------------------------------------------
// root, mounts, hooks (config.md#root, #mounts, #posix-platform-hooks)

export const RootSchema = z.looseObject({
  /** Absolute, or relative to the bundle (config.md#root). */
  path: z.string().check(z.minLength(1)),
  readonly: z.optional(z.boolean()),
});

export const MountSchema = z.looseObject({
  /** config.md#mounts: "This value MUST be an absolute path." (runc accepts a relative
   *  path with a warning; ts-runc follows the spec.) */
  destination: absolutePath,
  type: z.optional(z.string()),
  /** For bind mounts: a host path, absolute or relative to the bundle. */
  source: z.optional(z.string()),
  options: z.optional(stringList),
  /** Idmapped mounts (runtime-spec 1.1+); parsed, not supported yet. */
  uidMappings: z.optional(z.array(IdMappingSchema)),
  gidMappings: z.optional(z.array(IdMappingSchema)),
});

export const HookSchema = z.looseObject({
  /** "path MUST be absolute", resolved in the runtime namespace. */
  path: absolutePath,
  args: z.optional(stringList),
  env: z.optional(stringList),
  /** "If set, timeout MUST be greater than zero." */
  timeout: z.optional(z.int().check(z.minimum(1, { error: 'must be greater than zero (seconds)' }))),
});

const hookList = z.optional(z.array(HookSchema));

export const HooksSchema = z.looseObject({
  /** Deprecated by the spec in favour of the next three; still run by runc. */
  prestart: hookList,
  createRuntime: hookList,
  createContainer: hookList,
  startContainer: hookList,
  poststart: hookList,
  poststop: hookList,
});

// ---------------------------------------------------------------------------------------
// linux (config-linux.md)

export const NamespaceSchema = z.looseObject({
  type: oneOf(NAMESPACE_TYPES, 'a namespace type'),
  /** "This value MUST be an absolute path in the runtime mount namespace." An empty
   *  string (Go's zero value) means no path, as in runc. */
  path: z.optional(z.string().check(z.refine(isNamespacePath, {
    error: (issue) => `${JSON.stringify(issue.input)} must be an absolute path`,
  }))),
});

/** config-linux.md#devices. `u` is an unbuffered character device, made like `c`. */
export const DeviceSchema = z.looseObject({
  type: oneOf(['c', 'b', 'u', 'p'], 'a device type'),
  path: absolutePath,
  major: z.optional(z.int().check(z.minimum(0))),
  minor: z.optional(z.int().check(z.minimum(0))),
  fileMode: z.optional(uint32),
  uid: z.optional(uint32),
  gid: z.optional(uint32),
}).check(problemsCheck(deviceNumberProblems));

/** config-linux.md#allowed-device-list: one rule for the devices cgroup. */
export const DeviceCgroupSchema = z.looseObject({
  allow: z.boolean(),
  type: z.optional(oneOf(['a', 'c', 'b'], 'a device rule type')),
  major: z.optional(int64),
  minor: z.optional(int64),
  access: z.optional(z.string().check(z.regex(/^[rwm]*$/, { error: 'must be made of r, w and m' }))),
});

/** config-linux.md#memory. Limits are bytes, -1 for unlimited. */
export const MemorySchema = z.looseObject({
  limit: z.optional(int64),
  reservation: z.optional(int64),
  swap: z.optional(int64),
  kernel: z.optional(int64),
  kernelTCP: z.optional(int64),
  swappiness: z.optional(uint64),
  disableOOMKiller: z.optional(z.boolean()),
  useHierarchy: z.optional(z.boolean()),
  checkBeforeUpdate: z.optional(z.boolean()),
});

/** config-linux.md#cpu (cpu and cpuset controllers). */
export const CpuSchema = z.looseObject({
  shares: z.optional(uint64),
  quota: z.optional(int64),
  burst: z.optional(uint64),
  period: z.optional(uint64),
  realtimeRuntime: z.optional(int64),
  realtimePeriod: z.optional(uint64),
  cpus: z.optional(z.string()),
  mems: z.optional(z.string()),
  idle: z.optional(int64),
});

/** config-linux.md#pids. Optional here: newer specs allow leaving the limit unset. */
export const PidsSchema = z.looseObject({ limit: z.optional(int64) });

const blockIoDevice = { major: int64, minor: int64 };
export const WeightDeviceSchema = z.looseObject({
  ...blockIoDevice,
  weight: z.optional(uint16),
  leafWeight: z.optional(uint16),
});
export const ThrottleDeviceSchema = z.looseObject({ ...blockIoDevice, rate: uint64 });

/** config-linux.md#block-io. */
export const BlockIoSchema = z.looseObject({
  weight: z.optional(uint16),
  leafWeight: z.optional(uint16),
  weightDevice: z.optional(z.array(WeightDeviceSchema)),
  throttleReadBpsDevice: z.optional(z.array(ThrottleDeviceSchema)),
  throttleWriteBpsDevice: z.optional(z.array(ThrottleDeviceSchema)),
  throttleReadIOPSDevice: z.optional(z.array(ThrottleDeviceSchema)),
  throttleWriteIOPSDevice: z.optional(z.array(ThrottleDeviceSchema)),
});

/** config-linux.md#huge-page-limits. pageSize like "2MB". */
export const HugepageLimitSchema = z.looseObject({ pageSize: z.string(), limit: uint64 });

/** config-linux.md#network (net_cls / net_prio). */
export const NetworkResourcesSchema = z.looseObject({
  classID: z.optional(uint32),
  priorities: z.optional(z.array(z.looseObject({ name: z.string(), priority: uint32 }))),
});

/** config-linux.md#rdma, keyed by device name. */
export const RdmaSchema = z.looseObject({ hcaHandles: z.optional(uint32), hcaObjects: z.optional(uint32) });

/** config-linux.md#control-groups: parsed now, applied by src/cgroups. */
export const ResourcesSchema = z.looseObject({
  devices: z.optional(z.array(DeviceCgroupSchema)),
  memory: z.optional(MemorySchema),
  cpu: z.optional(CpuSchema),
  pids: z.optional(PidsSchema),
  blockIO: z.optional(BlockIoSchema),
  hugepageLimits: z.optional(z.array(HugepageLimitSchema)),
  network: z.optional(NetworkResourcesSchema),
  rdma: z.optional(z.record(z.string(), RdmaSchema)),
  /** cgroup v2 files written as-is: {"memory.high": "1G"}. */
  unified: z.optional(z.record(z.string(), z.string())),
});

/** config-linux.md#seccomp: the names libseccomp's seccomp.h uses. */
export const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
] as const;
const seccompAction = oneOf(SECCOMP_ACTIONS, 'a seccomp action');

export const SeccompArgSchema = z.looseObject({
  index: uint32,
  value: uint64,
  valueTwo: z.optional(uint64),
  op: oneOf(
    ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'],
    'a seccomp operator',
  ),
});

export const SeccompSyscallSchema = z.looseObject({
  /** "names MUST contain at least one entry." */
  names: z.array(z.string()).check(z.minLength(1)),
  action: seccompAction,
  errnoRet: z.optional(uint32),
  args: z.optional(z.array(SeccompArgSchema)),
});

export const SeccompSchema = z.looseObject({
  defaultAction: seccompAction,
  defaultErrnoRet: z.optional(uint32),
  /** The spec lists libseccomp 2.5's architectures; newer libseccomp has more, so only
   *  the prefix is checked. */
  architectures: z.optional(z.array(z.string().check(z.regex(/^SCMP_ARCH_[A-Z0-9_]+$/, { error: 'must be a libseccomp architecture (SCMP_ARCH_*)' })))),
  flags: z.optional(z.array(oneOf(
    ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
      'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
    'a seccomp filter flag',
  ))),
  listenerPath: z.optional(z.string()),
  listenerMetadata: z.optional(z.string()),
  syscalls: z.optional(z.array(SeccompSyscallSchema)),
});

/** config-linux.md#intelrdt. */
export const IntelRdtSchema = z.looseObject({
  closID: z.optional(z.string()),
  l3CacheSchema: z.optional(z.string()),
  memBwSchema: z.optional(z.string()),
  schemata: z.optional(z.string()),
  enableCMT: z.optional(z.boolean()),
  enableMBM: z.optional(z.boolean()),
});

/** config-linux.md#personality. */
export const PersonalitySchema = z.looseObject({
  domain: oneOf(['LINUX', 'LINUX32'], 'a personality domain'),
  flags: z.optional(stringList),
});

/** config-linux.md#offset-for-time-namespace, keyed by clock ("monotonic", "boottime"). */
export const TimeOffsetSchema = z.looseObject({ secs: z.optional(int64), nanosecs: z.optional(uint32) });

/**
 * config-linux.md#rootfs-mount-propagation names shared, slave, private and unbindable;
 * runc also accepts the recursive r* forms, and "" for unset, so ts-runc does too.
 */
export const ROOTFS_PROPAGATIONS = [
  'shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate', 'unbindable', 'runbindable',
] as const;

export const LinuxSchema = z.looseObject({
  namespaces: z.optional(z.array(NamespaceSchema)),
  uidMappings: z.optional(z.array(IdMappingSchema)),
  gidMappings: z.optional(z.array(IdMappingSchema)),
  devices: z.optional(z.array(DeviceSchema)),
  /** "The values MUST be absolute paths in the container namespace." */
  maskedPaths: z.optional(z.array(absolutePath)),
  readonlyPaths: z.optional(z.array(absolutePath)),
  rootfsPropagation: z.optional(oneOf([...ROOTFS_PROPAGATIONS, ''], 'a mount propagation', ROOTFS_PROPAGATIONS.join(', '))),
  sysctl: z.optional(z.record(z.string(), z.string())),
  resources: z.optional(ResourcesSchema),
  cgroupsPath: z.optional(z.string()),
  seccomp: z.optional(SeccompSchema),
  mountLabel: z.optional(z.string()),
  intelRdt: z.optional(IntelRdtSchema),
  personality: z.optional(PersonalitySchema),
  timeOffsets: z.optional(z.record(z.string(), TimeOffsetSchema)),
});

// ---------------------------------------------------------------------------------------
// The whole file (config.md)

/** The shape alone; `Spec` is its type. rules.ts adds the cross-field rules (SpecSchema) on top. */
export const SpecShape = z.looseObject({
  ociVersion: z.string().check(z.regex(semver, { error: (issue) => `${JSON.stringify(issue.input)} is not a SemVer 2.0.0 version` })),
  process: z.optional(ProcessSchema),
  /** Optional only on Windows/VMs (config.md#root); ts-runc is Linux-only. */
  root: RootSchema,
  hostname: z.optional(z.string()),
  domainname: z.optional(z.string()),
  mounts: z.optional(z.array(MountSchema)),
  hooks: z.optional(HooksSchema),
  /** config.md#annotations: "Keys MUST NOT be an empty string." */
  annotations: z.optional(z.record(z.string().check(z.minLength(1, { error: 'annotation keys must not be empty' })), z.string())),
  linux: z.optional(LinuxSchema),
});

export type Spec = z.infer<typeof SpecShape>;
export type SpecProcess = z.infer<typeof ProcessSchema>;
export type SpecUser = z.infer<typeof UserSchema>;
export type SpecCapabilities = z.infer<typeof CapabilitiesSchema>;
export type SpecRlimit = z.infer<typeof RlimitSchema>;
export type SpecRoot = z.infer<typeof RootSchema>;
export type SpecMount = z.infer<typeof MountSchema>;
export type SpecHook = z.infer<typeof HookSchema>;
export type SpecHooks = z.infer<typeof HooksSchema>;
export type SpecLinux = z.infer<typeof LinuxSchema>;
export type SpecNamespace = z.infer<typeof NamespaceSchema>;
export type SpecIdMapping = z.infer<typeof IdMappingSchema>;
export type SpecDevice = z.infer<typeof DeviceSchema>;
export type SpecResources = z.infer<typeof ResourcesSchema>;
export type SpecSeccomp = z.infer<typeof SeccompSchema>;
export type RootfsPropagation = (typeof ROOTFS_PROPAGATIONS)[number];
