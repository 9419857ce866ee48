/**
 * `container pause` / `unpause` (POST /containers/{id}/pause, /unpause): freeze and thaw
 * the container's cgroup through the runtime's pause/resume (src/container/pause.ts,
 * resume.ts; the cgroup freezer). The monitor is not told: a frozen container just stops
 * running, and status.ts reads the freezer, so ls shows "Up … (Paused)" and inspect
 * State.Paused.
 */
import { RuntimeError } from '../../errors.js';
import { pauseContainer as runtimePause } from '../../container/pause.js';
import { resumeContainer as runtimeResume } from '../../container/resume.js';
import { ContainerStore } from './store.js';
import { containerView } from './status.js';
import { runningRuntime } from './runtime.js';

export async function pauseContainer(storage: string, reference: string): Promise<void> {
  const store = new ContainerStore(storage);
  const view = containerView(store, store.resolve(reference));
  if (view.state.Paused) throw new RuntimeError(`pause ${reference}: container ${view.record.Id.slice(0, 12)} is already paused`);
  if (view.state.Restarting) throw new RuntimeError(`pause ${reference}: container ${view.record.Id.slice(0, 12)} is restarting, wait until it is running`);
  const { runtime } = runningRuntime(view, 'pause');
  await runtimePause(runtime, view.record.Id);
}

export async function unpauseContainer(storage: string, reference: string): Promise<void> {
  const store = new ContainerStore(storage);
  const view = containerView(store, store.resolve(reference));
  if (!view.state.Paused) throw new RuntimeError(`unpause ${reference}: container ${view.record.Id.slice(0, 12)} is not paused`);
  const { runtime } = runningRuntime(view, 'unpause');
  runtimeResume(runtime, view.record.Id);
}
