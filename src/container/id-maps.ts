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

/** The two writes, as data: `create` makes them, `ts-runc explain` prints them. */
export function idMapWrites(pid: number | string, spec: Spec): { file: string; value: string }[] {
  const uid = spec.linux?.uidMappings ?? [];
  const gid = spec.linux?.gidMappings ?? [];
  if (uid.length === 0 || gid.length === 0) {
    throw new RuntimeError('a user namespace needs linux.uidMappings and linux.gidMappings');
  }
  return [{ file: `/proc/${pid}/uid_map`, value: format(uid) }, { file: `/proc/${pid}/gid_map`, value: format(gid) }];
}

export function writeIdMaps(pid: number, spec: Spec): void {
  const writes = idMapWrites(pid, spec);
  try {
    for (const { file, value } of writes) kernelFiles().write(file, value);
  } catch (error) {
    throw new RuntimeError(`write uid/gid map of ${pid}: ${errorMessage(error)}`, { cause: error });
  }
}
