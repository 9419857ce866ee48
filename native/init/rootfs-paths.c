/*
 * Container paths, resolved inside the rootfs with openat2(2) RESOLVE_IN_ROOT, and
 * created on the way when missing (mkdir -p, an empty file to bind-mount onto).
 */
#include "init.h"

/* openat2(2) relative to the current root (see root_fd in init.h). */
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

int parent_open(struct parent *p, const char *path)
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

int target_open(struct target *t, const char *path, enum create create)
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

void target_close(struct target *t)
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
unsigned long mount_flags_of(int fd)
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
