/* Stage 0: configuration, host sockets, namespaces to join, clone(2), signals (main.c has the overview). */
#include "init.h"

static const struct {
	const char *name;
	int flag;
} namespace_types[] = {
	{ "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },   { "pid", CLONE_NEWPID },
	{ "net", CLONE_NEWNET },   { "ipc", CLONE_NEWIPC },  { "uts", CLONE_NEWUTS },
	{ "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

#define ALL_NAMESPACES (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | \
			CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_NEWTIME)

/* "net:/proc/42/ns/net" -> CLONE_NEWNET and the path. */
static int parse_join(char *value)
{
	char *colon = strchr(value, ':');
	if (!colon)
		return fail(EINVAL, "join \"%s\": expected <type>:<path>", value);
	*colon = '\0';
	for (size_t i = 0; i < sizeof namespace_types / sizeof namespace_types[0]; i++) {
		if (strcmp(namespace_types[i].name, value))
			continue;
		if (config.njoin == (int)(sizeof config.join / sizeof config.join[0]))
			return fail(E2BIG, "too many namespaces to join");
		config.join[config.njoin].flag = namespace_types[i].flag;
		config.join[config.njoin].path = colon + 1;
		config.njoin++;
		return 0;
	}
	return fail(EINVAL, "join: unknown namespace type \"%s\"", value);
}

/* One more value of a repeated CONFIG key. */
static int append(const char ***list, int *n, const char *value)
{
	const char **grown = realloc(*list, (*n + 1) * sizeof *grown);
	if (!grown)
		return fail(ENOMEM, "CONFIG");
	*list = grown;
	grown[(*n)++] = value;
	return 0;
}

static int read_config(void)
{
	uint32_t len;
	uint8_t *payload = read_message(sync_fd, MSG_CONFIG, &len);
	if (!payload)
		return fail_sys(errno, "read CONFIG");
	struct fields f;
	const uint8_t *at = payload;
	if (decode_fields(&at, payload + len, &f) < 0 || f.count % 2)
		return fail(EINVAL, "malformed CONFIG message");

	config.console_socket = config.start_fifo = config.report_fifo = config.cgroup_into = "";
	config.netlink_fd = -1;
	for (uint32_t i = 0; i < f.count; i += 2) {
		const char *key = f.item[i];
		char *value = f.item[i + 1];
		if (!strcmp(key, "clone-flags"))
			config.clone_flags = strtoul(value, NULL, 10);
		else if (!strcmp(key, "foreground"))
			config.foreground = !strcmp(value, "1");
		else if (!strcmp(key, "console-socket"))
			config.console_socket = value;
		else if (!strcmp(key, "start-fifo"))
			config.start_fifo = value;
		else if (!strcmp(key, "report-fifo"))
			config.report_fifo = value;
		else if (!strcmp(key, "preserve-fds"))
			config.preserve_fds = atoi(value);
		else if (!strcmp(key, "netlink-fd"))
			config.netlink_fd = atoi(value);
		else if (!strcmp(key, "loopback-up"))
			config.loopback_up = !strcmp(value, "1");
		else if (!strcmp(key, "join") && parse_join(value) < 0)
			return -1;
		else if (!strcmp(key, "mount-source")) {
			if (append(&config.mount_sources, &config.nmount_sources, value) < 0)
				return -1;
		} else if (!strcmp(key, "cgroup-join")) {
			if (append(&config.cgroup_join, &config.ncgroup_join, value) < 0)
				return -1;
		} else if (!strcmp(key, "cgroup-return")) {
			if (append(&config.cgroup_return, &config.ncgroup_return, value) < 0)
				return -1;
		} else if (!strcmp(key, "cgroup-into"))
			config.cgroup_into = value;
		/* "pid-ns-child" needs nothing: stage 0 always forks the container process,
		 * which is what puts it inside a joined pid namespace. Unknown keys are ignored. */
	}
	if (config.loopback_up && !(config.clone_flags & CLONE_NEWNET))
		return fail(EINVAL, "loopback-up is only for a new network namespace");
	if (config.clone_flags & ~(unsigned long)ALL_NAMESPACES)
		return fail(EINVAL, "clone-flags 0x%lx has bits that are not CLONE_NEW*", config.clone_flags);
	if (config.preserve_fds < 0 || sync_fd < 3 + config.preserve_fds)
		return fail(EINVAL, "the sync fd %d must be above the %d preserved fds", sync_fd,
			    config.preserve_fds);
	if (config.netlink_fd >= 0) {
		if (config.netlink_fd < 3 + config.preserve_fds)
			return fail(EINVAL, "the netlink fd %d must be above the %d preserved fds",
				    config.netlink_fd, config.preserve_fds);
		if (!(config.clone_flags & CLONE_NEWNET))
			return fail(EINVAL, "netlink-fd is only for a new network namespace");
		if (config.loopback_up)
			return fail(EINVAL, "loopback-up is for a namespace Node does not set up through netlink-fd");
		/* Neither the container nor a hook may inherit it. */
		if (fcntl(config.netlink_fd, F_SETFD, FD_CLOEXEC) < 0)
			return fail_sys(errno, "netlink-fd %d", config.netlink_fd);
	}
	return 0;
}

/*
 * sockaddr_un holds 108 bytes (unix(7)), and a console socket path under a long directory
 * does not fit. Such a path is reached through its directory instead:
 * /proc/self/fd/<dirfd>/<name> is short, and connect(2) resolves the magic link
 * to the directory itself (conmon does the same for its attach socket).
 */
static int socket_address(const char *path, struct sockaddr_un *addr, int *dirfd)
{
	*dirfd = -1;
	if (strlen(path) < sizeof addr->sun_path) {
		strcpy(addr->sun_path, path);
		return 0;
	}
	const char *slash = strrchr(path, '/');
	if (!slash || strlen(slash + 1) + 32 >= sizeof addr->sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	char dir[PATH_MAX];
	size_t len = slash == path ? 1 : (size_t)(slash - path);
	if (len >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, len);
	dir[len] = 0;
	*dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return -1;
	snprintf(addr->sun_path, sizeof addr->sun_path, "/proc/self/fd/%d/%s", *dirfd, slash + 1);
	return 0;
}

/* A unix(7) stream socket connected to `path`. */
static int connect_unix(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int dirfd;
	if (socket_address(path, &addr, &dirfd) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int saved = errno;
		if (dirfd >= 0)
			close(dirfd);
		errno = saved;
		return -1;
	}
	int rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
	int saved = errno;
	if (dirfd >= 0)
		close(dirfd);
	if (rc < 0) {
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * A new FIFO at `path`, opened for reading and writing: fifo(7) "under Linux, opening a
 * FIFO for read and write will succeed both in blocking and nonblocking mode", so this
 * never waits, and as long as we hold it `start` finds a reader (its O_NONBLOCK open for
 * writing fails with ENXIO once we are gone) and a writer (its open for reading does not
 * wait, its read sees EOF only when we exit or execve(2) closes this close-on-exec fd).
 */
static int open_fifo(const char *path)
{
	/* One left by an earlier run would make mkfifo(3) fail with EEXIST. */
	if (unlink(path) < 0 && errno != ENOENT)
		return -1;
	if (mkfifo(path, 0600) < 0)
		return -1;
	return open(path, O_RDWR | O_CLOEXEC);
}

static int open_host_files(void)
{
	if (*config.console_socket) {
		console_fd = connect_unix(config.console_socket);
		if (console_fd < 0)
			return fail_sys(errno, "connect(%s)", config.console_socket);
	}
	if (*config.start_fifo) {
		start_fifo_fd = open_fifo(config.start_fifo);
		if (start_fifo_fd < 0)
			return fail_sys(errno, "make and open the FIFO %s", config.start_fifo);
		report_fifo_fd = open_fifo(config.report_fifo);
		if (report_fifo_fd < 0)
			return fail_sys(errno, "make and open the FIFO %s", config.report_fifo);
	}
	return 0;
}

/* setns(2) into every namespace in the `join` list. */
static int join_namespaces(void)
{
	int fds[sizeof config.join / sizeof config.join[0]];

	/* Open them all first: once we are in another mount namespace, the host's
	 * /proc/PID/ns/... paths may no longer resolve. */
	for (int i = 0; i < config.njoin; i++) {
		fds[i] = open(config.join[i].path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			return fail_sys(errno, "open(%s)", config.join[i].path);
	}
	/* User namespace first: it is what grants the capabilities to join the others
	 * (setns(2): CAP_SYS_ADMIN in the user namespace that owns the target). */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < config.njoin; i++) {
			bool is_user = config.join[i].flag == CLONE_NEWUSER;
			if (is_user != (pass == 0))
				continue;
			if (is_user) {
				/* setns(2) refuses (EINVAL) to re-enter the user namespace we are in. */
				struct stat ours, theirs;
				if (stat("/proc/self/ns/user", &ours) == 0 && fstat(fds[i], &theirs) == 0 &&
				    ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino)
					continue;
			}
			/* The type check makes the kernel refuse a path of the wrong kind. */
			if (setns(fds[i], config.join[i].flag) < 0)
				return fail_sys(errno, "setns(%s)", config.join[i].path);
			if (is_user)
				in_user_namespace = true;
		}
	}
	for (int i = 0; i < config.njoin; i++)
		close(fds[i]);
	return 0;
}

/* The signals a foreground stage 0 passes on to the container. */
static const int forwarded_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT,
};
#define NFORWARDED (int)(sizeof forwarded_signals / sizeof forwarded_signals[0])

static volatile pid_t container_pid;

static void forward_signal(int sig)
{
	if (container_pid > 0)
		kill(container_pid, sig);
}

/* Foreground: stay, forward signals, exit like the container did. */
__attribute__((noreturn))
static void forward_and_wait(const sigset_t *blocked)
{
	struct sigaction forward = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };
	for (int i = 0; i < NFORWARDED; i++)
		sigaction(forwarded_signals[i], &forward, NULL);
	sigprocmask(SIG_UNBLOCK, blocked, NULL);

	int status;
	while (waitpid(container_pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	/* The shell convention (bash(1) "EXIT STATUS"): 128+N for death by signal N. */
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* After main(): CONFIG, the host sockets, the namespaces to join, then clone(2) the
 * container process (stage 1, container_main) and report its pid. */
__attribute__((noreturn))
void stage0(void)
{
	if (read_config() < 0)
		report_and_exit(BEFORE_PLAN, "config");
	if (open_host_files() < 0)
		report_and_exit(BEFORE_PLAN, "host-files");
	/* Before setns(2): the cgroupfs paths are the host's (cgroups.c). */
	if (open_cgroup_files() < 0 || join_cgroups() < 0)
		report_and_exit(BEFORE_PLAN, "cgroup");
	if (join_namespaces() < 0)
		report_and_exit(BEFORE_PLAN, "setns");

	unsigned long flags = config.clone_flags;
	if (flags & CLONE_NEWUSER)
		in_user_namespace = true;
	/* clone(2) cannot take CLONE_NEWTIME (its bit is part of the exit signal field):
	 * unshare(2) it here, which puts our *children* in a new time namespace. */
	if ((flags & CLONE_NEWTIME) && unshare(CLONE_NEWTIME) < 0) {
		fail_sys(errno, "unshare(CLONE_NEWTIME)");
		report_and_exit(BEFORE_PLAN, "unshare");
	}
	/* The cgroup namespace is created by stage 1 later (see container_main). */
	flags &= ~(unsigned long)(CLONE_NEWTIME | CLONE_NEWCGROUP);

	/* Block the signals we forward until the handlers are in place (parent) or the
	 * dispositions are reset (child), so none is lost or handled by the wrong process. */
	sigset_t blocked;
	sigemptyset(&blocked);
	for (int i = 0; i < NFORWARDED; i++)
		sigaddset(&blocked, forwarded_signals[i]);
	sigprocmask(SIG_BLOCK, &blocked, NULL);

	/* Bind sources opened as the host's root, for a container in a new user namespace. */
	int sources[2];
	if (mount_sources_socketpair(sources) < 0)
		report_and_exit(BEFORE_PLAN, "mount-sources");

	/* fork(2)-like clone(2) (no new stack: the child continues here on a copy of ours)
	 * with every CLONE_NEW* flag in one call. The kernel creates the user namespace first
	 * and makes it the owner of the others (user_namespaces(7)), which is what later lets
	 * the container's root mount proc or set its hostname. A pid namespace joined above
	 * applies to this child too (setns(2): "only children are moved"). It starts in the
	 * container's cgroups: the v1 ones stage 0 joined, the cgroup2 one by CLONE_INTO_CGROUP. */
	bool into;
	pid_t pid = clone_into_cgroup(flags, &into);
	if (pid < 0) {
		fail_sys(errno, "clone(0x%lx)", flags);
		report_and_exit(BEFORE_PLAN, "clone");
	}
	if (pid == 0) {
		/* The container must hold no fd of the host's cgroupfs. */
		close_cgroup_files();
		if (sources[0] >= 0)
			close(sources[0]);
		mount_sources_fd = sources[1];
		container_main();
	}
	if (sources[0] >= 0) {
		close(sources[1]);
		int rc = send_mount_sources(sources[0], pid);
		close(sources[0]);
		if (rc < 0) {
			kill(pid, SIGKILL);
			report_and_exit(BEFORE_PLAN, "mount-sources");
		}
	}

	/* Back to the caller's cgroups: only the container's processes count in its own. */
	if (leave_cgroups() < 0) {
		kill(pid, SIGKILL);
		report_and_exit(BEFORE_PLAN, "cgroup");
	}
	close_cgroup_files();

	/* Only the child sends on it; if the child dies first, Node must see EOF, not wait. */
	if (config.netlink_fd >= 0)
		close(config.netlink_fd);
	container_pid = pid;
	char pid_text[24];
	snprintf(pid_text, sizeof pid_text, "%d", pid);
	/* "1": the child started in the cgroup2 directory; else Node moves it there. */
	const char *fields[] = { pid_text, into ? "1" : "0" };
	if (send_message(sync_fd, MSG_PID, fields, 2) < 0) {
		/* Node is gone; a container it cannot know about must not be left behind. */
		kill(pid, SIGKILL);
		_exit(1);
	}
	if (!config.foreground)
		_exit(0); /* the container is reparented to the caller's subreaper */

	/* Only the container keeps the sockets and FIFOs: Node and `start` must see EOF when
	 * *it* closes them. */
	close(sync_fd);
	if (start_fifo_fd >= 0)
		close(start_fifo_fd);
	if (report_fifo_fd >= 0)
		close(report_fifo_fd);
	if (console_fd >= 0)
		close(console_fd);
	forward_and_wait(&blocked);
}
