/**
 * Freezing a container's cgroup, for `pause` and `resume`.
 *
 *   v1  freezer.state: write FROZEN / THAWED; it reads FREEZING until every task has
 *       stopped (Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst)
 *   v2  cgroup.freeze: write 1 / 0; cgroup.events says "frozen 1" once done (cgroup-v2.rst)
 *
 * On a hybrid host the v1 freezer is used, as runc does; the v2 tree there has no
 * processes' controllers, though it has cgroup.freeze.
 */
import { join } from 'node:path';
import { RuntimeError, errorCode, errorMessage } from '../errors.js';
import { kernelFiles } from '../sys/kernel-files.js';

export type FreezerState = 'frozen' | 'thawed' | 'freezing';

interface Freezer {
  version: 1 | 2;
  dir: string;
}

function freezerOf(paths: Record<string, string>): Freezer | undefined {
  const v1 = Object.keys(paths).find((k) => k.split(',').includes('freezer'));
  if (v1) return { version: 1, dir: paths[v1]! };
  const v2 = paths['unified'];
  return v2 ? { version: 2, dir: v2 } : undefined;
}

/** The freezer's state; undefined when there is no freezer or the cgroup is gone. */
export function freezerState(paths: Record<string, string>): FreezerState | undefined {
  const freezer = freezerOf(paths);
  if (!freezer) return undefined;
  try {
    if (freezer.version === 1) {
      const state = kernelFiles().read(join(freezer.dir, 'freezer.state')).trim();
      return state === 'FROZEN' ? 'frozen' : state === 'FREEZING' ? 'freezing' : 'thawed';
    }
    const events = kernelFiles().read(join(freezer.dir, 'cgroup.events'));
    if (/^frozen 1$/m.test(events)) return 'frozen';
    return kernelFiles().read(join(freezer.dir, 'cgroup.freeze')).trim() === '1' ? 'freezing' : 'thawed';
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function write(freezer: Freezer, frozen: boolean): void {
  const [file, value] = freezer.version === 1
    ? ['freezer.state', frozen ? 'FROZEN' : 'THAWED']
    : ['cgroup.freeze', frozen ? '1' : '0'];
  try {
    kernelFiles().write(join(freezer.dir, file), value);
  } catch (error) {
    throw new RuntimeError(`write ${value} to ${join(freezer.dir, file)}: ${errorMessage(error)}`, { cause: error, code: errorCode(error) });
  }
}

/** Freeze every process in the cgroup and wait until the kernel says they all are. */
export async function freeze(paths: Record<string, string>, timeoutMs = 10_000): Promise<void> {
  const freezer = freezerOf(paths);
  if (!freezer) throw new RuntimeError('the container has no freezer cgroup (v1 freezer controller or cgroup v2)');
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    // v1 can stay FREEZING while a task is in an uninterruptible sleep; writing FROZEN
    // again retries the tasks that were missed (runc fs/freezer.go does the same).
    if (attempt % 10 === 0) write(freezer, true);
    if (freezerState(paths) === 'frozen') return;
    if (Date.now() > deadline) {
      write(freezer, false);
      throw new RuntimeError(`the cgroup ${freezer.dir} did not freeze within ${timeoutMs} ms; thawed it again`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function thaw(paths: Record<string, string>): void {
  const freezer = freezerOf(paths);
  if (!freezer) throw new RuntimeError('the container has no freezer cgroup (v1 freezer controller or cgroup v2)');
  write(freezer, false);
}
