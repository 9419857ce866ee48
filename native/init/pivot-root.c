/* Changing root: pivot-root, and its fallbacks move-root and chroot. */
#include "init.h"

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

int step_move_root(void)
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
