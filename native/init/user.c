/* The user the process runs as: switch-user (its stdio included), and HOME from the
 * container's /etc/passwd. */
#include "init.h"

#include <linux/magic.h>
#include <sys/vfs.h>

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

/*
 * runc's fixStdioPermissions (libcontainer/init_linux.go setupUser): before the uid
 * changes, stdin, stdout and stderr become the user's (the uid only: the group is left as
 * devpts' gid= or the pipe's maker set it). A process may write to an fd it inherited
 * whoever owns it, but not reopen it: `echo > /dev/stdout` and `> /proc/self/fd/2` open
 * the file again, with the user's permissions (pipes are mode 0600, ptys 0620), and
 * `tty`/`stty` on a pty its user does not own print a root-owned terminal.
 *
 * Only what exists for this process's stdio is changed: the pty the terminal step made,
 * and anonymous pipes and sockets (containerd's shim and conmon pass pipes). runc 1.1.5
 * also chowns a host file or terminal passed straight through (`runc run -d >/var/log/x`
 * leaves the log owned by the container's uid, and ts-runc always passes its own stdio
 * through): those have a life on the host, so they are left alone.
 * EPERM (the owner is not mapped in our user namespace), EINVAL (the uid is not) and EROFS
 * leave the fd as it is, as in runc.
 */
static int own_stdio(uid_t uid)
{
	for (int fd = 0; fd <= 2; fd++) {
		struct stat st;
		struct statfs fs;
		if (fstat(fd, &st) < 0 || st.st_uid == uid)
			continue; /* closed, or the user's already */
		bool ours = (S_ISCHR(st.st_mode) && terminal_rdev && st.st_rdev == terminal_rdev) ||
			    S_ISSOCK(st.st_mode) ||
			    (S_ISFIFO(st.st_mode) && fstatfs(fd, &fs) == 0 && fs.f_type == PIPEFS_MAGIC);
		if (!ours)
			continue;
		if (fchown(fd, uid, (gid_t)-1) < 0 && errno != EPERM && errno != EINVAL && errno != EROFS)
			return fail_sys(errno, "fchown(fd %d, %u) (stdio to the container's user)", fd, uid);
	}
	return 0;
}

int step_switch_user(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups)
{
	if (own_stdio(uid) < 0)
		return -1;
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

/* HOME=<dir> for the exec step, when the process's environment has none (lookup-home). */
char *default_home;

/*
 * runc's setupUser (libcontainer/user GetExecUser): the first /etc/passwd entry whose uid
 * field is `uid` gives the home directory; without a readable /etc/passwd or such an entry
 * it is "/". Read here, after pivot_root, so it is the container's file, including one an
 * engine bind-mounted over it (podman does for `run --user`). passwd(5): seven
 * colon-separated fields, name:password:UID:GID:GECOS:directory:shell.
 */
int step_lookup_home(long long uid)
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
