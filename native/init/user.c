/* The user the process runs as: switch-user, and HOME from the container's /etc/passwd. */
#include "init.h"

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

int step_switch_user(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups)
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
