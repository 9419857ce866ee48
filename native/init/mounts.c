/* The mount steps: propagation, the rootfs bind, mount, mount-copy-up, mkdir, mknod, symlink. */
#include "init.h"

#include <linux/magic.h>
#include <sys/vfs.h>

int step_set_root_propagation(unsigned long propagation)
{
	/* mount_namespaces(7): a new mount namespace copies the host's propagation, so
	 * without this our mounts would propagate back to the host's shared mounts. */
	if (mount("", "/", NULL, MS_REC | propagation, NULL) < 0)
		return fail_sys(errno, "mount(/, propagation 0x%lx)", propagation);
	return 0;
}

int step_bind_rootfs(const char *rootfs)
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

/*
 * proc and sysfs only on a real directory, never through a symlink (runc's mountToRootfs,
 * CVE-2019-19921): with /proc a symlink to a directory the image controls, proc would be
 * mounted there and /proc would show the image's files instead, where the runtime and the
 * container read and write security settings (/proc/self/attr, /proc/sys). Resolving the
 * link inside the rootfs keeps the mount in the rootfs, but not at /proc.
 */
static int check_ordinary_directory(const char *target, const char *fstype)
{
	struct parent p;
	if (parent_open(&p, target) < 0)
		return fail_sys(errno, "mount %s: resolve the parent directory in the rootfs", target);
	struct stat st;
	int rc = fstatat(p.fd, p.name, &st, AT_SYMLINK_NOFOLLOW);
	int err = errno;
	close(p.fd);
	if (rc < 0 && err != ENOENT)
		return fail_sys(err, "mount %s: stat the target", target);
	if (rc == 0 && !S_ISDIR(st.st_mode))
		return fail(ENOTDIR, "filesystem \"%s\" must be mounted on ordinary directory (%s is a %s)", fstype,
			    target, S_ISLNK(st.st_mode) ? "symlink" : "file");
	return 0;
}

/*
 * runc's checkProcMount on the destination as it resolved inside the rootfs: the compiler
 * (src/plan/mounts.ts) checks the path as written, and this catches a symlink of the image
 * ("/x -> /proc") that leads a bind mount into /proc anyway. Only the files lxcfs emulates
 * may be covered; /proc itself only by a procfs.
 */
static int check_not_in_proc(int fd, const char *target, const char *source, bool bind)
{
	static const char *const lxcfs[] = {
		"/cpuinfo", "/diskstats", "/meminfo", "/stat", "/swaps", "/uptime", "/loadavg",
		"/slabinfo", "/net/dev", "/sys/kernel/ns_last_pid",
	};
	char link[32], resolved[PATH_MAX], root[PATH_MAX], proc[PATH_MAX + 8];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, resolved, sizeof resolved - 1);
	if (n < 0 || !realpath(rootfs_path, root))
		return fail_sys(errno, "mount %s: find where the target resolved", target);
	resolved[n] = '\0';
	snprintf(proc, sizeof proc, "%s/proc", strcmp(root, "/") ? root : "");
	size_t len = strlen(proc);
	if (strncmp(resolved, proc, len) || (resolved[len] && resolved[len] != '/'))
		return 0;
	if (!resolved[len]) {
		struct statfs st;
		int source_fd = bind ? mount_source_fd(source) : -1;
		int rc = source_fd >= 0 ? fstatfs(source_fd, &st) : statfs(source, &st);
		if (bind && rc == 0 && st.f_type == PROC_SUPER_MAGIC)
			return 0;
		return fail(EPERM, "\"%s\" cannot be mounted because it is not of type proc (%s resolved to /proc)",
			    resolved, target);
	}
	for (size_t i = 0; i < sizeof lxcfs / sizeof lxcfs[0]; i++)
		if (!strcmp(resolved + len, lxcfs[i]))
			return 0;
	return fail(EPERM, "\"%s\" cannot be mounted because it is inside /proc (%s resolved to %s)", resolved,
		    target, resolved + len - 5);
}

int step_mount(const char *source, const char *target, const char *fstype,
		      unsigned long flags, const long long *propagation, uint32_t npropagation,
		      const char *data, const char *create)
{
	bool bind = flags & MS_BIND;
	struct target t;

	if (!bind && (!strcmp(fstype, "proc") || !strcmp(fstype, "sysfs")) && check_ordinary_directory(target, fstype) < 0)
		return -1;
	if (target_open(&t, target, strcmp(create, "file") ? CREATE_DIR : CREATE_FILE) < 0)
		return fail_sys(errno, "mount %s: resolve the target in the rootfs", target);
	bool own_kind = !strcmp(fstype, "proc") || !strcmp(fstype, "sysfs") || !strcmp(fstype, "tmpfs") ||
			!strcmp(fstype, "mqueue");
	if ((root_resolve & RESOLVE_IN_ROOT) && (bind || !own_kind) &&
	    check_not_in_proc(t.fd, target, source, bind) < 0) {
		target_close(&t);
		return -1;
	}
	/* For a bind mount, mount(2) ignores every flag but MS_REC: they need a remount. */
	unsigned long first = bind ? flags & (MS_BIND | MS_REC) : flags;
	/* A source stage 0 opened for us, outside the user namespace (mount-sources.c). */
	char opened[32];
	int source_fd = bind ? mount_source_fd(source) : -1;
	if (source_fd >= 0)
		snprintf(opened, sizeof opened, "/proc/self/fd/%d", source_fd);
	int rc = mount(source_fd >= 0 ? opened : or_null(source), t.name, or_null(fstype), first,
		       bind ? NULL : or_null(data));
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
int step_mount_copy_up(const char *target, const char *fstype, unsigned long flags,
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

/* struct mount_attr of <linux/mount.h>, which glibc 2.36's <sys/mount.h> clashes with. */
struct mount_attr_v0 {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/*
 * runc's recursive options (rro, rnosuid...): mount_setattr(2) with AT_RECURSIVE changes the
 * mount at `target` and every mount below it in one call, which MS_REMOUNT cannot: a
 * remount changes one mount, so `rbind,ro` leaves the submounts of the tree writable.
 */
int step_mount_setattr(const char *target, uint64_t set, uint64_t clear)
{
	struct target t;
	if (target_open(&t, target, CREATE_NONE) < 0)
		return fail_sys(errno, "mount_setattr %s: resolve the target", target);
	struct mount_attr_v0 attr = { .attr_set = set, .attr_clr = clear };
	/* AT_EMPTY_PATH on the O_PATH fd: the very mount opened, no path looked up again. */
	int rc = syscall(SYS_mount_setattr, t.fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr);
	target_close(&t);
	if (rc < 0)
		return fail_sys(errno, "mount_setattr(%s, AT_RECURSIVE, set 0x%llx, clear 0x%llx)%s", target,
				(unsigned long long)set, (unsigned long long)clear,
				errno == ENOSYS ? " (needs Linux 5.12)" : "");
	return 0;
}

/*
 * A tmpfs or /dev that asked for `ro` is mounted writable, and made read-only only here,
 * after the device nodes, /dev/pts, /dev/shm and the masks went in (runc's finalizeRootfs,
 * remountReadonly). MS_BIND with MS_REMOUNT changes the flags of this mount only, which a
 * user namespace's root may do; mount flags it inherited locked are kept, as step_mount does.
 */
int step_remount_readonly(const char *target, unsigned long flags)
{
	struct target t;
	if (target_open(&t, target, CREATE_NONE) < 0)
		return fail_sys(errno, "remount %s read-only: resolve the target", target);
	unsigned long want = MS_REMOUNT | MS_BIND | MS_RDONLY | (flags & ~(MS_BIND | MS_REC | MS_REMOUNT));
	int rc = mount(NULL, t.name, NULL, want, NULL);
	if (rc < 0 && errno == EPERM)
		rc = mount(NULL, t.name, NULL, want | (mount_flags_of(t.fd) & LOCKED_FLAGS), NULL);
	target_close(&t);
	if (rc < 0)
		return fail_sys(errno, "mount(%s, MS_REMOUNT|MS_BIND|MS_RDONLY)", target);
	return 0;
}

int step_mkdir(const char *path, mode_t mode)
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

int step_mknod(const char *path, const char *type, unsigned major, unsigned minor,
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

int step_symlink(const char *target, const char *path)
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
