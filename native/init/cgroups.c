/*
 * The container's cgroups, joined by stage 0 without the kernel's global lock (issue 14).
 *
 * Writing another process's pid into cgroup.procs takes cgroup_threadgroup_rwsem for
 * writing, and the first writer after a quiet spell waits for an RCU grace period before
 * the lock's per-CPU fast path is off (kernel/rcu/sync.c): 5-27 ms measured here, on every
 * create and exec, runc's as well. Two ways in skip that lock:
 *   - a single thread moving *itself* into a v1 hierarchy, by writing "0" to its `tasks`
 *     file (kernel/cgroup/cgroup.c, cgroup_procs_write_start: "If we migrate a single
 *     thread, we don't care about threadgroup stability ... we can skip the global lock");
 *   - clone3(2) with CLONE_INTO_CGROUP, which starts the child in a cgroup2 directory under
 *     the lock's read side only (cgroup_css_set_fork; Linux 5.7).
 * Stage 0 is single-threaded, so it joins each v1 cgroup itself before clone(2); the
 * container process inherits them, and stage 0 goes back to its own (the caller's) right
 * after, so that only the container's processes are ever counted in them once it runs.
 * Every file is opened before setns(2): an exec joins the container's mount namespace,
 * where the host's cgroupfs paths may not resolve.
 */
#include "init.h"

static int *join_fds, *return_fds;
static int into_fd = -1;

static int open_all(const char **paths, int n, int **fds)
{
	*fds = calloc(n ? n : 1, sizeof **fds);
	if (!*fds)
		return fail(ENOMEM, "cgroup files");
	for (int i = 0; i < n; i++) {
		(*fds)[i] = open(paths[i], O_WRONLY | O_CLOEXEC);
		if ((*fds)[i] < 0)
			return fail_sys(errno, "open(%s)", paths[i]);
	}
	return 0;
}

int open_cgroup_files(void)
{
	if (open_all(config.cgroup_join, config.ncgroup_join, &join_fds) < 0 ||
	    open_all(config.cgroup_return, config.ncgroup_return, &return_fds) < 0)
		return -1;
	if (*config.cgroup_into) {
		into_fd = open(config.cgroup_into, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (into_fd < 0)
			return fail_sys(errno, "open(%s)", config.cgroup_into);
	}
	return 0;
}

/* Write "0" to each `tasks` file: this thread moves into that cgroup (cgroups(7), v1). */
static int move_self(int *fds, const char **paths, int n, const char *what)
{
	for (int i = 0; i < n; i++) {
		if (write(fds[i], "0", 1) < 0)
			return fail_sys(errno, "%s cgroup: write 0 to %s", what, paths[i]);
		close(fds[i]);
		fds[i] = -1;
	}
	return 0;
}

int join_cgroups(void)
{
	return move_self(join_fds, config.cgroup_join, config.ncgroup_join, "join");
}

int leave_cgroups(void)
{
	return move_self(return_fds, config.cgroup_return, config.ncgroup_return, "leave");
}

/* struct clone_args (include/uapi/linux/sched.h), spelled out: <linux/sched.h> and glibc's
 * <sched.h> define the CLONE_* names twice. */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};
#define CLONE_INTO_CGROUP 0x200000000ULL

/*
 * fork(2)-like clone with `flags`, into the cgroup2 directory of `cgroup-into` when there is
 * one. *into says whether it got there. If clone3 fails for any reason, a plain clone(2)
 * follows and Node writes the pid into cgroup.procs, as it always could, with its own
 * error if that fails too: a kernel before 5.7 (ENOSYS, or EINVAL for the unknown flag), a
 * seccomp filter refusing clone3, or an exec whose stage 0 is already in the container's
 * user namespace (EACCES on the host's cgroupfs) or cgroup namespace under nsdelegate
 * (ENOENT).
 */
pid_t clone_into_cgroup(unsigned long flags, bool *into)
{
	*into = false;
	if (into_fd >= 0) {
		struct clone3_args args = {
			.flags = flags | CLONE_INTO_CGROUP,
			.exit_signal = SIGCHLD,
			.cgroup = (uint64_t)into_fd,
		};
		pid_t pid = syscall(SYS_clone3, &args, sizeof args);
		if (pid >= 0) {
			*into = true;
			return pid;
		}
	}
	return syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
}

/* Stage 1: the fds stage 0 still holds (the cgroups to go back to, the cgroup2 directory). */
void close_cgroup_files(void)
{
	for (int i = 0; i < config.ncgroup_return; i++)
		if (return_fds[i] >= 0)
			close(return_fds[i]);
	if (into_fd >= 0)
		close(into_fd);
	into_fd = -1;
}
