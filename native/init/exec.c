/* The end of the plan: the start barrier, finding the program, fds, and execve(2). */
#include "init.h"

/*
 * The create/start barrier, as runc's exec.fifo but in two FIFOs that never make either
 * side wait for the other to open (open_fifo in stage0.c): `start` opens report.fifo for
 * reading, then writes one byte into start.fifo; we read it and go on to execve(2).
 */
int step_wait_for_start(void)
{
	if (start_fifo_fd < 0)
		return fail(EINVAL, "wait-for-start: no start FIFO was given");
	if (send_message(sync_fd, MSG_READY, NULL, -1) < 0)
		return fail_sys(errno, "send READY");
	/* Node's `create` is done with us; from here on `start` is the one we answer to. */
	close(sync_fd);
	sync_fd = -1;

	char go; /* its value means nothing: that a byte came is the signal */
	ssize_t n;
	do
		n = read(start_fifo_fd, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1) {
		report_fd = -1; /* nobody left to tell but stderr */
		return fail_sys(n < 0 ? errno : EPIPE, "read(%s)", config.start_fifo);
	}
	close(start_fifo_fd);
	start_fifo_fd = -1;
	/* Close-on-exec: `start` sees EOF exactly when execve succeeds, or an ERROR. */
	report_fd = report_fifo_fd;
	return 0;
}

static const char *env_lookup(char *const envp[], const char *name)
{
	size_t len = strlen(name);
	for (; *envp; envp++)
		if (!strncmp(*envp, name, len) && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}

/*
 * Find `path` as execvpe(3) would, but with PATH from the container's environment, not
 * ours: a name with a '/' is taken as it is; otherwise each PATH entry is tried (an empty
 * entry means the current directory). The first regular file we may execute wins.
 */
static int find_executable(const char *path, char *const envp[], char found[PATH_MAX])
{
	struct stat st;
	if (strchr(path, '/')) {
		snprintf(found, PATH_MAX, "%s", path);
		if (stat(found, &st) < 0)
			return fail_sys(errno, "exec: \"%s\"", path);
		if (!S_ISREG(st.st_mode) || access(found, X_OK) < 0)
			return fail_sys(EACCES, "exec: \"%s\"", path);
		return 0;
	}
	const char *search = env_lookup(envp, "PATH");
	if (!search)
		search = DEFAULT_PATH;
	bool denied = false;
	for (const char *dir = search;; dir++) {
		size_t n = strcspn(dir, ":");
		snprintf(found, PATH_MAX, "%.*s/%s", (int)(n ? n : 1), n ? dir : ".", path);
		if (stat(found, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(found, X_OK) == 0)
				return 0;
			denied = true;
		}
		dir += n;
		if (!*dir)
			break;
	}
	if (denied)
		return fail_sys(EACCES, "exec: \"%s\"", path);
	return fail(ENOENT, "exec: \"%s\": executable file not found in $PATH", path);
}

/* find-executable: fail at create, as runc does, rather than after start (podman turns
 * this error into exit status 127). */
int step_find_executable(const char *path, char **envp)
{
	char found[PATH_MAX];
	return find_executable(path, envp, found);
}

/*
 * Mark every fd above stdio and the preserved ones close-on-exec rather than closing it:
 * the report socket or FIFO must stay open until execve(2) has succeeded, in case it fails.
 * The plan runs this before the seccomp filter (compile.ts withSeccomp), as runc marks its
 * fds in finalizeNamespace, so a profile without close_range(2) still works. Kernels before
 * 5.11 lack CLOSE_RANGE_CLOEXEC (EINVAL) or close_range itself (ENOSYS): then each fd in
 * /proc/self/fd is marked with fcntl(2), as runc's CloseExecFrom does.
 */
int step_close_fds(void)
{
	unsigned first = 3 + config.preserve_fds;
	if (close_range(first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return fail_sys(errno, "close_range(%u, ~0, CLOSE_RANGE_CLOEXEC)", first);
	DIR *dir = opendir("/proc/self/fd");
	if (!dir)
		return fail_sys(errno, "close_range is not available, and opendir(/proc/self/fd)");
	for (struct dirent *entry; (entry = readdir(dir));) {
		int fd = atoi(entry->d_name);
		if (entry->d_name[0] != '.' && fd >= (int)first && fd != dirfd(dir))
			fcntl(fd, F_SETFD, FD_CLOEXEC | fcntl(fd, F_GETFD));
	}
	closedir(dir);
	return 0;
}

/* envp plus default_home (from lookup-home) when envp has no non-empty HOME. */
static char **with_home(char **envp)
{
	const char *home = env_lookup(envp, "HOME");
	if (!default_home || (home && *home))
		return envp;
	size_t n = 0;
	while (envp[n])
		n++;
	char **out = calloc(n + 2, sizeof *out);
	if (!out)
		abort();
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], "HOME=", 5)) /* an empty HOME= is replaced, as in runc */
			out[k++] = envp[i];
	out[k] = default_home;
	return out;
}

int step_exec(const char *path, char **argv, char **envp)
{
	char *default_argv[] = { (char *)path, NULL };
	if (!argv[0])
		argv = default_argv;
	envp = with_home(envp);
	reset_signals();

	char found[PATH_MAX];
	if (find_executable(path, envp, found) < 0)
		return -1;
	execve(found, argv, envp);
	return fail_sys(errno, "exec: \"%s\"", found);
}
