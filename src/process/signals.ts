/** Signal names and numbers, as `kill` accepts them: "TERM", "SIGTERM" or "15". */
import { constants } from 'node:os';
import { RuntimeError, errorCode, errorMessage } from '../errors.js';

const byName = constants.signals as Record<string, number>;

/**
 * `allowZero`: signal 0 sends nothing but still checks that the process exists and may be
 * signalled (kill(2)), so `kill ID 0` is a liveness probe; runc's kill takes any number.
 */
export function parseSignal(text: string, allowZero = false): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if ((n >= 1 || (allowZero && n === 0)) && n <= 64) return n;
  } else {
    const upper = text.toUpperCase();
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    const n = byName[name];
    if (n !== undefined) return n;
  }
  throw new RuntimeError(`invalid signal ${JSON.stringify(text)}`);
}

export function signalNumber(name: string): number {
  return byName[name] ?? 0;
}

/**
 * kill(2) one process; false if it is already gone (ESRCH). kill(2) reads a pid of 0 as
 * "my process group", -1 as "every process I may signal" and -N as "process group N", so
 * anything but a positive pid is refused here: the caller has a bug, and must not take
 * itself or the host down with it (issue 9 item 2: a state's pid 0 killed ts-runc itself).
 */
export function signalProcess(pid: number, signal: number | NodeJS.Signals): boolean {
  if (!Number.isInteger(pid) || pid <= 0) throw new RuntimeError(`refusing to signal pid ${pid}: not one process`);
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ESRCH') return false;
    throw new RuntimeError(`kill ${pid}: ${errorMessage(error)}`, { cause: error, code: errorCode(error) });
  }
}
