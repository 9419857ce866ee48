/*
 * A small seccomp agent for the tests of SCMP_ACT_NOTIFY (test/integration/seccomp-notify.test.ts).
 *
 *   seccomp-agent SOCKET DIR MODE
 *
 * Listens on the unix socket SOCKET (the profile's listenerPath). For each connection the
 * runtime makes it receives the container process state (runtime.md#container-process-state)
 * and the notify fd (SCM_RIGHTS, one sendmsg), writes the state to DIR/state-N.json, and
 * then, in a child of its own, answers the notifications on that fd (seccomp_unotify(2)):
 * each call is logged to DIR/calls as "<syscall nr> <pid>" and
 *   MODE "fake"     returns 0 without doing anything (mkdir "succeeds" and makes nothing),
 *   MODE "errno:N"  fails it with errno N,
 *   MODE "die"      the agent exits right after receiving the fd, answering nothing.
 * A child exits when no process uses its filter any more (the fd reports POLLHUP).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static void serve(int fd, const char *dir, const char *mode)
{
	struct seccomp_notif_sizes sizes;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		_exit(2);
	struct seccomp_notif *req = calloc(1, sizes.seccomp_notif);
	struct seccomp_notif_resp *resp = calloc(1, sizes.seccomp_notif_resp);
	char path[4096];
	snprintf(path, sizeof path, "%s/calls", dir);
	int error = strncmp(mode, "errno:", 6) == 0 ? atoi(mode + 6) : 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			_exit(0);
		if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
			_exit(0);
		memset(req, 0, sizes.seccomp_notif);
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			_exit(0);
		}
		FILE *log = fopen(path, "a");
		if (log) {
			fprintf(log, "%d %u\n", req->data.nr, req->pid);
			fclose(log);
		}
		memset(resp, 0, sizes.seccomp_notif_resp);
		resp->id = req->id;
		resp->error = error ? -error : 0;
		resp->val = 0;
		ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp); /* ENOENT: the caller was killed meanwhile */
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s SOCKET DIR fake|errno:N|die\n", argv[0]);
		return 2;
	}
	const char *dir = argv[2], *mode = argv[3];
	signal(SIGCHLD, SIG_IGN); /* no zombies from the per-connection children */
	int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	snprintf(addr.sun_path, sizeof addr.sun_path, "%s", argv[1]);
	unlink(argv[1]);
	if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 8) < 0) {
		perror("bind/listen");
		return 1;
	}
	for (int n = 1;; n++) {
		int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		char state[65536];
		char control[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { .iov_base = state, .iov_len = sizeof state - 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
		ssize_t len = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
		close(conn);
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
		if (len <= 0 || !cmsg || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		int fd;
		memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
		state[len] = 0;
		char path[4096];
		snprintf(path, sizeof path, "%s/state-%d.json", dir, n);
		FILE *out = fopen(path, "w");
		if (out) {
			fputs(state, out);
			fclose(out);
		}
		if (strcmp(mode, "die") == 0)
			return 0;
		if (fork() == 0) {
			close(listener);
			serve(fd, dir, mode);
		}
		close(fd);
	}
}
