/*
 * ts-runc-init: the part of ts-runc that has to be a small, single-threaded C program.
 *
 * Node is multithreaded, and the kernel refuses (or half-applies) namespace changes in a
 * multithreaded process: setns(2) into a user namespace and unshare(2) of one both fail
 * with EINVAL if the caller has more than one thread. So ts-runc (Node) decides *what* to
 * do, and this program does it, talking to Node over a socketpair (src/process/protocol.ts).
 *
 * There are two stages, one process each:
 *
 *   Stage 0  the process Node spawned, still in the host's namespaces.
 *            1. read CONFIG from the sync socket (fd $TSRUNC_SYNC_FD);
 *            2. connect to the console socket and bind the exec.sock barrier; both are
 *               host paths, so this happens before any namespace changes;
 *            3. setns(2) into the namespaces to join (user first);
 *            4. clone(2) the container process into the namespaces to create, and send its
 *               pid to Node (PID);
 *            5. exit at once (create/detached), or stay to forward signals and exit with
 *               the container's status (run/exec in the foreground).
 *
 *   Stage 1  the clone child: the container's process 1 (or the exec'd process).
 *            0. in a new network namespace, open a NETLINK_ROUTE socket there and send it
 *               to Node (SCM_RIGHTS on the netlink-fd socketpair): Node sets the
 *               namespace up through it without ever calling setns(2) itself;
 *            1. wait for PLAN: Node sends it once it has written uid_map/gid_map and put
 *               the pid in its cgroup, so nothing below runs unmapped or unlimited;
 *            2. become root of the user namespace (if any) and create the cgroup
 *               namespace (if asked), both of which had to wait for that;
 *            3. run the plan's steps in order (mounts, pivot_root, hostname, rlimits,
 *               capabilities...), reporting the first failure as ERROR and exiting;
 *            4. at `wait-for-start` send READY and block in accept(2) until `ts-runc start`
 *               connects to exec.sock;
 *            5. execve(2) the user's program. All of this program's fds are close-on-exec,
 *               so Node (or `start`) sees EOF exactly when execve succeeded.
 *
 * The field order of every step is defined in src/plan/encode.ts and mirrored by
 * run_step() below; what each step means is documented in src/plan/steps.ts.
 *
 * Build: cc -O2 -Wall -Wextra -Werror -std=gnu11 -o build/ts-runc-init native/init.c native/sealed-exe.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>

#include "sealed-exe.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Message types of the sync protocol (src/process/protocol.ts). */
enum { MSG_CONFIG = 1, MSG_PID = 2, MSG_PLAN = 3, MSG_READY = 4, MSG_ERROR = 5 };

/* ERROR messages about work done before the plan's first step use this step index. */
#define BEFORE_PLAN (-1)

/* ======================================================================================
 * Process-wide state
 * ==================================================================================== */

static int sync_fd = -1;        /* the socketpair to Node ($TSRUNC_SYNC_FD) */
static int report_fd = -1;      /* where ERROR goes: sync_fd, then the `start` connection */
static int console_fd = -1;     /* connected console socket, for the `terminal` step */
static int exec_listen_fd = -1; /* listening exec.sock, for `wait-for-start` */
static bool in_user_namespace;  /* stage 0 created or joined one */

/* What CONFIG asked for. */
static struct {
	unsigned long clone_flags;
	bool foreground;
	const char *console_socket;
	const char *exec_socket;
	int preserve_fds;
	int netlink_fd; /* socketpair end to send the new netns's netlink socket on, or -1 */
	struct {
		int flag; /* CLONE_NEW* */
		const char *path;
	} join[16];
	int njoin;
} config;

/*
 * Where container paths are resolved. Before `bind-rootfs` and after `pivot-root` it is
 * the process's own root (plain paths); in between it is an O_PATH fd on the rootfs and
 * paths are resolved with openat2(RESOLVE_IN_ROOT) so that a symlink in the image can
 * never make a mount land outside the rootfs.
 */
static int root_fd = AT_FDCWD;
static uint64_t root_resolve = 0;
static const char *rootfs_path = NULL;

/* ======================================================================================
 * Failure reporting
 * ==================================================================================== */

/* Why the current step failed. Steps fill it with fail()/fail_sys() and return -1; the
 * plan runner then sends it to Node as ERROR [index, op, errno, message]. */
static struct {
	int err;
	char message[1024];
} failure;

static int vfail(int err, bool with_strerror, const char *fmt, va_list ap)
{
	int len = vsnprintf(failure.message, sizeof failure.message, fmt, ap);
	if (with_strerror && len >= 0 && (size_t)len < sizeof failure.message)
		snprintf(failure.message + len, sizeof failure.message - len, ": %s", strerror(err));
	failure.err = err;
	return -1;
}

/* Record a failure with a message of our own. Returns -1 so a step can `return fail(...)`. */
__attribute__((format(printf, 2, 3)))
static int fail(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, false, fmt, ap);
	va_end(ap);
	return -1;
}

/* Record a failed system call: "mount(proc, /proc): Operation not permitted". */
__attribute__((format(printf, 2, 3)))
static int fail_sys(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, true, fmt, ap);
	va_end(ap);
	return -1;
}

/* ======================================================================================
 * Protocol I/O: message := type:u32 len:u32 payload   (little-endian)
 *               fields  := count:u32 (len:u32 bytes)*
 * ==================================================================================== */

static void put_u32(uint8_t *at, uint32_t value)
{
	at[0] = value;
	at[1] = value >> 8;
	at[2] = value >> 16;
	at[3] = value >> 24;
}

static uint32_t get_u32(const uint8_t *at)
{
	return at[0] | at[1] << 8 | at[2] << 16 | (uint32_t)at[3] << 24;
}

static int read_full(int fd, void *buf, size_t len)
{
	uint8_t *at = buf;
	while (len > 0) {
		ssize_t n = read(fd, at, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = ECONNRESET; /* the peer closed the socket */
		if (n <= 0)
			return -1;
		at += n;
		len -= n;
	}
	return 0;
}

/* send(2) with MSG_NOSIGNAL: if Node (or `start`) went away we want EPIPE, not SIGPIPE. */
static int write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *at = buf;
	while (len > 0) {
		ssize_t n = send(fd, at, len, MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, at, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		at += n;
		len -= n;
	}
	return 0;
}

/* Send one message whose payload is a list of string fields (or empty if nfields < 0). */
static int send_message(int fd, uint32_t type, const char *const fields[], int nfields)
{
	size_t len = nfields < 0 ? 0 : 4;
	for (int i = 0; i < nfields; i++)
		len += 4 + strlen(fields[i]);

	uint8_t *buf = malloc(8 + len);
	if (!buf)
		return -1;
	put_u32(buf, type);
	put_u32(buf + 4, len);
	uint8_t *at = buf + 8;
	if (nfields >= 0) {
		put_u32(at, nfields);
		at += 4;
	}
	for (int i = 0; i < nfields; i++) {
		size_t n = strlen(fields[i]);
		put_u32(at, n);
		memcpy(at + 4, fields[i], n);
		at += 4 + n;
	}
	int rc = write_full(fd, buf, 8 + len);
	free(buf);
	return rc;
}

/* Read one message, which must be of type `want`. Returns a malloc'ed payload. */
static uint8_t *read_message(int fd, uint32_t want, uint32_t *len)
{
	uint8_t header[8];
	if (read_full(fd, header, sizeof header) < 0)
		return NULL;
	uint32_t type = get_u32(header);
	*len = get_u32(header + 4);
	uint8_t *payload = malloc(*len ? *len : 1);
	if (!payload || read_full(fd, payload, *len) < 0)
		return NULL;
	if (type != want) {
		errno = EPROTO;
		return NULL;
	}
	return payload;
}

/* Send ERROR [index, op, errno, message] from `failure` and exit: a step failed. */
__attribute__((noreturn))
static void report_and_exit(long index, const char *op)
{
	char index_text[24], errno_text[24];
	snprintf(index_text, sizeof index_text, "%ld", index);
	snprintf(errno_text, sizeof errno_text, "%d", failure.err);
	const char *fields[] = { index_text, op, errno_text, failure.message };
	if (send_message(report_fd, MSG_ERROR, fields, 4) < 0) {
		/* Nobody is listening any more; stderr is the last place left to say it. */
		dprintf(STDERR_FILENO, "ts-runc-init: %s (step %ld, %s)\n", failure.message, index, op);
	}
	_exit(1);
}

/* ======================================================================================
 * Decoding fields and plan steps
 * ==================================================================================== */

/* A list of NUL-terminated strings: a CONFIG message, or one plan step. */
struct fields {
	uint32_t count;
	char **item;
};

/* Decode `count (len bytes)*` at *at (not past end) and advance *at past it. */
static int decode_fields(const uint8_t **at, const uint8_t *end, struct fields *out)
{
	if (end - *at < 4)
		return -1;
	out->count = get_u32(*at);
	*at += 4;
	if (out->count > (size_t)(end - *at) / 4) /* each field needs at least its length */
		return -1;
	out->item = calloc(out->count + 1, sizeof *out->item);
	if (!out->item)
		return -1;
	for (uint32_t i = 0; i < out->count; i++) {
		if (end - *at < 4)
			return -1;
		uint32_t len = get_u32(*at);
		*at += 4;
		if (len > (size_t)(end - *at))
			return -1;
		out->item[i] = strndup((const char *)*at, len);
		if (!out->item[i])
			return -1;
		*at += len;
	}
	return 0;
}

/* The fields of one step, read in order by run_step(). `bad` is set when a field is
 * missing or not a number; run_step() checks it before calling the step. */
struct args {
	const struct fields *fields;
	uint32_t next;
	bool bad;
};

static const char *arg_str(struct args *a)
{
	if (a->next >= a->fields->count) {
		a->bad = true;
		return "";
	}
	return a->fields->item[a->next++];
}

static long long arg_int(struct args *a)
{
	const char *text = arg_str(a);
	char *end;
	errno = 0;
	long long value = strtoll(text, &end, 10);
	if (*text == '\0' || *end != '\0' || errno)
		a->bad = true;
	return value;
}

static unsigned long long arg_u64(struct args *a)
{
	const char *text = arg_str(a);
	char *end;
	errno = 0;
	unsigned long long value = strtoull(text, &end, 10);
	if (*text == '\0' || *text == '-' || *end != '\0' || errno)
		a->bad = true;
	return value;
}

/* A list is a count field, then one field per item. */
static uint32_t arg_count(struct args *a)
{
	long long n = arg_int(a);
	if (n < 0 || n > a->fields->count - a->next) {
		a->bad = true;
		return 0;
	}
	return n;
}

/* A list of strings, NULL-terminated as execve(2) wants argv and envp. */
static char **arg_str_list(struct args *a)
{
	uint32_t n = arg_count(a);
	char **list = calloc(n + 1, sizeof *list);
	if (!list)
		abort(); /* out of memory while decoding a few kilobytes: nothing sensible left */
	for (uint32_t i = 0; i < n; i++)
		list[i] = (char *)arg_str(a);
	return list;
}

static long long *arg_int_list(struct args *a, uint32_t *count)
{
	*count = arg_count(a);
	long long *list = calloc(*count + 1, sizeof *list);
	if (!list)
		abort();
	for (uint32_t i = 0; i < *count; i++)
		list[i] = arg_int(a);
	return list;
}

/* A list of capability numbers (capabilities(7)) as a 64-bit mask. */
static uint64_t arg_cap_list(struct args *a)
{
	uint32_t n = 0;
	long long *caps = arg_int_list(a, &n);
	uint64_t mask = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (caps[i] < 0 || caps[i] > 63)
			a->bad = true;
		else
			mask |= 1ULL << caps[i];
	}
	free(caps);
	return mask;
}

/* All fields read and well-formed? The encoder and this decoder must agree exactly. */
static bool args_ok(struct args *a, const char *op)
{
	if (a->bad || a->next != a->fields->count) {
		fail(EINVAL, "malformed %s step in the plan (%u fields)", op, a->fields->count);
		return false;
	}
	return true;
}

/* ======================================================================================
 * Small helpers
 * ==================================================================================== */

static const char *or_null(const char *text)
{
	return *text ? text : NULL;
}

/* Every signal back to its default action and nothing blocked: what a freshly exec'd
 * program expects (signal(7): dispositions set to "ignore" survive execve(2)). */
static void reset_signals(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL); /* fails harmlessly for SIGKILL, SIGSTOP */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = write_full(fd, value, strlen(value));
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* ======================================================================================
 * Container paths: resolution inside the rootfs
 * ==================================================================================== */

enum create { CREATE_NONE, CREATE_DIR, CREATE_FILE };

/* openat2(2) relative to the current root (see root_fd above). */
static int open_in_root(const char *path, int flags)
{
	struct open_how how = { .flags = flags | O_CLOEXEC, .resolve = root_resolve };
	return syscall(SYS_openat2, root_fd, path, &how, sizeof how);
}

/* path_resolution(7): "at most 40 symlinks", after which Linux says ELOOP. */
#define MAX_SYMLINKS 40

/*
 * `name` in directory `dir` exists, yet did not resolve: a symlink to something missing,
 * like "/var/run -> /run" in an image without /run, or Ubuntu's "/etc/resolv.conf ->
 * ../run/systemd/resolve/stub-resolv.conf". Like runc (filepath-securejoin) we create what
 * it points to, inside the rootfs: `path` becomes the link's target (relative to the
 * link's directory, `parent`) followed by `rest`, to be resolved from the root again.
 */
static int follow_dangling(int dir, const char *name, const char *parent, int parent_len,
			   const char *rest, char path[PATH_MAX])
{
	char link[PATH_MAX], next[PATH_MAX];
	ssize_t n = readlinkat(dir, name, link, sizeof link - 1);
	if (n < 0)
		return -1; /* EINVAL: not a symlink after all */
	link[n] = '\0';
	if (link[0] == '/')
		parent_len = 0; /* absolute: from the (container's) root */
	int len = snprintf(next, sizeof next, "%.*s/%s%s", parent_len, parent, link, rest);
	if (len < 0 || (size_t)len >= sizeof next) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(path, next, len + 1);
	return 0;
}

/*
 * mkdir -p inside the root; returns an O_PATH fd on the directory. Each missing component
 * is created with mkdirat(2) in an fd on its parent, and every fd comes from openat2 with
 * RESOLVE_IN_ROOT, so a symlink such as "/etc -> /host/etc" is followed inside the rootfs
 * and can never lead out of it.
 */
static int mkdir_all(const char *path)
{
	char want[PATH_MAX], prefix[PATH_MAX];
	if (strlen(path) >= sizeof want) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(want, path);

	for (int links = 0;; links++) {
		size_t len = 0;
		bool restart = false;
		int dir = open_in_root("/", O_PATH | O_DIRECTORY);
		if (dir < 0)
			return -1;
		for (const char *at = want; *at && !restart;) {
			if (*at == '/') {
				at++;
				continue;
			}
			size_t n = strcspn(at, "/");
			if (len + 1 + n >= sizeof prefix) {
				close(dir);
				errno = ENAMETOOLONG;
				return -1;
			}
			prefix[len++] = '/';
			memcpy(prefix + len, at, n);
			len += n;
			prefix[len] = '\0';
			const char *name = prefix + len - n; /* the last component, NUL-terminated */

			int next = open_in_root(prefix, O_PATH | O_DIRECTORY);
			if (next < 0 && errno == ENOENT) {
				if (mkdirat(dir, name, 0755) == 0)
					next = open_in_root(prefix, O_PATH | O_DIRECTORY);
				else if (errno == EEXIST && links < MAX_SYMLINKS &&
					 follow_dangling(dir, name, prefix, len - n - 1, at + n, want) == 0)
					restart = true; /* `want` now goes where the symlink points */
				else if (errno == EEXIST)
					errno = links < MAX_SYMLINKS ? ENOENT : ELOOP;
			}
			int saved = errno;
			close(dir);
			errno = saved;
			if (restart)
				break;
			if (next < 0)
				return -1;
			dir = next;
			at += n;
		}
		if (!restart)
			return dir;
	}
}

/*
 * The parent directory of a container path (created if missing) and the last component,
 * for the *at(2) calls that make a new entry: mknodat, symlinkat, openat(O_CREAT).
 */
struct parent {
	int fd;
	char path[PATH_MAX];
	const char *name;
};

static int parent_open(struct parent *p, const char *path)
{
	/* Container paths are relative to the container's root, with or without the "/". */
	int len = snprintf(p->path, sizeof p->path, "%s%s", path[0] == '/' ? "" : "/", path);
	if (len < 0 || (size_t)len >= sizeof p->path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	while (len > 1 && p->path[len - 1] == '/') /* "/dev/" is "/dev" */
		p->path[--len] = '\0';
	char *slash = strrchr(p->path, '/');
	p->name = slash + 1;
	if (!*p->name || !strcmp(p->name, ".") || !strcmp(p->name, "..")) {
		errno = EINVAL;
		return -1;
	}
	*slash = '\0'; /* p->path is now the parent ("" for "/foo": the root) */
	p->fd = mkdir_all(p->path);
	return p->fd < 0 ? -1 : 0;
}

/*
 * A mount target: an O_PATH fd on the resolved container path, and the name to give
 * mount(2). Inside the rootfs the name is "/proc/self/fd/N" (the host /proc is still
 * mounted), which makes mount(2) use exactly the directory openat2 found.
 *
 * Resolve again for every mount(2) call on the same path: once something is mounted there,
 * an fd opened before points *under* the new mount, not at it.
 */
struct target {
	int fd;
	char name[PATH_MAX];
};

/* An empty file to bind-mount a file onto; returns an O_PATH fd on it. */
static int create_file(char want[PATH_MAX])
{
	for (int links = 0;; links++) {
		struct parent p;
		if (parent_open(&p, want) < 0)
			return -1;
		/* O_EXCL|O_NOFOLLOW: never open what appeared there meanwhile, least of all
		 * through a symlink. */
		int fd = openat(p.fd, p.name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0 && errno == EEXIST && links < MAX_SYMLINKS &&
		    follow_dangling(p.fd, p.name, p.path, strlen(p.path), "", want) == 0) {
			close(p.fd);
			continue;
		}
		int saved = errno;
		close(p.fd);
		if (fd < 0) {
			errno = saved;
			return -1;
		}
		close(fd);
		return open_in_root(want, O_PATH);
	}
}

static int target_open(struct target *t, const char *path, enum create create)
{
	char want[PATH_MAX];
	if (strlen(path) >= sizeof want) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(want, path);

	t->fd = open_in_root(want, O_PATH);
	if (t->fd < 0 && errno == ENOENT && create == CREATE_DIR)
		t->fd = mkdir_all(want);
	else if (t->fd < 0 && errno == ENOENT && create == CREATE_FILE)
		t->fd = create_file(want);
	if (t->fd < 0)
		return -1;

	if (root_resolve & RESOLVE_IN_ROOT)
		snprintf(t->name, sizeof t->name, "/proc/self/fd/%d", t->fd);
	else
		snprintf(t->name, sizeof t->name, "%s", want);
	return 0;
}

static void target_close(struct target *t)
{
	int saved = errno;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	errno = saved;
}

/*
 * Mount flags a remount must repeat. A mount that a user namespace inherited has its
 * nosuid/nodev/noexec/atime flags "locked" (mount_namespaces(7)): a remount that would
 * clear them fails with EPERM. statvfs(3) reports them as ST_* bits.
 */
static unsigned long mount_flags_of(int fd)
{
	static const struct {
		unsigned long st, ms;
	} map[] = {
		{ ST_RDONLY, MS_RDONLY },     { ST_NOSUID, MS_NOSUID },
		{ ST_NODEV, MS_NODEV },       { ST_NOEXEC, MS_NOEXEC },
		{ ST_NOATIME, MS_NOATIME },   { ST_NODIRATIME, MS_NODIRATIME },
		{ ST_RELATIME, MS_RELATIME },
	};
	struct statvfs st;
	unsigned long flags = 0;
	if (fstatvfs(fd, &st) < 0)
		return 0;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (st.f_flag & map[i].st)
			flags |= map[i].ms;
	return flags;
}

#define LOCKED_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME)

/* ======================================================================================
 * Steps: one function per op of src/plan/steps.ts. Each returns 0, or -1 after fail*().
 * ==================================================================================== */

static int step_set_root_propagation(unsigned long propagation)
{
	/* mount_namespaces(7): a new mount namespace copies the host's propagation, so
	 * without this our mounts would propagate back to the host's shared mounts. */
	if (mount("", "/", NULL, MS_REC | propagation, NULL) < 0)
		return fail_sys(errno, "mount(/, propagation 0x%lx)", propagation);
	return 0;
}

static int step_bind_rootfs(const char *rootfs)
{
	/* pivot_root(2): new_root must be a mount point; a bind mount onto itself makes it one. */
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return fail_sys(errno, "mount(%s, %s, MS_BIND|MS_REC)", rootfs, rootfs);
	/* Opened after the bind, so the fd is on the new mount, not the directory under it. */
	int fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail_sys(errno, "open(%s)", rootfs);
	root_fd = fd;
	root_resolve = RESOLVE_IN_ROOT;
	rootfs_path = rootfs;
	return 0;
}

static int step_mount(const char *source, const char *target, const char *fstype,
		      unsigned long flags, const long long *propagation, uint32_t npropagation,
		      const char *data, const char *create)
{
	bool bind = flags & MS_BIND;
	struct target t;

	if (target_open(&t, target, strcmp(create, "file") ? CREATE_DIR : CREATE_FILE) < 0)
		return fail_sys(errno, "mount %s: resolve the target in the rootfs", target);
	/* For a bind mount, mount(2) ignores every flag but MS_REC: they need a remount. */
	unsigned long first = bind ? flags & (MS_BIND | MS_REC) : flags;
	int rc = mount(or_null(source), t.name, or_null(fstype), first, bind ? NULL : or_null(data));
	target_close(&t);
	if (rc < 0)
		return fail_sys(errno, "mount(%s, %s)", source, target);

	unsigned long extra = flags & ~(MS_BIND | MS_REC);
	if (bind && extra) {
		if (target_open(&t, target, CREATE_NONE) < 0)
			return fail_sys(errno, "mount %s: resolve the target again", target);
		rc = mount(NULL, t.name, NULL, MS_REMOUNT | MS_BIND | flags, NULL);
		if (rc < 0 && errno == EPERM) /* like runc: retry keeping the locked flags */
			rc = mount(NULL, t.name, NULL,
				   MS_REMOUNT | MS_BIND | flags | (mount_flags_of(t.fd) & LOCKED_FLAGS), NULL);
		target_close(&t);
		if (rc < 0)
			return fail_sys(errno, "mount(%s, %s, MS_REMOUNT|MS_BIND|0x%lx)", source, target, extra);
	}

	/* mount(2): a propagation change must be its own call, with no other flags. */
	for (uint32_t i = 0; i < npropagation; i++) {
		if (target_open(&t, target, CREATE_NONE) < 0)
			return fail_sys(errno, "mount %s: resolve the target again", target);
		rc = mount(NULL, t.name, NULL, propagation[i], NULL);
		target_close(&t);
		if (rc < 0)
			return fail_sys(errno, "mount(%s, propagation 0x%llx)", target, propagation[i]);
	}
	return 0;
}

/*
 * Copy a directory tree from one open directory to another: regular files, directories,
 * symlinks, devices and fifos, with their owners and modes. Used by mount-copy-up.
 */
static int copy_tree(int from, int to)
{
	int list = dup(from);
	DIR *dir = list < 0 ? NULL : fdopendir(list);
	if (!dir)
		return -1;
	int rc = 0;
	for (struct dirent *e; rc == 0 && (e = readdir(dir));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(from, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -1;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub_from = openat(from, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int sub_to = -1;
			if (sub_from >= 0 && mkdirat(to, e->d_name, st.st_mode & 07777) == 0)
				sub_to = openat(to, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			rc = sub_to < 0 ? -1 : copy_tree(sub_from, sub_to);
			if (rc == 0)
				rc = fchown(sub_to, st.st_uid, st.st_gid) | fchmod(sub_to, st.st_mode & 07777);
			if (sub_from >= 0)
				close(sub_from);
			if (sub_to >= 0)
				close(sub_to);
		} else if (S_ISREG(st.st_mode)) {
			int in = openat(from, e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			int out = in < 0 ? -1 : openat(to, e->d_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
			/* read/write, not copy_file_range(2): that refuses to cross filesystems. */
			char buf[65536];
			for (ssize_t n; out >= 0 && (n = read(in, buf, sizeof buf)) != 0;) {
				if (n < 0 || write_full(out, buf, n) < 0) {
					rc = -1;
					break;
				}
			}
			if (in < 0 || out < 0 || rc < 0 || fchown(out, st.st_uid, st.st_gid) < 0 ||
			    fchmod(out, st.st_mode & 07777) < 0)
				rc = -1;
			if (in >= 0)
				close(in);
			if (out >= 0)
				close(out);
		} else if (S_ISLNK(st.st_mode)) {
			char link[PATH_MAX];
			ssize_t n = readlinkat(from, e->d_name, link, sizeof link - 1);
			if (n < 0)
				rc = -1;
			else {
				link[n] = '\0';
				rc = symlinkat(link, to, e->d_name) |
				     fchownat(to, e->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
			}
		} else {
			rc = mknodat(to, e->d_name, st.st_mode, st.st_rdev) |
			     fchownat(to, e->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
		}
	}
	int saved = errno;
	closedir(dir);
	errno = saved;
	return rc < 0 ? -1 : 0;
}

/*
 * mount-copy-up (runc's "tmpcopyup", which podman uses for --read-only and --tmpfs): keep
 * a handle on the directory, mount the tmpfs over it, then copy what the image had there
 * into the new tmpfs. The handle still reads the directory the mount now hides.
 */
static int step_mount_copy_up(const char *target, const char *fstype, unsigned long flags,
			      const long long *propagation, uint32_t npropagation, const char *data)
{
	struct target t;
	if (target_open(&t, target, CREATE_DIR) < 0)
		return fail_sys(errno, "mount %s: resolve the target in the rootfs", target);
	int below = open(t.name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	target_close(&t);
	if (below < 0)
		return fail_sys(errno, "open %s to copy it up", target);

	int rc = step_mount(fstype, target, fstype, flags & ~MS_RDONLY, propagation, npropagation, data, "dir");
	int above = rc < 0 ? -1 : target_open(&t, target, CREATE_NONE);
	if (above == 0) {
		above = open(t.name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		target_close(&t);
	}
	if (rc == 0 && (above < 0 || copy_tree(below, above) < 0))
		rc = fail_sys(errno, "copy %s up into the new %s", target, fstype);
	/* The tmpfs root takes the directory's owner and mode too, unless mode= was given. */
	struct stat st;
	if (rc == 0 && !strstr(data, "mode=") &&
	    (fstat(below, &st) < 0 || fchown(above, st.st_uid, st.st_gid) < 0 || fchmod(above, st.st_mode & 07777) < 0))
		rc = fail_sys(errno, "give the new %s on %s the directory's owner and mode", fstype, target);
	close(below);
	if (above >= 0)
		close(above);
	/* A read-only tmpfs can only be filled before it is made read-only. */
	if (rc == 0 && (flags & MS_RDONLY)) {
		if (target_open(&t, target, CREATE_NONE) < 0)
			return fail_sys(errno, "mount %s: resolve the target again", target);
		rc = mount(NULL, t.name, NULL, MS_REMOUNT | flags, or_null(data));
		target_close(&t);
		if (rc < 0)
			return fail_sys(errno, "mount(%s, MS_REMOUNT|MS_RDONLY)", target);
	}
	return rc;
}

static int step_mkdir(const char *path, mode_t mode)
{
	struct target t;
	if (target_open(&t, path, CREATE_DIR) < 0)
		return fail_sys(errno, "mkdir %s", path);
	/* chmod after mkdir: mkdir(2) applies the umask, the plan wants the exact mode. */
	int rc = chmod(t.name, mode);
	target_close(&t);
	if (rc < 0)
		return fail_sys(errno, "chmod(%s, %04o)", path, mode);
	return 0;
}

static int step_mknod(const char *path, const char *type, unsigned major, unsigned minor,
		      mode_t mode, uid_t uid, gid_t gid)
{
	mode_t kind = !strcmp(type, "c") ? S_IFCHR : !strcmp(type, "b") ? S_IFBLK
		    : !strcmp(type, "p") ? S_IFIFO : 0;
	if (!kind)
		return fail(EINVAL, "mknod %s: unknown device type \"%s\"", path, type);

	struct parent p;
	if (parent_open(&p, path) < 0)
		return fail_sys(errno, "mknod %s: resolve the parent directory", path);
	if (mknodat(p.fd, p.name, kind | (mode & 07777), makedev(major, minor)) < 0) {
		int err = errno;
		close(p.fd);
		if (err == EEXIST) /* like runc: an existing node is left as it is */
			return 0;
		return fail_sys(err, "mknod(%s, %c %u:%u)", path, type[0], major, minor);
	}
	/* The umask applied to mknod(2); set the mode exactly, then the owner. */
	if (fchmodat(p.fd, p.name, mode & 07777, 0) < 0 ||
	    fchownat(p.fd, p.name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
		int err = errno;
		close(p.fd);
		return fail_sys(err, "chmod/chown(%s, %04o, %u:%u)", path, mode & 07777, uid, gid);
	}
	close(p.fd);
	return 0;
}

static int step_symlink(const char *target, const char *path)
{
	struct parent p;
	if (parent_open(&p, path) < 0)
		return fail_sys(errno, "symlink %s: resolve the parent directory", path);
	int rc = symlinkat(target, p.fd, p.name);
	int err = errno;
	close(p.fd);
	if (rc < 0 && err != EEXIST) /* an existing entry is left alone */
		return fail_sys(err, "symlink(%s, %s)", target, path);
	return 0;
}

/* After pivot-root/move-root, container paths are plain paths again. */
static void leave_rootfs(void)
{
	if (root_fd >= 0)
		close(root_fd);
	root_fd = AT_FDCWD;
	root_resolve = 0;
}

/*
 * pivot_root(2) as runc (libcontainer/rootfs_linux.go pivotRoot) and crun do it.
 * pivot_root(2): "new_root and put_old may be the same directory": with ".", "." the old
 * root is stacked on top of the new one at "/", where it can be detached without needing
 * a directory for it inside the image. The man page says nothing of where the cwd is
 * afterwards ("pivot_root() may or may not change the current root and the current working
 * directory of any processes or threads"), so nothing here relies on it: the old root and
 * the new root are held open as fds, and every later step starts with an fchdir(2) to one.
 */
static int step_pivot_root(void)
{
	if (root_fd < 0)
		return fail(EINVAL, "pivot-root before bind-rootfs");
	int old_root = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (old_root < 0)
		return fail_sys(errno, "open(/) (the old root)");
	/* root_fd is O_PATH, which fchdir(2) accepts; an ordinary fd is opened through it. */
	int new_root = openat(root_fd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (new_root < 0) {
		int err = errno;
		close(old_root);
		return fail_sys(err, "open(%s) (the new root)", rootfs_path);
	}
	int rc = -1;
	if (fchdir(new_root) < 0)
		fail_sys(errno, "fchdir(%s)", rootfs_path);
	else if (syscall(SYS_pivot_root, ".", ".") < 0)
		fail_sys(errno, "pivot_root(%s)", rootfs_path);
	else if (fchdir(old_root) < 0)
		fail_sys(errno, "fchdir(old root)");
	/* Make the old root a slave first, so detaching it cannot propagate to the host's
	 * mounts if it was shared (runc: rslave rather than rprivate, see its comment). */
	else if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		fail_sys(errno, "mount(old root, MS_SLAVE|MS_REC)");
	/* umount2(2) MNT_DETACH: the old root goes now, even though it is our cwd. */
	else if (umount2(".", MNT_DETACH) < 0)
		fail_sys(errno, "umount2(old root, MNT_DETACH)");
	else if (fchdir(new_root) < 0)
		fail_sys(errno, "fchdir(new root)");
	else if (chdir("/") < 0)
		fail_sys(errno, "chdir(/)");
	else
		rc = 0;
	close(old_root);
	close(new_root);
	if (rc == 0)
		leave_rootfs();
	return rc;
}

/* A container without a mount namespace of its own (compile.ts chrootSteps): nothing was
 * mounted, and no one else's root may move, so only this process changes root, as runc's
 * chroot() and crun do in that case. `rootfs` is resolved in the current mount namespace. */
static int step_chroot(const char *rootfs)
{
	if (chdir(rootfs) < 0)
		return fail_sys(errno, "chdir(%s)", rootfs);
	if (chroot(".") < 0)
		return fail_sys(errno, "chroot(%s)", rootfs);
	if (chdir("/") < 0)
		return fail_sys(errno, "chdir(/)");
	return 0;
}

static int step_move_root(void)
{
	if (root_fd < 0)
		return fail(EINVAL, "move-root before bind-rootfs");
	if (fchdir(root_fd) < 0)
		return fail_sys(errno, "fchdir(rootfs)");
	/* For hosts whose root is a ramfs, which pivot_root(2) refuses: the old root stays in
	 * the mount namespace, merely out of reach of chroot(2). */
	if (mount(rootfs_path, "/", NULL, MS_MOVE, NULL) < 0)
		return fail_sys(errno, "mount(%s, /, MS_MOVE)", rootfs_path);
	if (chroot(".") < 0)
		return fail_sys(errno, "chroot(.)");
	if (chdir("/") < 0)
		return fail_sys(errno, "chdir(/)");
	leave_rootfs();
	return 0;
}

static int step_mask_path(const char *path)
{
	struct target t;
	struct stat st;
	if (target_open(&t, path, CREATE_NONE) < 0) {
		if (errno == ENOENT) /* nothing there to hide */
			return 0;
		return fail_sys(errno, "mask %s", path);
	}
	int rc = fstat(t.fd, &st);
	if (rc == 0 && S_ISDIR(st.st_mode))
		rc = mount("tmpfs", t.name, "tmpfs", MS_RDONLY, NULL);
	else if (rc == 0)
		rc = mount("/dev/null", t.name, NULL, MS_BIND, NULL);
	target_close(&t);
	if (rc < 0)
		return fail_sys(errno, "mask %s", path);
	return 0;
}

static int step_readonly_path(const char *path)
{
	struct target t;
	if (target_open(&t, path, CREATE_NONE) < 0) {
		if (errno == ENOENT)
			return 0;
		return fail_sys(errno, "make %s read-only", path);
	}
	int rc = mount(t.name, t.name, NULL, MS_BIND | MS_REC, NULL);
	target_close(&t);
	if (rc < 0)
		return fail_sys(errno, "mount(%s, %s, MS_BIND|MS_REC)", path, path);

	if (target_open(&t, path, CREATE_NONE) < 0) /* now the new bind mount */
		return fail_sys(errno, "make %s read-only", path);
	unsigned long keep = mount_flags_of(t.fd) & LOCKED_FLAGS;
	rc = mount(t.name, t.name, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | keep, NULL);
	target_close(&t);
	if (rc < 0)
		return fail_sys(errno, "mount(%s, MS_BIND|MS_REMOUNT|MS_RDONLY)", path);
	return 0;
}

static int step_remount_root_readonly(void)
{
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail_sys(errno, "open(/)");
	unsigned long keep = mount_flags_of(fd) & LOCKED_FLAGS;
	close(fd);
	if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
		return fail_sys(errno, "mount(/, MS_BIND|MS_REMOUNT|MS_RDONLY)");
	return 0;
}

static int step_sethostname(const char *name)
{
	if (sethostname(name, strlen(name)) < 0)
		return fail_sys(errno, "sethostname(%s)", name);
	return 0;
}

static int step_setdomainname(const char *name)
{
	if (setdomainname(name, strlen(name)) < 0)
		return fail_sys(errno, "setdomainname(%s)", name);
	return 0;
}

static int step_sysctl(const char *key, const char *value)
{
	/* sysctl(8): "net.ipv4.ip_forward" lives at /proc/sys/net/ipv4/ip_forward. */
	char path[PATH_MAX];
	snprintf(path, sizeof path, "/proc/sys/%s", key);
	for (char *c = path + strlen("/proc/sys/"); *c; c++)
		if (*c == '.')
			*c = '/';
	if (write_file(path, value) < 0)
		return fail_sys(errno, "write %s=%s to %s", key, value, path);
	return 0;
}

static int step_setrlimit(const char *resource, unsigned long long soft, unsigned long long hard)
{
	static const struct {
		const char *name;
		int resource;
	} names[] = {
		{ "CPU", RLIMIT_CPU },         { "FSIZE", RLIMIT_FSIZE },
		{ "DATA", RLIMIT_DATA },       { "STACK", RLIMIT_STACK },
		{ "CORE", RLIMIT_CORE },       { "RSS", RLIMIT_RSS },
		{ "NPROC", RLIMIT_NPROC },     { "NOFILE", RLIMIT_NOFILE },
		{ "MEMLOCK", RLIMIT_MEMLOCK }, { "AS", RLIMIT_AS },
		{ "LOCKS", RLIMIT_LOCKS },     { "SIGPENDING", RLIMIT_SIGPENDING },
		{ "MSGQUEUE", RLIMIT_MSGQUEUE }, { "NICE", RLIMIT_NICE },
		{ "RTPRIO", RLIMIT_RTPRIO },   { "RTTIME", RLIMIT_RTTIME },
	};
	const char *name = strncmp(resource, "RLIMIT_", 7) ? resource : resource + 7;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(names[i].name, name))
			continue;
		struct rlimit limit = { .rlim_cur = soft, .rlim_max = hard };
		if (setrlimit(names[i].resource, &limit) < 0)
			return fail_sys(errno, "setrlimit(RLIMIT_%s, %llu, %llu)", name, soft, hard);
		return 0;
	}
	return fail(EINVAL, "setrlimit: unknown resource \"%s\"", resource);
}

static int step_oom_score_adj(long long value)
{
	char text[24];
	snprintf(text, sizeof text, "%lld", value);
	if (write_file("/proc/self/oom_score_adj", text) < 0)
		return fail_sys(errno, "write %s to /proc/self/oom_score_adj", text);
	return 0;
}

static int step_join_session_keyring(const char *name)
{
	/* keyrings(7): otherwise every container would share the session keyring of
	 * whoever ran ts-runc. Kernels without keys (ENOSYS), or which refuse it inside a user
	 * namespace (EACCES), just keep the old keyring, as runc does. */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, or_null(name)) < 0 &&
	    errno != ENOSYS && errno != EACCES)
		return fail_sys(errno, "keyctl(KEYCTL_JOIN_SESSION_KEYRING, %s)", name);
	return 0;
}

/* Send the pty master to whoever listens on the console socket, as runc does (the data
 * is the file's name, the fd travels as SCM_RIGHTS: unix(7), cmsg(3)). */
static int send_fd(int sock, int fd, const char *name)
{
	struct iovec iov = { .iov_base = (void *)name, .iov_len = strlen(name) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	memset(&control, 0, sizeof control);
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof control.buf,
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

static int step_terminal(unsigned width, unsigned height)
{
	if (console_fd < 0)
		return fail(EINVAL, "terminal: no console socket was given");
	/* pts(4): opening /dev/ptmx (the container's own devpts) creates a new pty pair. */
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return fail_sys(errno, "open(/dev/ptmx)");
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0) /* unlockpt(3) */
		return fail_sys(errno, "ioctl(ptmx, TIOCSPTLCK)");
	/* ioctl_tty(2) TIOCGPTPEER opens the slave through the master, without looking up a
	 * /dev/pts path that something in the container could have replaced. */
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave < 0)
		return fail_sys(errno, "ioctl(ptmx, TIOCGPTPEER)");
	if (width > 0 && height > 0) {
		struct winsize size = { .ws_row = height, .ws_col = width };
		if (ioctl(slave, TIOCSWINSZ, &size) < 0)
			return fail_sys(errno, "ioctl(pty, TIOCSWINSZ)");
	}
	/* credentials(7): only a session leader without a terminal can acquire one. We may
	 * already be a session leader (see container_main); then setsid(2) says EPERM. */
	if (getsid(0) != getpid() && setsid() < 0)
		return fail_sys(errno, "setsid()");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return fail_sys(errno, "ioctl(pty, TIOCSCTTY)");
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(slave, fd) < 0)
			return fail_sys(errno, "dup2(pty, %d)", fd);
	if (slave > 2)
		close(slave);
	if (send_fd(console_fd, master, "/dev/ptmx") < 0)
		return fail_sys(errno, "send the pty master to %s", config.console_socket);
	close(master);
	close(console_fd);
	console_fd = -1;
	return 0;
}

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

static int step_run_hook(const char *name, const char *path, char **argv, char **envp,
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

	int status;
	int killed = wait_with_timeout(pid, timeout, &status);
	if (killed < 0)
		return fail_sys(errno, "%s hook %s: waitpid", name, path);
	if (killed)
		return fail(ETIMEDOUT, "%s hook %s: timed out after %llds", name, path, timeout);
	if (WIFSIGNALED(status))
		return fail(EINTR, "%s hook %s: killed by signal %d (%s)", name, path,
			    WTERMSIG(status), strsignal(WTERMSIG(status)));
	if (WEXITSTATUS(status) != 0)
		return fail(0, "%s hook %s: exit status %d", name, path, WEXITSTATUS(status));
	return 0;
}

static int step_drop_bounding_caps(uint64_t keep)
{
	/* PR_CAPBSET_READ says EINVAL for capabilities this kernel does not know, which
	 * gives cap_last_cap without needing /proc (it may not be mounted at this point). */
	for (int cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return fail_sys(errno, "prctl(PR_CAPBSET_DROP, %d)", cap);
	}
	return 0;
}

/* user_namespaces(7): once "deny" is written to /proc/PID/setgroups, setgroups(2) fails
 * with EPERM for the life of the namespace. */
static bool setgroups_denied(void)
{
	char text[16] = "";
	int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	return n > 0 && !strncmp(text, "deny", 4);
}

static int step_switch_user(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups)
{
	/* capabilities(7) "Effect of user ID changes on capabilities": changing all uids away
	 * from 0 clears the permitted set, unless PR_SET_KEEPCAPS is set. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return fail_sys(errno, "prctl(PR_SET_KEEPCAPS, 1)");
	if (setgroups(ngroups, groups) < 0 && !(errno == EPERM && ngroups == 0 && setgroups_denied()))
		return fail_sys(errno, "setgroups(%zu groups)", ngroups);
	/* gid first: after the uid changes we may no longer be allowed to. */
	if (setresgid(gid, gid, gid) < 0)
		return fail_sys(errno, "setresgid(%u)", gid);
	if (setresuid(uid, uid, uid) < 0)
		return fail_sys(errno, "setresuid(%u)", uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return fail_sys(errno, "prctl(PR_SET_KEEPCAPS, 0)");
	return 0;
}

static int step_set_capabilities(uint64_t effective, uint64_t permitted, uint64_t inheritable,
				 uint64_t ambient)
{
	/* capget(2): version 3 takes the 64 capability bits as two 32-bit words. */
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2] = {
		{ (uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable },
		{ effective >> 32, permitted >> 32, inheritable >> 32 },
	};
	if (syscall(SYS_capset, &header, data) < 0)
		return fail_sys(errno, "capset(effective 0x%llx, permitted 0x%llx, inheritable 0x%llx)",
				(unsigned long long)effective, (unsigned long long)permitted,
				(unsigned long long)inheritable);
	/* Ambient capabilities survive execve(2) of a program without file capabilities. Any
	 * the runtime itself was started with are cleared first (runc: ResetAmbient; EINVAL
	 * means a kernel without ambient capabilities). A capability must be permitted and
	 * inheritable to be raised; the plan lists only those (process-steps.ts). */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return fail_sys(errno, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
	for (int cap = 0; cap < 64; cap++)
		if ((ambient & (1ULL << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return fail_sys(errno, "prctl(PR_CAP_AMBIENT_RAISE, %d)", cap);
	return 0;
}

/* HOME=<dir> for the exec step, when the process's environment has none (lookup-home). */
static char *default_home;

/*
 * runc's setupUser (libcontainer/user GetExecUser): the first /etc/passwd entry whose uid
 * field is `uid` gives the home directory; without a readable /etc/passwd or such an entry
 * it is "/". Read here, after pivot_root, so it is the container's file, including one an
 * engine bind-mounted over it (podman does for `run --user`). passwd(5): seven
 * colon-separated fields, name:password:UID:GID:GECOS:directory:shell.
 */
static int step_lookup_home(long long uid)
{
	const char *home = "/";
	char *line = NULL, *found = NULL;
	size_t cap = 0;
	FILE *passwd = fopen("/etc/passwd", "re");
	while (passwd && !found && getline(&line, &cap, passwd) >= 0) {
		line[strcspn(line, "\n")] = '\0';
		char *field[7] = { 0 };
		char *at = line;
		int n = 0;
		for (; n < 7 && at; n++) {
			field[n] = at;
			at = strchr(at, ':');
			if (at)
				*at++ = '\0';
		}
		if (n < 6 || !*field[2])
			continue; /* malformed lines are skipped, as runc's parser does */
		char *end;
		errno = 0;
		long long entry_uid = strtoll(field[2], &end, 10);
		if (!errno && !*end && entry_uid == uid)
			found = strdup(field[5]);
	}
	if (passwd)
		fclose(passwd);
	free(line);
	if (found)
		home = found;
	if (asprintf(&default_home, "HOME=%s", home) < 0)
		abort();
	free(found);
	return 0;
}

static int step_umask(mode_t mask)
{
	umask(mask);
	return 0;
}

static int step_chdir(const char *path)
{
	if (chdir(path) < 0)
		return fail_sys(errno, "chdir(%s)", path);
	return 0;
}

static int step_no_new_privileges(void)
{
	/* prctl(2): setuid bits and file capabilities stop granting anything across execve. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail_sys(errno, "prctl(PR_SET_NO_NEW_PRIVS, 1)");
	return 0;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* `hex` is the struct sock_filter array src/seccomp/compile.ts built (8 bytes per
 * instruction, little-endian, as hex text). seccomp(2) with SECCOMP_SET_MODE_FILTER needs
 * either no_new_privs or CAP_SYS_ADMIN; the plan puts this step where one of them holds. */
static int step_seccomp(const char *hex, unsigned flags)
{
	size_t len = strlen(hex);
	if (len == 0 || len % (2 * sizeof(struct sock_filter)) || len / 2 / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return fail(EINVAL, "seccomp: a program of %zu hex digits is not 1-%d instructions", len, BPF_MAXINSNS);
	uint8_t *bytes = malloc(len / 2);
	if (!bytes)
		abort();
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(bytes);
			return fail(EINVAL, "seccomp: the program is not lower-case hex");
		}
		bytes[i] = hi << 4 | lo;
	}
	size_t count = len / 2 / sizeof(struct sock_filter);
	struct sock_filter *filter = calloc(count, sizeof *filter);
	if (!filter)
		abort();
	for (size_t i = 0; i < count; i++) {
		const uint8_t *b = bytes + 8 * i;
		filter[i].code = b[0] | b[1] << 8;
		filter[i].jt = b[2];
		filter[i].jf = b[3];
		filter[i].k = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
	}
	free(bytes);
	struct sock_fprog prog = { .len = count, .filter = filter };
	long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	int err = errno;
	free(filter);
	if (rc < 0)
		return fail_sys(err, "seccomp(SECCOMP_SET_MODE_FILTER, 0x%x, %zu instructions)", flags, count);
	return 0;
}

static int step_wait_for_start(void)
{
	if (exec_listen_fd < 0)
		return fail(EINVAL, "wait-for-start: no exec socket was given");
	if (send_message(sync_fd, MSG_READY, NULL, -1) < 0)
		return fail_sys(errno, "send READY");
	/* Node's `create` is done with us; from here on `start` is the one listening. */
	close(sync_fd);
	sync_fd = -1;

	int conn;
	do
		conn = accept4(exec_listen_fd, NULL, NULL, SOCK_CLOEXEC);
	while (conn < 0 && errno == EINTR);
	if (conn < 0) {
		report_fd = -1; /* nobody left to tell but stderr */
		return fail_sys(errno, "accept(%s)", config.exec_socket);
	}
	/* Close-on-exec: `start` sees EOF exactly when execve(2) succeeds, or an ERROR. */
	report_fd = conn;
	close(exec_listen_fd);
	exec_listen_fd = -1;
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
static int step_find_executable(const char *path, char **envp)
{
	char found[PATH_MAX];
	return find_executable(path, envp, found);
}

/*
 * Mark every fd above stdio and the preserved ones close-on-exec rather than closing it:
 * the report connection must stay open until execve(2) has succeeded, in case it fails.
 * The plan runs this before the seccomp filter (compile.ts withSeccomp), as runc marks its
 * fds in finalizeNamespace, so a profile without close_range(2) still works. Kernels before
 * 5.11 lack CLOSE_RANGE_CLOEXEC (EINVAL) or close_range itself (ENOSYS): then each fd in
 * /proc/self/fd is marked with fcntl(2), as runc's CloseExecFrom does.
 */
static int step_close_fds(void)
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

static int step_exec(const char *path, char **argv, char **envp)
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

/* ======================================================================================
 * Running the plan
 * ==================================================================================== */

/* Read one step's fields in the order of stepFields() in src/plan/encode.ts, then run it.
 * Every branch checks args_ok() before the step touches anything. */
static int run_step(const char *op, struct args *a)
{
#define OP(name) (!strcmp(op, name))
	if (OP("set-root-propagation")) {
		unsigned long propagation = arg_int(a);
		return args_ok(a, op) ? step_set_root_propagation(propagation) : -1;
	}
	if (OP("bind-rootfs")) {
		const char *rootfs = arg_str(a);
		return args_ok(a, op) ? step_bind_rootfs(rootfs) : -1;
	}
	if (OP("mount")) {
		const char *source = arg_str(a), *target = arg_str(a), *fstype = arg_str(a);
		unsigned long flags = arg_int(a);
		uint32_t npropagation = 0;
		long long *propagation = arg_int_list(a, &npropagation);
		const char *data = arg_str(a), *create = arg_str(a);
		return args_ok(a, op) ? step_mount(source, target, fstype, flags, propagation,
						   npropagation, data, create) : -1;
	}
	if (OP("mount-copy-up")) {
		const char *target = arg_str(a), *fstype = arg_str(a);
		unsigned long flags = arg_int(a);
		uint32_t npropagation = 0;
		long long *propagation = arg_int_list(a, &npropagation);
		const char *data = arg_str(a);
		return args_ok(a, op) ? step_mount_copy_up(target, fstype, flags, propagation,
							   npropagation, data) : -1;
	}
	if (OP("mkdir")) {
		const char *path = arg_str(a);
		mode_t mode = arg_int(a);
		return args_ok(a, op) ? step_mkdir(path, mode) : -1;
	}
	if (OP("mknod")) {
		const char *path = arg_str(a), *type = arg_str(a);
		unsigned major = arg_int(a), minor = arg_int(a);
		mode_t mode = arg_int(a);
		uid_t uid = arg_int(a);
		gid_t gid = arg_int(a);
		return args_ok(a, op) ? step_mknod(path, type, major, minor, mode, uid, gid) : -1;
	}
	if (OP("symlink")) {
		const char *target = arg_str(a), *path = arg_str(a);
		return args_ok(a, op) ? step_symlink(target, path) : -1;
	}
	if (OP("pivot-root"))
		return args_ok(a, op) ? step_pivot_root() : -1;
	if (OP("chroot")) {
		const char *rootfs = arg_str(a);
		return args_ok(a, op) ? step_chroot(rootfs) : -1;
	}
	if (OP("lookup-home")) {
		long long uid = arg_int(a);
		return args_ok(a, op) ? step_lookup_home(uid) : -1;
	}
	if (OP("close-fds"))
		return args_ok(a, op) ? step_close_fds() : -1;
	if (OP("move-root"))
		return args_ok(a, op) ? step_move_root() : -1;
	if (OP("mask-path")) {
		const char *path = arg_str(a);
		return args_ok(a, op) ? step_mask_path(path) : -1;
	}
	if (OP("readonly-path")) {
		const char *path = arg_str(a);
		return args_ok(a, op) ? step_readonly_path(path) : -1;
	}
	if (OP("remount-root-readonly"))
		return args_ok(a, op) ? step_remount_root_readonly() : -1;
	if (OP("sethostname")) {
		const char *name = arg_str(a);
		return args_ok(a, op) ? step_sethostname(name) : -1;
	}
	if (OP("setdomainname")) {
		const char *name = arg_str(a);
		return args_ok(a, op) ? step_setdomainname(name) : -1;
	}
	if (OP("sysctl")) {
		const char *key = arg_str(a), *value = arg_str(a);
		return args_ok(a, op) ? step_sysctl(key, value) : -1;
	}
	if (OP("setrlimit")) {
		const char *resource = arg_str(a);
		unsigned long long soft = arg_u64(a), hard = arg_u64(a);
		return args_ok(a, op) ? step_setrlimit(resource, soft, hard) : -1;
	}
	if (OP("oom-score-adj")) {
		long long value = arg_int(a);
		return args_ok(a, op) ? step_oom_score_adj(value) : -1;
	}
	if (OP("join-session-keyring")) {
		const char *name = arg_str(a);
		return args_ok(a, op) ? step_join_session_keyring(name) : -1;
	}
	if (OP("terminal")) {
		unsigned width = arg_int(a), height = arg_int(a);
		return args_ok(a, op) ? step_terminal(width, height) : -1;
	}
	if (OP("run-hook")) {
		const char *name = arg_str(a), *path = arg_str(a);
		char **argv = arg_str_list(a), **envp = arg_str_list(a);
		long long timeout = arg_int(a);
		const char *state = arg_str(a);
		return args_ok(a, op) ? step_run_hook(name, path, argv, envp, timeout, state) : -1;
	}
	if (OP("drop-bounding-caps")) {
		uint64_t keep = arg_cap_list(a);
		return args_ok(a, op) ? step_drop_bounding_caps(keep) : -1;
	}
	if (OP("switch-user")) {
		uid_t uid = arg_int(a);
		gid_t gid = arg_int(a);
		uint32_t ngroups = 0;
		long long *list = arg_int_list(a, &ngroups);
		gid_t *groups = calloc(ngroups + 1, sizeof *groups);
		if (!groups)
			abort();
		for (uint32_t i = 0; i < ngroups; i++)
			groups[i] = list[i];
		return args_ok(a, op) ? step_switch_user(uid, gid, groups, ngroups) : -1;
	}
	if (OP("set-capabilities")) {
		uint64_t effective = arg_cap_list(a), permitted = arg_cap_list(a);
		uint64_t inheritable = arg_cap_list(a), ambient = arg_cap_list(a);
		return args_ok(a, op) ? step_set_capabilities(effective, permitted, inheritable, ambient) : -1;
	}
	if (OP("umask")) {
		mode_t mask = arg_int(a);
		return args_ok(a, op) ? step_umask(mask) : -1;
	}
	if (OP("chdir")) {
		const char *path = arg_str(a);
		return args_ok(a, op) ? step_chdir(path) : -1;
	}
	if (OP("no-new-privileges"))
		return args_ok(a, op) ? step_no_new_privileges() : -1;
	if (OP("seccomp")) {
		const char *program = arg_str(a);
		unsigned flags = arg_int(a);
		return args_ok(a, op) ? step_seccomp(program, flags) : -1;
	}
	if (OP("find-executable")) {
		const char *path = arg_str(a);
		char **envp = arg_str_list(a);
		return args_ok(a, op) ? step_find_executable(path, envp) : -1;
	}
	if (OP("wait-for-start"))
		return args_ok(a, op) ? step_wait_for_start() : -1;
	if (OP("exec")) {
		const char *path = arg_str(a);
		char **argv = arg_str_list(a), **envp = arg_str_list(a);
		return args_ok(a, op) ? step_exec(path, argv, envp) : -1;
	}
#undef OP
	return fail(EINVAL, "unknown step \"%s\" in the plan", op);
}

/* plan := nsteps step*, each step a field list whose field 0 is the op name. */
static int decode_plan(const uint8_t *payload, uint32_t len, struct fields **steps, uint32_t *nsteps)
{
	const uint8_t *at = payload, *end = payload + len;
	if (len < 4)
		return -1;
	*nsteps = get_u32(at);
	at += 4;
	if (*nsteps > len / 4)
		return -1;
	*steps = calloc(*nsteps + 1, sizeof **steps);
	if (!*steps)
		return -1;
	for (uint32_t i = 0; i < *nsteps; i++)
		if (decode_fields(&at, end, &(*steps)[i]) < 0 || (*steps)[i].count == 0)
			return -1;
	return at == end ? 0 : -1;
}

__attribute__((noreturn))
static void run_plan(const struct fields *steps, uint32_t nsteps)
{
	for (uint32_t i = 0; i < nsteps; i++) {
		const char *op = steps[i].item[0];
		struct args a = { .fields = &steps[i], .next = 1 };
		if (run_step(op, &a) < 0)
			report_and_exit(i, op);
	}
	fail(EINVAL, "the plan ended without an exec step");
	report_and_exit(nsteps, "plan");
}

/* ======================================================================================
 * Stage 1: the container process
 * ==================================================================================== */

/*
 * Become root of the user namespace. After clone(2) or setns(2) we keep the host's uid 0,
 * which is not in the namespace's uid_map: the kernel shows it as the overflow uid 65534,
 * and creating a file fails with EOVERFLOW (user_namespaces(7) "unmapped user and group
 * IDs"). Now that Node has written the maps, setresuid(0) gives us the namespace's mapped
 * root, and keeps our capabilities in it (capabilities(7): "effective user ID changed from
 * nonzero to 0" copies permitted to effective). runc does the same.
 */
static int become_root(void)
{
	/* Drop the host's supplementary groups (unmapped too); not allowed, harmlessly, when
	 * /proc/PID/setgroups is "deny". */
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		return fail_sys(errno, "setgroups(0)");
	if (setresgid(0, 0, 0) < 0)
		return fail_sys(errno, "setresgid(0) in the user namespace (is gid_map written?)");
	if (setresuid(0, 0, 0) < 0)
		return fail_sys(errno, "setresuid(0) in the user namespace (is uid_map written?)");
	return 0;
}

/*
 * rtnetlink(7) works on the network namespace a socket was created in, whoever uses it
 * later. Node must not setns(2) (it is multithreaded), but we are single-threaded and
 * already inside the container's new namespace: open the socket here and hand it over.
 * Node brings lo up with it, and adds the container's address and routes.
 */
static int send_netlink_socket(void)
{
	int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl < 0)
		return fail_sys(errno, "socket(AF_NETLINK, NETLINK_ROUTE)");
	int rc = send_fd(config.netlink_fd, nl, "netlink");
	int err = errno;
	close(nl);
	close(config.netlink_fd);
	config.netlink_fd = -1;
	if (rc < 0)
		return fail_sys(err, "send the netlink socket to ts-runc");
	return 0;
}

__attribute__((noreturn))
static void container_main(void)
{
	/* Stage 0 blocked the forwarded signals around clone(2); start clean. */
	reset_signals();
	/* A session of our own, as runc does: the container must not get the terminal's
	 * SIGINT/SIGHUP directly (in the foreground, stage 0 forwards them; detached, it must
	 * outlive the terminal). No PR_SET_PDEATHSIG either: it must outlive Node. */
	setsid();

	if (config.netlink_fd >= 0 && send_netlink_socket() < 0)
		report_and_exit(BEFORE_PLAN, "netlink");

	uint32_t len;
	uint8_t *payload = read_message(sync_fd, MSG_PLAN, &len);
	if (!payload) {
		if (errno == EPROTO) {
			fail(EPROTO, "expected a PLAN message");
			report_and_exit(BEFORE_PLAN, "plan");
		}
		_exit(1); /* Node went away before sending a plan: nothing to run, nobody to tell */
	}
	struct fields *steps;
	uint32_t nsteps;
	if (decode_plan(payload, len, &steps, &nsteps) < 0) {
		fail(EINVAL, "malformed PLAN message (%u bytes)", len);
		report_and_exit(BEFORE_PLAN, "plan");
	}

	if (in_user_namespace && become_root() < 0)
		report_and_exit(BEFORE_PLAN, "setresuid");

	/* cgroup_namespaces(7): a new cgroup namespace is rooted at the cgroup its creator is
	 * in at that moment. Node moved us into the container's cgroup before sending PLAN,
	 * so only now is the right moment (runc does the same). */
	if ((config.clone_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0) {
		fail_sys(errno, "unshare(CLONE_NEWCGROUP)");
		report_and_exit(BEFORE_PLAN, "unshare");
	}
	run_plan(steps, nsteps);
}

/* ======================================================================================
 * Stage 0: configuration, host sockets, namespaces, clone
 * ==================================================================================== */

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

	config.console_socket = config.exec_socket = "";
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
		else if (!strcmp(key, "exec-socket"))
			config.exec_socket = value;
		else if (!strcmp(key, "preserve-fds"))
			config.preserve_fds = atoi(value);
		else if (!strcmp(key, "netlink-fd"))
			config.netlink_fd = atoi(value);
		else if (!strcmp(key, "join") && parse_join(value) < 0)
			return -1;
		/* "pid-ns-child" needs nothing: stage 0 always forks the container process,
		 * which is what puts it inside a joined pid namespace. Unknown keys are ignored. */
	}
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
		/* Neither the container nor a hook may inherit it. */
		if (fcntl(config.netlink_fd, F_SETFD, FD_CLOEXEC) < 0)
			return fail_sys(errno, "netlink-fd %d", config.netlink_fd);
	}
	return 0;
}

/* A unix(7) stream socket, connected to or listening on `path`. */
static int unix_socket(const char *path, bool listening)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof addr.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int rc;
	if (listening) {
		/* A socket file left by an earlier run would make bind(2) fail with EADDRINUSE. */
		if (unlink(path) < 0 && errno != ENOENT)
			rc = -1;
		else
			rc = bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 ? -1 : listen(fd, 16);
	} else {
		rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
	}
	if (rc < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static int open_host_sockets(void)
{
	if (*config.console_socket) {
		console_fd = unix_socket(config.console_socket, false);
		if (console_fd < 0)
			return fail_sys(errno, "connect(%s)", config.console_socket);
	}
	if (*config.exec_socket) {
		exec_listen_fd = unix_socket(config.exec_socket, true);
		if (exec_listen_fd < 0)
			return fail_sys(errno, "bind/listen(%s)", config.exec_socket);
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

int main(int argc, char **argv)
{
	(void)argc;
	/* First of all, before any container can see this process: run from a sealed copy of
	 * this binary, so /proc/<pid>/exe never leads to the host's file (sealed-exe.c). */
	if (run_from_sealed_copy(argv) < 0)
		return 1;
	/* Not dumpable (as runc's nsexec) until the user's program is exec'd: the /proc/<pid>
	 * links, environ and mem of an exec'd process or of a created container's process 1
	 * (host fds, no seccomp filter yet) then need CAP_SYS_PTRACE in the host's user
	 * namespace (ptrace(2) "Ptrace access mode checking"). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		dprintf(STDERR_FILENO, "ts-runc-init: prctl(PR_SET_DUMPABLE, 0): %s\n", strerror(errno));
		return 1;
	}
	const char *fd_text = getenv("TSRUNC_SYNC_FD");
	if (!fd_text) {
		dprintf(STDERR_FILENO, "ts-runc-init: TSRUNC_SYNC_FD is not set; ts-runc starts this program\n");
		return 1;
	}
	sync_fd = report_fd = atoi(fd_text);
	/* The container must not inherit it: its EOF is how Node learns that execve worked. */
	if (fcntl(sync_fd, F_SETFD, FD_CLOEXEC) < 0) {
		dprintf(STDERR_FILENO, "ts-runc-init: TSRUNC_SYNC_FD=%s: %s\n", fd_text, strerror(errno));
		return 1;
	}

	if (read_config() < 0)
		report_and_exit(BEFORE_PLAN, "config");
	if (open_host_sockets() < 0)
		report_and_exit(BEFORE_PLAN, "socket");
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

	/* fork(2)-like clone(2) (no new stack: the child continues here on a copy of ours)
	 * with every CLONE_NEW* flag in one call. The kernel creates the user namespace first
	 * and makes it the owner of the others (user_namespaces(7)), which is what later lets
	 * the container's root mount proc or set its hostname. A pid namespace joined above
	 * applies to this child too (setns(2): "only children are moved"). */
	pid_t pid = syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
	if (pid < 0) {
		fail_sys(errno, "clone(0x%lx)", flags);
		report_and_exit(BEFORE_PLAN, "clone");
	}
	if (pid == 0)
		container_main();

	/* Only the child sends on it; if the child dies first, Node must see EOF, not wait. */
	if (config.netlink_fd >= 0)
		close(config.netlink_fd);
	container_pid = pid;
	char pid_text[24];
	snprintf(pid_text, sizeof pid_text, "%d", pid);
	const char *fields[] = { pid_text };
	if (send_message(sync_fd, MSG_PID, fields, 1) < 0) {
		/* Node is gone; a container it cannot know about must not be left behind. */
		kill(pid, SIGKILL);
		_exit(1);
	}
	if (!config.foreground)
		_exit(0); /* the container is reparented to the caller's subreaper */

	/* Only the container keeps the sockets: Node must see EOF when *it* closes them. */
	close(sync_fd);
	if (exec_listen_fd >= 0)
		close(exec_listen_fd);
	if (console_fd >= 0)
		close(console_fd);
	forward_and_wait(&blocked);
}
