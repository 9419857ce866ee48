/**
 * `container top CONTAINER [ps OPTIONS]` (GET /containers/{id}/top?ps_args=…): ps(1) run
 * on the host, its lines kept for the pids in the container's cgroup, as moby's
 * daemon/top_unix.go does: the header's words are the Titles, each line split into as
 * many fields, the last (the command) keeping its spaces.
 */
import { execFileSync } from 'node:child_process';
import { RuntimeError } from '../../errors.js';
import { cgroupPids } from '../../cgroups/cgroup.js';
import { ContainerStore } from '../containers/store.js';
import { containerView } from '../containers/status.js';
import { runningRuntime } from '../containers/runtime.js';

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

/** Parses ps output; only the rows whose PID is one of `pids`. */
export function parsePs(output: string, pids: number[]): TopResult {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidColumn = titles.indexOf('PID');
  if (pidColumn < 0) throw new RuntimeError(`top: couldn't find PID field in ps output (titles: ${titles.join(' ')})`);
  const wanted = new Set(pids);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < titles.length) continue;
    // the last column (CMD/COMMAND) keeps its spaces
    const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
    if (wanted.has(Number(row[pidColumn]))) processes.push(row);
  }
  return { Titles: titles, Processes: processes };
}

/** The processes of a running container; `psArgs` as ps(1) takes them ("-ef" by default, as docker's). */
export function topContainer(storage: string, reference: string, psArgs: string[] = ['-ef']): TopResult {
  const store = new ContainerStore(storage);
  const view = containerView(store, store.resolve(reference));
  const { cgroupPaths } = runningRuntime(view, 'top');
  const pids = cgroupPids(cgroupPaths);
  let output: string;
  try {
    output = execFileSync('ps', psArgs.length > 0 ? psArgs : ['-ef'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new RuntimeError(`top: ps ${psArgs.join(' ')} failed: ${stderr.trim() || String(error)}`);
  }
  return parsePs(output, pids);
}
