/**
 * Waiting for a process in the foreground (`run`, `exec` without --detach): stage 0 of the
 * init stays alive as its parent, so its exit status is the process's (128+N for signal N).
 * Signals the user sends us are forwarded to stage 0, which forwards them into the
 * container; a pty, if any, is attached to our terminal meanwhile.
 */
import { attachTerminal } from '../process/console.js';
import type { InitProcess } from '../process/init-process.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export async function waitInForeground(init: InitProcess, master: number | undefined): Promise<number> {
  const detachTerminal = master === undefined ? undefined : attachTerminal(master);
  const forward = (signal: NodeJS.Signals) => { init.child.kill(signal); };
  for (const signal of FORWARDED) process.on(signal, forward);
  try {
    return await init.exited;
  } finally {
    for (const signal of FORWARDED) process.off(signal, forward);
    await detachTerminal?.();
  }
}
