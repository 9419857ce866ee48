/* OCI hooks run by the init (createContainer, startContainer): run-hook; and the pause in
 * which Node runs the runtime's own (prestart, createRuntime): run-runtime-hooks. */
#include "init.h"

/* waitpid(2) with a deadline in seconds (0: none). A pidfd (pidfd_open(2)) becomes readable
 * when the process exits, so poll(2) can wait for "exited or timed out". Returns 1 if the
 * process had to be killed. */
static int wait_with_timeout(pid_t pid, long long timeout, int *status)
{
	int killed = 0;
	if (timeout > 0) {
		int pidfd = syscall(SYS_pidfd_open, pid, 0);
		if (pidfd >= 0) {
			struct pollfd p = { .fd = pidfd, .events = POLLIN };
			int ms = timeout > INT_MAX / 1000 ? INT_MAX : (int)timeout * 1000;
			int n;
			do
				n = poll(&p, 1, ms);
			while (n < 0 && errno == EINTR);
			if (n == 0) {
				kill(pid, SIGKILL);
				killed = 1;
			}
			close(pidfd);
		}
	}
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return killed;
}

int step_run_hook(const char *name, const char *path, char **argv, char **envp,
			 long long timeout, const char *state)
{
	char *default_argv[] = { (char *)path, NULL };
	int in[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return fail_sys(errno, "%s hook %s: pipe", name, path);
	pid_t pid = fork();
	if (pid < 0)
		return fail_sys(errno, "%s hook %s: fork", name, path);
	if (pid == 0) {
		/* OCI runtime-spec config.md#posix-platform-hooks: the state on stdin. */
		if (dup2(in[0], STDIN_FILENO) < 0)
			_exit(126);
		/* Before the root is switched (createContainer), the hook starts in the rootfs, as
		 * runc's does (rootfs_linux.go prepareRootfs: chdir(rootfs), then the hooks), so
		 * `mount --bind /x ./lib/x` lands in the container's /lib. root_fd is O_PATH,
		 * which fchdir(2) accepts. */
		if (root_fd >= 0 && fchdir(root_fd) < 0)
			_exit(126);
		execve(path, argv[0] ? argv : default_argv, envp);
		dprintf(STDERR_FILENO, "ts-runc-init: %s hook: execve(%s): %s\n", name, path, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	/* A hook may exit without reading its stdin. Ignore SIGPIPE while writing (only now,
	 * after the fork, so the hook itself does not inherit the "ignore"). */
	struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
	sigaction(SIGPIPE, &ignore, &old);
	write_full(in[1], state, strlen(state));
	sigaction(SIGPIPE, &old, NULL);
	close(in[1]);

	debug_log("ts-runc-init[%d]: %s hook %s started as pid %d", getpid(), name, path, pid);
	int status;
	int killed = wait_with_timeout(pid, timeout, &status);
	if (killed < 0)
		return fail_sys(errno, "%s hook %s: waitpid", name, path);
	if (killed)
		return fail(ETIMEDOUT, "%s hook %s: ran past specified timeout of %lld.0s", name, path, timeout);
	if (WIFSIGNALED(status))
		return fail(EINTR, "%s hook %s: killed by signal %d (%s)", name, path,
			    WTERMSIG(status), strsignal(WTERMSIG(status)));
	if (WEXITSTATUS(status) != 0)
		return fail(0, "%s hook %s: exit status %d", name, path, WEXITSTATUS(status));
	return 0;
}

/* runc's procHooks sync (libcontainer/rootfs_linux.go prepareRootfs, process_linux.go):
 * with the spec's mounts made and the root not yet switched, the init stops and Node runs
 * the prestart and createRuntime hooks, which may nsenter(1) the container by its pid and
 * see its mounts; then Node says RESUME and the createContainer hooks follow. */
int step_run_runtime_hooks(void)
{
	uint32_t len;
	if (send_message(sync_fd, MSG_HOOKS, NULL, -1) < 0)
		return fail_sys(errno, "send HOOKS to the runtime");
	uint8_t *payload = read_message(sync_fd, MSG_RESUME, &len);
	if (!payload)
		return fail_sys(errno, "wait for the runtime's prestart and createRuntime hooks");
	free(payload);
	return 0;
}
