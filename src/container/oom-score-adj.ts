/**
 * process.oomScoreAdj (config.md#linux-process), written by the parent to
 * /proc/<pid>/oom_score_adj once the container's (or the exec'd) process exists and before
 * its plan runs, as the id maps are (id-maps.ts).
 *
 * Not by the process itself: the init makes itself non-dumpable (native/init/main.c, and
 * becoming root in a new user namespace does so too), and the /proc/<pid> files of a
 * non-dumpable process belong to the host's root (proc(5), PR_SET_DUMPABLE in prctl(2)),
 * who is unmapped in a user namespace: the write failed with EACCES there. runc writes it
 * before that point as well. ts-runc runs as the host's root, which may also lower the
 * value (CAP_SYS_RESOURCE, proc(5)). The value is inherited by the process's children.
 */
import { RuntimeError, errorMessage } from '../errors.js';
import { kernelFiles } from '../sys/kernel-files.js';

export function writeOomScoreAdj(pid: number, value: number | undefined): void {
  // "If oomScoreAdj is not set, the runtime MUST NOT change the value of oom_score_adj."
  if (value === undefined) return;
  const path = `/proc/${pid}/oom_score_adj`;
  try {
    kernelFiles().write(path, String(value));
  } catch (error) {
    throw new RuntimeError(`write ${value} to ${path} (process.oomScoreAdj): ${errorMessage(error)}`, { cause: error });
  }
}
