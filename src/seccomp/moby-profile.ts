/**
 * Seccomp profiles in moby's format (what `docker run --security-opt seccomp=FILE` takes and
 * what Docker's default profile is written in) → the OCI `linux.seccomp` of one container.
 *
 * moby's format is OCI's plus conditions (moby/profiles seccomp.go):
 *   archMap     [{architecture, subArchitectures}]: the entry of the host's architecture
 *               becomes `architectures` (native first, then its compat ABIs: x86_64 lists
 *               x86 and x32, aarch64 lists arm)
 *   syscalls[i].includes / .excludes  {caps, arches, minKernel}: a rule is kept only if
 *               every `includes` condition holds (all its caps are in the bounding set, the
 *               host arch is one of its arches, the kernel is at least minKernel) and no
 *               `excludes` condition does (any of its caps, its arches, the kernel version)
 *   syscalls[i].name  an old spelling of `names: [name]`
 * An OCI profile (`architectures`, no conditions) passes through unchanged, as in Docker.
 *
 * This follows moby's setupSeccomp (profiles/seccomp/seccomp_linux.go) step by step, so the
 * resolved profile is the one Docker would hand runc for the same capabilities and host.
 * Pure: the host (arch, kernel) comes in as an argument.
 */
import { RuntimeError } from '../errors.js';
import type { SpecSeccomp } from '../spec/schema.js';

export interface MobyFilter {
  caps?: string[];
  arches?: string[];
  /** "<kernel>.<major>", e.g. "4.8" */
  minKernel?: string;
}

type SpecSyscall = NonNullable<SpecSeccomp['syscalls']>[number];

export interface MobySyscall {
  names?: string[];
  /** deprecated spelling of names: [name] */
  name?: string;
  action: SpecSyscall['action'];
  errnoRet?: number;
  args?: SpecSyscall['args'];
  comment?: string;
  includes?: MobyFilter;
  excludes?: MobyFilter;
}

export interface MobyProfile {
  defaultAction?: SpecSeccomp['defaultAction'];
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures?: string[] | null }[];
  flags?: SpecSeccomp['flags'];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: MobySyscall[];
}

export interface ResolveContext {
  /** the host, in libseccomp's native names as moby's filters spell them: "amd64", "arm64", "x86"... */
  arch: string;
  /** process.capabilities.bounding of the container */
  bounding: readonly string[];
  /** the host kernel's "<kernel>.<major>" (os.release()) */
  kernel: string;
}

/**
 * libseccomp's native arch name (moby's goToNative) by Node's process.arch, and the
 * SCMP_ARCH_* of each (moby's nativeToSeccomp).
 */
const NATIVE_BY_NODE_ARCH: Record<string, string> = {
  x64: 'amd64', arm64: 'arm64', ia32: 'x86', arm: 'arm', riscv64: 'riscv64', s390x: 's390x', ppc64: 'ppc64le', loong64: 'loong64',
};
const SCMP_ARCH_BY_NATIVE: Record<string, string> = {
  x86: 'SCMP_ARCH_X86', amd64: 'SCMP_ARCH_X86_64', arm: 'SCMP_ARCH_ARM', arm64: 'SCMP_ARCH_AARCH64',
  loong64: 'SCMP_ARCH_LOONGARCH64', ppc64le: 'SCMP_ARCH_PPC64LE', riscv64: 'SCMP_ARCH_RISCV64', s390x: 'SCMP_ARCH_S390X',
};

export function hostNativeArch(nodeArch: string = process.arch): string {
  return NATIVE_BY_NODE_ARCH[nodeArch] ?? nodeArch;
}

/**
 * The OCI profile for one container, or undefined when the profile turns seccomp off
 * (moby: no defaultAction and no syscalls). `source` names the profile in errors.
 */
export function resolveMobyProfile(profile: MobyProfile, context: ResolveContext, source: string): SpecSeccomp | undefined {
  if (typeof profile !== 'object' || profile === null || Array.isArray(profile)) throw new RuntimeError(`${source}: a seccomp profile must be a JSON object`);
  if (!profile.defaultAction && (profile.syscalls ?? []).length === 0) return undefined;
  if (!profile.defaultAction) throw new RuntimeError(`${source}: defaultAction is missing`);
  if ((profile.architectures ?? []).length > 0 && (profile.archMap ?? []).length > 0) {
    throw new RuntimeError(`${source}: both 'architectures' and 'archMap' are given; use one of them`);
  }
  if (profile.syscalls !== undefined && !Array.isArray(profile.syscalls)) throw new RuntimeError(`${source}: syscalls must be a list`);

  const { archMap, syscalls, ...common } = profile;
  const out: SpecSeccomp = { ...common, defaultAction: profile.defaultAction };
  const scmpArch = SCMP_ARCH_BY_NATIVE[context.arch];
  const entry = scmpArch === undefined ? undefined : (archMap ?? []).find((a) => a.architecture === scmpArch);
  if (entry) out.architectures = [...(out.architectures ?? []), entry.architecture, ...(entry.subArchitectures ?? [])];

  const kernel = parseKernel(context.kernel, 'the host kernel release');
  const rules: SpecSyscall[] = [];
  (syscalls ?? []).forEach((call, i) => {
    const at = `${source}: syscalls[${i}]`;
    if (call.name && (call.names ?? []).length > 0) throw new RuntimeError(`${at}: both 'name' and 'names' are given; use one of them`);
    const names = call.name ? [call.name] : (call.names ?? []);
    const { excludes, includes } = call;
    if (excludes) {
      if ((excludes.arches ?? []).includes(context.arch)) return;
      if ((excludes.caps ?? []).some((cap) => context.bounding.includes(cap))) return;
      if (excludes.minKernel && atLeast(kernel, parseKernel(excludes.minKernel, `${at}.excludes.minKernel`))) return;
    }
    if (includes) {
      if ((includes.arches ?? []).length > 0 && !includes.arches!.includes(context.arch)) return;
      if ((includes.caps ?? []).some((cap) => !context.bounding.includes(cap))) return;
      if (includes.minKernel && !atLeast(kernel, parseKernel(includes.minKernel, `${at}.includes.minKernel`))) return;
    }
    // moby keeps the rule's OCI part (specs.LinuxSyscall) and drops the conditions
    rules.push({
      names,
      action: call.action,
      ...(call.errnoRet !== undefined ? { errnoRet: call.errnoRet } : {}),
      ...(call.args !== undefined ? { args: call.args } : {}),
    });
  });
  out.syscalls = rules;
  return out;
}

type Kernel = [number, number];

/** moby's KernelVersion: only "<kernel>.<major>" count ("3.12.25-gentoo" is 3.12). */
function parseKernel(release: string, what: string): Kernel {
  const match = /^(\d+)\.(\d+)/.exec(release);
  if (!match) throw new RuntimeError(`${what}: ${JSON.stringify(release)} is not a kernel version "<kernel>.<major>"`);
  return [Number(match[1]), Number(match[2])];
}

function atLeast(have: Kernel, want: Kernel): boolean {
  return have[0] > want[0] || (have[0] === want[0] && have[1] >= want[1]);
}
