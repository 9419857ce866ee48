/*
 * Bind-mount sources opened outside the container's user namespace (runc's "mount sources",
 * nsexec.c send_mountsources, opencontainers/runc#2484).
 *
 * With a new user namespace, the container process becomes root *of that namespace* (host
 * uid 200000, say) before it mounts anything, and path lookup checks that uid: a bind source
 * under a directory only the host's root may enter (a bundle in a 0700 directory) fails
 * with EACCES. So stage 0, still the host's root, opens each source with O_PATH and hands
 * the fd to the container process, which mounts "/proc/self/fd/N" instead of the path.
 *
 * The fd must be opened *inside the container's mount namespace*: mount(2) refuses to bind
 * a mount of another namespace (EINVAL). The namespace exists once clone(2) returns, a copy
 * of the host's in which nothing is mounted yet (the container process waits for these fds
 * first), so stage 0 setns(2)es into it, opens the paths, and setns(2)es back. Stage 0 is
 * single-threaded, which setns(CLONE_NEWNS) requires. The fds travel over a socketpair
 * made before clone(2) (SCM_RIGHTS, one per message), and are closed at pivot_root: none
 * reaches the container (CVE-2024-21626).
 */
#include "init.h"

/* Stage 1's table: the fd opened for each path of config.mount_sources, or -1. */
static int *source_fds;

/* Stage 0, before clone(2): the socketpair. [0] stays with stage 0, [1] goes to stage 1. */
int mount_sources_socketpair(int pair[2])
{
	pair[0] = pair[1] = -1;
	if (config.nmount_sources == 0)
		return 0;
	if (!(config.clone_flags & CLONE_NEWNS))
		return fail(EINVAL, "mount-source needs a new mount namespace to open the sources in");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return fail_sys(errno, "socketpair() for the mount sources");
	return 0;
}

/* Stage 0, after clone(2): open every source in the child's mount namespace and send it. */
int send_mount_sources(int sock, pid_t child)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/mnt", child);
	int ours = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	int theirs = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;
	if (ours < 0 || theirs < 0)
		rc = fail_sys(errno, "open(%s)", ours < 0 ? "/proc/self/ns/mnt" : path);
	else if (setns(theirs, CLONE_NEWNS) < 0)
		rc = fail_sys(errno, "setns(%s)", path);
	else {
		for (int i = 0; rc == 0 && i < config.nmount_sources; i++) {
			const char *source = config.mount_sources[i];
			int fd = open(source, O_PATH | O_CLOEXEC);
			if (fd < 0)
				rc = fail_sys(errno, "open the bind mount source %s", source);
			else if (send_fd(sock, fd, source) < 0)
				rc = fail_sys(errno, "send the bind mount source %s to the container process", source);
			if (fd >= 0)
				close(fd);
		}
		/* Back to our own namespace (setns(2) also moved our root and cwd to its root). */
		if (setns(ours, CLONE_NEWNS) < 0 && rc == 0)
			rc = fail_sys(errno, "setns(/proc/self/ns/mnt) back to our own");
	}
	if (ours >= 0)
		close(ours);
	if (theirs >= 0)
		close(theirs);
	return rc;
}

/* Stage 1, before the plan: receive one fd per source, in order. */
int receive_mount_sources(int sock)
{
	if (config.nmount_sources == 0)
		return 0;
	source_fds = calloc(config.nmount_sources, sizeof *source_fds);
	if (!source_fds)
		return fail(ENOMEM, "receive the mount sources");
	for (int i = 0; i < config.nmount_sources; i++) {
		char name[1];
		struct iovec iov = { .iov_base = name, .iov_len = sizeof name };
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} control;
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control.buf, .msg_controllen = sizeof control.buf,
		};
		/* Only the fd matters; the path sent with it (for strace) is cut to one byte. */
		if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0)
			return fail_sys(errno ? errno : EPIPE, "receive mount source %d of %d", i + 1, config.nmount_sources);
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
		if (!cmsg || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			return fail(EPROTO, "mount source %d of %d came without an fd", i + 1, config.nmount_sources);
		memcpy(&source_fds[i], CMSG_DATA(cmsg), sizeof(int));
	}
	return 0;
}

/* The fd stage 0 opened for this bind source, or -1 (not a pre-opened source). */
int mount_source_fd(const char *source)
{
	for (int i = 0; source_fds && i < config.nmount_sources; i++)
		if (!strcmp(config.mount_sources[i], source))
			return source_fds[i];
	return -1;
}

/* At pivot_root: the host's files must not stay open into the container. */
void close_mount_sources(void)
{
	for (int i = 0; source_fds && i < config.nmount_sources; i++)
		if (source_fds[i] >= 0)
			close(source_fds[i]);
	free(source_fds);
	source_fds = NULL;
}
