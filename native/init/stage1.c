/* Stage 1: the container process (main.c has the overview of the stages). */
#include "init.h"

/*
 * Become root of the user namespace. After clone(2) or setns(2) we keep the host's uid 0,
 * which is not in the namespace's uid_map: the kernel shows it as the overflow uid 65534,
 * and creating a file fails with EOVERFLOW (user_namespaces(7) "unmapped user and group
 * IDs"). Now that Node has written the maps, setresuid(0) gives us the namespace's mapped
 * root, and keeps our capabilities in it (capabilities(7): "effective user ID changed from
 * nonzero to 0" copies permitted to effective). runc does the same.
 */
static int become_root(void)
{
	/* Drop the host's supplementary groups (unmapped too); not allowed, harmlessly, when
	 * /proc/PID/setgroups is "deny". */
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		return fail_sys(errno, "setgroups(0)");
	if (setresgid(0, 0, 0) < 0)
		return fail_sys(errno, "setresgid(0) in the user namespace (is gid_map written?)");
	if (setresuid(0, 0, 0) < 0)
		return fail_sys(errno, "setresuid(0) in the user namespace (is uid_map written?)");
	return 0;
}

/*
 * rtnetlink(7) works on the network namespace a socket was created in, whoever uses it
 * later. Node must not setns(2) (it is multithreaded), but we are single-threaded and
 * already inside the container's new namespace: open the socket here and hand it over.
 * Node brings lo up with it, and adds the container's address and routes.
 */
static int send_netlink_socket(void)
{
	int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl < 0)
		return fail_sys(errno, "socket(AF_NETLINK, NETLINK_ROUTE)");
	int rc = send_fd(config.netlink_fd, nl, "netlink");
	int err = errno;
	close(nl);
	close(config.netlink_fd);
	config.netlink_fd = -1;
	if (rc < 0)
		return fail_sys(err, "send the netlink socket to ts-runc");
	return 0;
}

/*
 * A new network namespace has only lo, and it is DOWN (network_namespaces(7)); runc brings
 * it up, and so do we. When Node sets up nothing else in it (it asked for no netlink
 * socket), it is done here, with the SIOCGIFFLAGS/SIOCSIFFLAGS ioctls of netdevice(7): Node
 * then loads neither its netlink code nor koffi for a plain bundle (issue 14). Right after
 * clone(2) we hold every capability in a new user namespace, CAP_NET_ADMIN included.
 */
static int loopback_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail_sys(errno, "socket(AF_INET) to bring lo up");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (rc == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	int err = errno;
	close(fd);
	return rc < 0 ? fail_sys(err, "bring lo up (SIOCSIFFLAGS)") : 0;
}

__attribute__((noreturn))
void container_main(void)
{
	/* Stage 0 blocked the forwarded signals around clone(2); start clean. */
	reset_signals();
	/* A session of our own, as runc does: the container must not get the terminal's
	 * SIGINT/SIGHUP directly (in the foreground, stage 0 forwards them; detached, it must
	 * outlive the terminal). No PR_SET_PDEATHSIG either: it must outlive Node. */
	setsid();

	if (config.netlink_fd >= 0 && send_netlink_socket() < 0)
		report_and_exit(BEFORE_PLAN, "netlink");
	if (config.loopback_up && loopback_up() < 0)
		report_and_exit(BEFORE_PLAN, "loopback");
	/* Stage 0 sends them right after clone(2); they must be here before the mounts. */
	if (mount_sources_fd >= 0) {
		if (receive_mount_sources(mount_sources_fd) < 0)
			report_and_exit(BEFORE_PLAN, "mount-sources");
		close(mount_sources_fd);
		mount_sources_fd = -1;
	}

	uint32_t len;
	uint8_t *payload = read_message(sync_fd, MSG_PLAN, &len);
	if (!payload) {
		if (errno == EPROTO) {
			fail(EPROTO, "expected a PLAN message");
			report_and_exit(BEFORE_PLAN, "plan");
		}
		_exit(1); /* Node went away before sending a plan: nothing to run, nobody to tell */
	}
	struct fields *steps;
	uint32_t nsteps;
	if (decode_plan(payload, len, &steps, &nsteps) < 0) {
		fail(EINVAL, "malformed PLAN message (%u bytes)", len);
		report_and_exit(BEFORE_PLAN, "plan");
	}

	if (in_user_namespace && become_root() < 0)
		report_and_exit(BEFORE_PLAN, "setresuid");

	/* cgroup_namespaces(7): a new cgroup namespace is rooted at the cgroup its creator is
	 * in at that moment. Node moved us into the container's cgroup before sending PLAN,
	 * so only now is the right moment (runc does the same). */
	if ((config.clone_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0) {
		fail_sys(errno, "unshare(CLONE_NEWCGROUP)");
		report_and_exit(BEFORE_PLAN, "unshare");
	}
	run_plan(steps, nsteps);
}
