/**
 * Docker's `--security-opt` values, for `run --image` and `container run` alike (moved
 * here from src/cli/image-flags.ts so the engine can use them without importing the CLI).
 */
import { readFileSync } from 'node:fs';
import { RuntimeError, errorMessage } from '../errors.js';
import type { MobyProfile } from '../seccomp/moby-profile.js';
import type { ImageRunOptions, SeccompChoice } from './image-spec.js';

/**
 * Docker's `--security-opt` values that ts-runc applies (docker/cli opts.go
 * parseSecurityOpts: "key=value", or the older "key:value"):
 *   seccomp=unconfined     no filter
 *   seccomp=builtin        the default profile (Docker's name for it)
 *   seccomp=FILE           that profile (moby's format, or plain OCI linux.seccomp)
 *   no-new-privileges[=true|false]
 * Anything else (apparmor=, label=...) is refused rather than silently ignored.
 */
export function securityOptions(values: string[]): Pick<ImageRunOptions, 'seccomp' | 'noNewPrivileges'> {
  const out: { seccomp?: SeccompChoice; noNewPrivileges?: boolean } = {};
  for (const value of values) {
    const sep = /[=:]/.exec(value);
    const key = sep ? value.slice(0, sep.index) : value;
    const arg = sep ? value.slice(sep.index + 1) : undefined;
    const what = `--security-opt ${value}`;
    if (key === 'no-new-privileges') {
      if (arg !== undefined && arg !== 'true' && arg !== 'false') throw new RuntimeError(`${what}: expected no-new-privileges, no-new-privileges=true or =false`);
      out.noNewPrivileges = arg !== 'false';
    } else if (key === 'seccomp') {
      if (!arg) throw new RuntimeError(`${what}: expected seccomp=unconfined or seccomp=FILE`);
      // "builtin" is Docker's name for its default profile
      if (arg === 'builtin') delete out.seccomp;
      else out.seccomp = arg === 'unconfined' ? 'unconfined' : { profile: readProfile(arg, what), source: arg };
    } else {
      throw new RuntimeError(`${what}: not supported (ts-runc applies seccomp= and no-new-privileges)`);
    }
  }
  return out;
}

function readProfile(path: string, what: string): MobyProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RuntimeError(`${what}: cannot read the profile: ${errorMessage(error)}`, { cause: error });
  }
  let profile: unknown;
  try {
    profile = JSON.parse(text);
  } catch (error) {
    throw new RuntimeError(`${what}: ${path} is not valid JSON: ${errorMessage(error)}`, { cause: error });
  }
  if (typeof profile !== 'object' || profile === null || Array.isArray(profile)) throw new RuntimeError(`${what}: ${path} is not a seccomp profile (a JSON object)`);
  return profile as MobyProfile;
}
