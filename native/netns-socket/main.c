/*
 * ts-runc-netns-socket NETNS_PATH
 *
 * Opens a NETLINK_ROUTE socket inside the network namespace NETNS_PATH names
 * (/proc/<pid>/ns/net of a running container) and sends it back on fd 3 (SCM_RIGHTS,
 * unix(7)), then exits. `network connect` configures the container's new interface
 * (name, address, up) through that socket: a netlink socket stays bound to the namespace
 * it was made in (netlink(7)), and Node, being multithreaded, must never setns(2) itself.
 *
 * It joins only the network namespace: it sees the host's files, never the container's,
 * and runs nothing else.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "ts-runc-netns-socket: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: ts-runc-netns-socket NETNS_PATH (the socket is sent on fd 3)\n");
		return 2;
	}
	int ns = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return fail(argv[1]);
	if (setns(ns, CLONE_NEWNET) < 0)
		return fail("setns");
	int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (sock < 0)
		return fail("socket(AF_NETLINK)");

	char byte = 'n';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	memset(&control, 0, sizeof control);
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof control.buf,
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &sock, sizeof(int));
	if (sendmsg(3, &msg, MSG_NOSIGNAL) < 0)
		return fail("sendmsg on fd 3");
	return 0;
}
