/* Settings of the container process and its namespaces: hostname, domain name, sysctls,
 * rlimits, oom_score_adj, the session keyring, umask and working directory. */
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

int step_oom_score_adj(long long value)
{
	char text[24];
	snprintf(text, sizeof text, "%lld", value);
	if (write_file("/proc/self/oom_score_adj", text) < 0)
		return fail_sys(errno, "write %s to /proc/self/oom_score_adj", text);
	return 0;
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

int step_chdir(const char *path)
{
	if (chdir(path) < 0)
		return fail_sys(errno, "chdir(%s)", path);
	return 0;
}
