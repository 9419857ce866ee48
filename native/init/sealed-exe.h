/*
 * Run ts-runc-init from a sealed in-memory copy of itself, so that no process of a
 * container can reach the host's binary through /proc/<pid>/exe (CVE-2019-5736).
 * sealed-exe.c says why and how.
 */
#ifndef TSRUNC_SEALED_EXE_H
#define TSRUNC_SEALED_EXE_H

/*
 * Returns 0 when this process already runs from a sealed copy. Otherwise makes one and
 * re-executes it with the same argv, environment and fds, so it returns only on failure:
 * -1, after saying why on stderr. Call it first thing in main().
 */
int run_from_sealed_copy(char **argv);

#endif
