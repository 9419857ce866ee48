/**
 * An image's config (image-spec config.md, `config` object) plus the `run` flags → the
 * config.json of a container made from it (runtime-spec config.md). This is what Docker's
 * daemon does between `docker run` and calling runc; the result is an ordinary bundle that
 * `ts-runc bundle --image` prints and `ts-runc run -b` runs unchanged.
 *
 *   process.args   Entrypoint + Cmd. A command after the image replaces Cmd; --entrypoint
 *                  replaces Entrypoint AND drops the image's Cmd (Docker's rule: the
 *                  image's Cmd was written as arguments for the image's Entrypoint)
 *   process.env    the image's Env, then each -e K=V by key (-e K takes K from our env)
 *   process.cwd    -w, else WorkingDir, else "/"
 *   process.user   -u, else User, through the image's /etc/passwd and /etc/group (users.ts)
 *   annotations    Labels; StopSignal as org.opencontainers.image.stopSignal (`kill`
 *                  without a signal sends it); ExposedPorts as io.ts-runc.image.exposed-ports
 *   mounts         the runtime's defaults, then the volumes (src/engine/volumes/mounts.ts)
 *   linux.seccomp  Docker's default profile (or --security-opt seccomp=FILE), resolved
 *                  against the capabilities above and the host (seccomp/moby-profile.ts);
 *                  none with seccomp=unconfined
 *
 * Pure: the unit tests check the whole Entrypoint/Cmd/Env/User matrix without root.
 */
import { release } from 'node:os';
import { RuntimeError } from '../errors.js';
import { DEFAULT_PROFILE, DEFAULT_PROFILE_SOURCE } from '../seccomp/default-profile.js';
import { hostNativeArch, resolveMobyProfile, type MobyProfile } from '../seccomp/moby-profile.js';
import { defaultSpec } from '../spec/defaults.js';
import type { Spec, SpecMount } from '../spec/schema.js';
import type { ImageConfig } from './types.js';
import { resolveUser, type EtcFiles } from './users.js';

export const STOP_SIGNAL_ANNOTATION = 'org.opencontainers.image.stopSignal';
export const EXPOSED_PORTS_ANNOTATION = 'io.ts-runc.image.exposed-ports';
export const IMAGE_ID_ANNOTATION = 'io.ts-runc.image.id';
export const IMAGE_NAME_ANNOTATION = 'io.ts-runc.image.name';

/** Docker's default PATH, for images whose Env has none (and for `image import`). */
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Docker's default capability set (moby oci/caps/defaults.go): what images expect root
 * in a container to be able to do (chown files, bind low ports, setuid to a service
 * user...), and nothing that reaches the host (no SYS_ADMIN, NET_ADMIN, SYS_MODULE).
 */
const DOCKER_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** The `run` flags that shape the process. */
export interface ImageRunOptions {
  /** container id: the default hostname is its first 12 characters, as Docker's */
  id: string;
  /** the words after the image (or after `--`): replace the image's Cmd */
  command: string[];
  /** --entrypoint: replaces Entrypoint; "" clears it */
  entrypoint?: string;
  /** -e K=V or -e K, in order */
  env: string[];
  /** -w */
  workdir?: string;
  /** -u */
  user?: string;
  hostname?: string;
  /** -t: process.terminal */
  terminal: boolean;
  /** bind mounts for volumes, made by src/engine/volumes/mounts.ts */
  mounts: SpecMount[];
  /** --security-opt seccomp=: Docker's default profile when absent */
  seccomp?: SeccompChoice;
  /** --security-opt no-new-privileges[=false]: process.noNewPrivileges (else the default spec's, true) */
  noNewPrivileges?: boolean;
}

/** `unconfined`, or a profile in moby's (or OCI's) format and where it came from. */
export type SeccompChoice = 'unconfined' | { profile: MobyProfile; source: string };

/** What the seccomp profile's conditions are resolved against (moby-profile.ts). */
export interface SeccompHost {
  /** libseccomp's native arch name: "amd64", "arm64"... */
  arch: string;
  /** os.release() */
  kernel: string;
}

export interface ImageSource {
  id: string;
  /** the reference the user gave ("fixture:3layers") */
  name: string;
  config: ImageConfig;
}

export function imageSpec(
  image: ImageSource,
  options: ImageRunOptions,
  etc: EtcFiles,
  hostEnv: NodeJS.ProcessEnv = process.env,
  host: SeccompHost = { arch: hostNativeArch(), kernel: release() },
): Spec {
  const config = image.config.config ?? {};
  const spec = defaultSpec({ rootless: false });
  const user = resolveUser(options.user ?? config.User ?? '', etc);
  const hostname = options.hostname ?? options.id.slice(0, 12);
  const cwd = options.workdir ?? (config.WorkingDir || '/');
  if (!cwd.startsWith('/')) throw new RuntimeError(`working directory ${JSON.stringify(cwd)} is not an absolute path`);

  spec.root = { path: 'rootfs', readonly: false };
  spec.hostname = hostname;
  spec.process = {
    ...spec.process!,
    terminal: options.terminal,
    args: processArgs(config.Entrypoint, config.Cmd, options),
    env: processEnv(config.Env ?? [], options.env, { HOSTNAME: hostname, HOME: user.home, ...(options.terminal ? { TERM: 'xterm' } : {}) }, hostEnv),
    cwd,
    user: { uid: user.uid, gid: user.gid, ...(user.additionalGids.length > 0 ? { additionalGids: user.additionalGids } : {}) },
    capabilities: { bounding: [...DOCKER_CAPS], effective: [...DOCKER_CAPS], permitted: [...DOCKER_CAPS] },
    // runc spec's default (true) unless --security-opt no-new-privileges=false says otherwise
    ...(options.noNewPrivileges !== undefined ? { noNewPrivileges: options.noNewPrivileges } : {}),
  };
  // As Docker's daemon does (daemon/seccomp_linux.go WithSeccomp): after the capabilities,
  // since the profile's conditions read the bounding set.
  const seccomp = options.seccomp ?? { profile: DEFAULT_PROFILE, source: DEFAULT_PROFILE_SOURCE };
  if (seccomp !== 'unconfined') {
    const resolved = resolveMobyProfile(seccomp.profile, { ...host, bounding: spec.process.capabilities?.bounding ?? [] }, seccomp.source);
    if (resolved) spec.linux = { ...spec.linux, seccomp: resolved };
  }
  spec.mounts = [...(spec.mounts ?? []), ...options.mounts];
  spec.annotations = imageAnnotations(image);
  return spec;
}

/** Entrypoint + Cmd with Docker's override rules; an empty result is an error, not `sh`. */
export function processArgs(
  entrypoint: string[] | null | undefined,
  cmd: string[] | null | undefined,
  options: Pick<ImageRunOptions, 'command' | 'entrypoint'>,
): string[] {
  let args: string[];
  if (options.entrypoint !== undefined) {
    args = [...(options.entrypoint === '' ? [] : [options.entrypoint]), ...options.command];
  } else {
    args = [...(entrypoint ?? []), ...(options.command.length > 0 ? options.command : (cmd ?? []))];
  }
  if (args.length === 0) throw new RuntimeError('no command specified: the image has no Entrypoint or Cmd, give one after the image');
  return args;
}

/**
 * The image's Env, overridden by -e in order; `defaults` (HOSTNAME, HOME, TERM) only fill
 * in what neither set, and PATH gets the usual default when the image has none.
 */
export function processEnv(imageEnv: string[], flags: string[], defaults: Record<string, string>, hostEnv: NodeJS.ProcessEnv): string[] {
  const env = new Map<string, string>();
  const set = (entry: string) => {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new RuntimeError(`environment variable ${JSON.stringify(entry)} is not KEY=VALUE`);
    env.set(entry.slice(0, eq), entry.slice(eq + 1));
  };
  imageEnv.forEach(set);
  for (const flag of flags) {
    if (flag.includes('=')) set(flag);
    else if (!flag) throw new RuntimeError('environment variable: empty name');
    // Docker's `-e NAME`: pass our own value on, or nothing if we have none.
    else if (hostEnv[flag] !== undefined) env.set(flag, hostEnv[flag]);
  }
  if (!env.has('PATH')) set(DEFAULT_PATH);
  for (const [key, value] of Object.entries(defaults)) if (!env.has(key)) env.set(key, value);
  return [...env].map(([key, value]) => `${key}=${value}`);
}

function imageAnnotations(image: ImageSource): Record<string, string> {
  const config = image.config.config ?? {};
  const annotations: Record<string, string> = { ...(config.Labels ?? {}) };
  annotations[IMAGE_ID_ANNOTATION] = image.id;
  annotations[IMAGE_NAME_ANNOTATION] = image.name;
  if (config.StopSignal) annotations[STOP_SIGNAL_ANNOTATION] = config.StopSignal;
  const ports = Object.keys(config.ExposedPorts ?? {}).map((p) => (p.includes('/') ? p : `${p}/tcp`));
  if (ports.length > 0) annotations[EXPOSED_PORTS_ANNOTATION] = ports.sort().join(',');
  return annotations;
}
