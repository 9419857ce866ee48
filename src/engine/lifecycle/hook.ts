/**
 * `ts-runc container _hook <id> init|cleanup|health`: what the per-container monitor runs
 * (src/engine/README.md). The monitor knows nothing of containers; these do the work:
 *
 *   init     mount the overlay, write config.json from the record, create and start the
 *            container with the monitor's fds 0-2 as its stdio; report {"pid":N}, or
 *            {"error":…,"exitCode":125|126|127}, as ONE JSON line on fd 3
 *   cleanup  the container's init has exited: runtime delete, unmount, network teardown;
 *            report {"oomKilled":bool}; --rm removes the container entirely
 *   health   one healthcheck run (health.ts)
 *
 * Fds 1 and 2 are the container's: the hook's own errors go to fd 3 (and to --log, which
 * the monitor's hook command line sets to <dir>/hook.log), never to them.
 */
import { writeSync } from 'node:fs';
import { errorMessage } from '../../errors.js';
import { log } from '../../log.js';
import { ContainerStore } from '../containers/store.js';
import { startExitCode } from './exit-codes.js';

/** fd 3: the report pipe the monitor reads (one JSON line). */
const REPORT_FD = 3;

function report(value: object): void {
  try {
    writeSync(REPORT_FD, `${JSON.stringify(value)}\n`);
  } catch {
    // no report pipe (run by hand): the exit status still tells
  }
}

export async function runHook(storage: string, id: string, phase: 'init' | 'cleanup' | 'health'): Promise<number> {
  const store = new ContainerStore(storage);
  try {
    switch (phase) {
      case 'init': {
        // each phase loads only its own modules: the hook is a fresh Node process every time
        const { initContainer } = await import('./hook-init.js');
        const pid = await initContainer(store, id);
        report({ pid });
        return 0;
      }
      case 'cleanup': {
        const { cleanupContainer } = await import('./hook-cleanup.js');
        const oomKilled = await cleanupContainer(store, id, {
          exitCode: Number(process.env.TS_RUNC_EXIT_CODE ?? '0'),
          restarting: process.env.TS_RUNC_RESTARTING === '1',
        });
        report({ oomKilled });
        return 0;
      }
      case 'health': {
        const { runHealthcheck } = await import('./health.js');
        await runHealthcheck(store, id);
        return 0;
      }
    }
  } catch (error) {
    const message = errorMessage(error);
    log().error(`${phase} ${id}: ${message}`);
    report({ error: message, exitCode: startExitCode(error) });
    return 1;
  }
}
