/* Masked and read-only paths (OCI config-linux.md#masked-paths, #readonly-paths), and the read-only root. */
#include "init.h"

int step_mask_path(const char *path)
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

int step_readonly_path(const char *path)
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

int step_remount_root_readonly(void)
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
