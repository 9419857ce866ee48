/** Docker's exit statuses for what ts-runc itself could not do (docker run's 125/126/127). */
import { RuntimeError, errorMessage } from '../../errors.js';

/**
 * Docker's statuses for a container that could not start: 127 when the command is not
 * found, 126 when it cannot be invoked (not executable, a directory, no permission),
 * 125 for every other failure of ts-runc itself.
 */
export function startExitCode(error: unknown): number {
  const message = errorMessage(error);
  if (/exec: "/.test(message)) {
    if (/ENOENT|not found/.test(message)) return 127;
    if (/EACCES|ENOEXEC|EISDIR|EPERM|permission denied/i.test(message)) return 126;
  }
  if (error instanceof RuntimeError && (error.exitCode === 126 || error.exitCode === 127)) return error.exitCode;
  return 125;
}
