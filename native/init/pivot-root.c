/* Changing root: pivot-root, and its fallbacks move-root and chroot. */
#include "init.h"

/* After pivot-root/move-root, container paths are plain paths again. */
static void leave_rootfs(void)
{
	close_mount_sources();
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
int step_pivot_root(void)
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
int step_chroot(const char *rootfs)
{
	if (chdir(rootfs) < 0)
		return fail_sys(errno, "chdir(%s)", rootfs);
	if (chroot(".") < 0)
		return fail_sys(errno, "chroot(%s)", rootfs);
	if (chdir("/") < 0)
		return fail_sys(errno, "chdir(/)");
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo (proc(5)); undo it in place. */
static void unescape_octal(char *s)
{
	char *out = s;
	for (char *in = s; *in; in++) {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' &&
		    in[3] >= '0' && in[3] <= '7') {
			*out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
			in += 3;
		} else {
			*out++ = *in;
		}
	}
	*out = '\0';
}

static bool is_inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

/*
 * runc's msMoveRoot: before the move, detach every *full* procfs and sysfs mount of this
 * mount namespace outside the rootfs (the host's /proc and /sys, copied with the namespace).
 * move-root leaves the old root in the namespace, under the rootfs: a process that escapes
 * the chroot(2) (CAP_SYS_CHROOT is enough) would find the host's /proc there, and the kernel
 * lets a new procfs or sysfs be mounted in a user namespace only while an unmasked one is
 * visible in the mount namespace (mount_namespaces(7), "fully visible"). The mounts are made
 * slaves first so the unmount cannot propagate to the host; where they cannot be unmounted
 * (locked in a user namespace), an empty tmpfs covers them instead.
 */
static int detach_host_proc_and_sys(void)
{
	/* mountinfo names mount points by their real paths. */
	char rootfs[PATH_MAX];
	if (!realpath(rootfs_path, rootfs))
		return fail_sys(errno, "realpath(%s)", rootfs_path);
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return fail_sys(errno, "open /proc/self/mountinfo");
	char **found = NULL;
	size_t nfound = 0;
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;
	while (rc == 0 && getline(&line, &cap, f) > 0) {
		/* "36 35 98:0 /root /mountpoint options [optional...] - fstype source super" */
		char root[PATH_MAX], point[PATH_MAX], fstype[64];
		const char *dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*d %*d %*s %4095s %4095s", root, point) != 2 ||
		    sscanf(dash, " - %63s", fstype) != 1)
			continue;
		unescape_octal(root);
		unescape_octal(point);
		if (strcmp(root, "/") || (strcmp(fstype, "proc") && strcmp(fstype, "sysfs")) ||
		    is_inside(point, rootfs))
			continue;
		char **grown = realloc(found, (nfound + 1) * sizeof *found);
		char *copy = strdup(point);
		if (!grown || !copy) {
			free(copy);
			if (grown)
				found = grown;
			rc = fail(ENOMEM, "list the host's proc and sysfs mounts");
			break;
		}
		found = grown;
		found[nfound++] = copy;
	}
	free(line);
	fclose(f);
	for (size_t i = 0; i < nfound; i++) {
		const char *point = found[i];
		if (rc < 0)
			;
		else if (mount(NULL, point, NULL, MS_SLAVE | MS_REC, NULL) < 0) {
			/* Gone with a mount detached before it (/proc/sys/... under /proc). */
			if (errno != ENOENT && errno != EINVAL)
				rc = fail_sys(errno, "mount(%s, MS_SLAVE|MS_REC)", point);
		} else if (umount2(point, MNT_DETACH) < 0) {
			if (errno != EINVAL && errno != EPERM)
				rc = fail_sys(errno, "umount2(%s, MNT_DETACH)", point);
			else if (mount("tmpfs", point, "tmpfs", 0, NULL) < 0)
				rc = fail_sys(errno, "cover %s with a tmpfs", point);
		}
		free(found[i]);
	}
	free(found);
	return rc;
}

int step_move_root(void)
{
	if (root_fd < 0)
		return fail(EINVAL, "move-root before bind-rootfs");
	if (detach_host_proc_and_sys() < 0)
		return -1;
	if (fchdir(root_fd) < 0)
		return fail_sys(errno, "fchdir(rootfs)");
	/* For hosts whose root is a ramfs, which pivot_root(2) refuses: the old root stays in
	 * the mount namespace (minus its proc and sysfs mounts), merely out of reach of chroot(2). */
	if (mount(rootfs_path, "/", NULL, MS_MOVE, NULL) < 0)
		return fail_sys(errno, "mount(%s, /, MS_MOVE)", rootfs_path);
	if (chroot(".") < 0)
		return fail_sys(errno, "chroot(.)");
	if (chdir("/") < 0)
		return fail_sys(errno, "chdir(/)");
	leave_rootfs();
	return 0;
}
