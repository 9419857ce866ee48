/**
 * uid_map and gid_map of a new user namespace (user_namespaces(7)), written by the parent
 * while the container process waits for its plan. Each line is "inside outside count".
 */
import { RuntimeError, errorMessage } from '../errors.js';
import type { Spec } from '../spec/schema.js';
import { kernelFiles } from '../sys/kernel-files.js';

interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

function format(mappings: IdMapping[]): string {
  return mappings.map((m) => `${m.containerID} ${m.hostID} ${m.size}`).join('\n') + '\n';
}

export function writeIdMaps(pid: number, spec: Spec): void {
  const uid = spec.linux?.uidMappings ?? [];
  const gid = spec.linux?.gidMappings ?? [];
  if (uid.length === 0 || gid.length === 0) {
    throw new RuntimeError('a user namespace needs linux.uidMappings and linux.gidMappings');
  }
  try {
    kernelFiles().write(`/proc/${pid}/uid_map`, format(uid));
    kernelFiles().write(`/proc/${pid}/gid_map`, format(gid));
  } catch (error) {
    throw new RuntimeError(`write uid/gid map of ${pid}: ${errorMessage(error)}`, { cause: error });
  }
}
