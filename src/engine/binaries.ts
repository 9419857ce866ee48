/**
 * Where the engine's C programs are: build/ts-runc-monitor and build/ts-runc-pid1, found
 * like the runtime's init (src/process/init-process.ts): two levels up from this file,
 * which is dist/engine/ when compiled and dist/bundle/ when bundled, and
 * PREFIX/lib/ts-runc/dist/… once installed (scripts/install.sh copies build/ there too).
 * TSRUNC_MONITOR and TSRUNC_PID1 override them for development.
 */
import { fileURLToPath } from 'node:url';

export function monitorBinary(): string {
  return process.env.TSRUNC_MONITOR || fileURLToPath(new URL('../../build/ts-runc-monitor', import.meta.url));
}

/** The static init that `container run --init` copies into the container (never a bind mount). */
export function pid1Binary(): string {
  return process.env.TSRUNC_PID1 || fileURLToPath(new URL('../../build/ts-runc-pid1', import.meta.url));
}
