/**
 * The STATUS column and the API's `Status` string, as Docker's daemon writes them
 * (moby container/state.go State.String): "Up 3 seconds", "Up 3 seconds (healthy)",
 * "Up 2 minutes (Paused)", "Restarting (1) 2 seconds ago", "Exited (137) 2 minutes ago",
 * "Created", "Dead".
 */
import { humanDuration } from '../format/humanize.js';
import { ZERO_TIME, type DockerState } from '../containers/status.js';

function since(iso: string, now: number): string {
  return humanDuration(now - Date.parse(iso));
}

export function statusText(state: DockerState, now = Date.now()): string {
  if (state.Running) {
    if (state.Paused) return `Up ${since(state.StartedAt, now)} (Paused)`;
    if (state.Restarting) return `Restarting (${state.ExitCode}) ${since(state.FinishedAt, now)} ago`;
    const health = state.Health?.Status;
    if (health && health !== 'none') return `Up ${since(state.StartedAt, now)} (${health === 'starting' ? 'health: starting' : health})`;
    return `Up ${since(state.StartedAt, now)}`;
  }
  if (state.Status === 'removing') return 'Removal In Progress';
  if (state.Dead) return 'Dead';
  if (state.StartedAt === ZERO_TIME) return 'Created';
  if (state.FinishedAt === ZERO_TIME) return '';
  return `Exited (${state.ExitCode}) ${since(state.FinishedAt, now)} ago`;
}
