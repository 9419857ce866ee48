/* Settings of the container process and its namespaces: hostname, domain name, sysctls,
 * rlimits, the session keyring, umask and working directory (chdir twice,
 * around the user switch, as runc does). */
#include "init.h"

int step_sethostname(const char *name)
{
	if (sethostname(name, strlen(name)) < 0)
		return fail_sys(errno, "sethostname(%s)", name);
	return 0;
}

int step_setdomainname(const char *name)
{
	if (setdomainname(name, strlen(name)) < 0)
		return fail_sys(errno, "setdomainname(%s)", name);
	return 0;
}

int step_sysctl(const char *key, const char *value)
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

int step_setrlimit(const char *resource, unsigned long long soft, unsigned long long hard)
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

int step_join_session_keyring(const char *name)
{
	/* keyrings(7): otherwise every container would share the session keyring of
	 * whoever ran ts-runc. Kernels without keys (ENOSYS), or which refuse it inside a user
	 * namespace (EACCES), just keep the old keyring, as runc does. */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, or_null(name)) < 0 &&
	    errno != ENOSYS && errno != EACCES)
		return fail_sys(errno, "keyctl(KEYCTL_JOIN_SESSION_KEYRING, %s)", name);
	return 0;
}

int step_umask(mode_t mask)
{
	umask(mask);
	return 0;
}

/* Set by step_chdir when root was refused, for step_chdir_as_user to try again. */
static bool cwd_pending;

/* runc's words (libcontainer/init_linux.go finalizeNamespace), with the JSON path. */
static int fail_chdir(const char *path)
{
	return fail_sys(errno, "chdir to cwd (\"%s\") set in process.cwd failed", path);
}

/*
 * The first of runc's two chdir(2)s (finalizeNamespace): as root, before the user switch,
 * so a directory only root may enter (a 0700 /root) still works as the cwd of a non-root
 * process, which then holds it without needing search permission. EACCES or EPERM (a
 * directory whose owner the user namespace does not map, root-squashed NFS) is left to
 * chdir-as-user: the user may be allowed where root is not. Any other error (ENOENT,
 * ENOTDIR) fails here, as in runc.
 */
int step_chdir(const char *path)
{
	cwd_pending = false;
	if (chdir(path) == 0)
		return 0;
	if (errno != EACCES && errno != EPERM)
		return fail_chdir(path);
	cwd_pending = true;
	return 0;
}

/* The second chdir(2), after switch-user, only when root was refused by the first. */
int step_chdir_as_user(const char *path)
{
	if (!cwd_pending)
		return 0;
	cwd_pending = false;
	if (chdir(path) < 0)
		return fail_chdir(path);
	return 0;
}
