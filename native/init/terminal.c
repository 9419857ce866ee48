/* The terminal step: a pty from the container's devpts, its master sent to the console socket. */
#include "init.h"

/* Send the pty master to whoever listens on the console socket, as runc does (the data
 * is the file's name, the fd travels as SCM_RIGHTS: unix(7), cmsg(3)). */
int send_fd(int sock, int fd, const char *name)
{
	struct iovec iov = { .iov_base = (void *)name, .iov_len = strlen(name) };
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
	memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

dev_t terminal_rdev;

int step_terminal(unsigned width, unsigned height)
{
	if (console_fd < 0)
		return fail(EINVAL, "terminal: no console socket was given");
	/* pts(4): opening /dev/ptmx (the container's own devpts) creates a new pty pair. */
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return fail_sys(errno, "open(/dev/ptmx)");
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0) /* unlockpt(3) */
		return fail_sys(errno, "ioctl(ptmx, TIOCSPTLCK)");
	/* ioctl_tty(2) TIOCGPTPEER opens the slave through the master, without looking up a
	 * /dev/pts path that something in the container could have replaced. */
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave < 0)
		return fail_sys(errno, "ioctl(ptmx, TIOCGPTPEER)");
	if (width > 0 && height > 0) {
		struct winsize size = { .ws_row = height, .ws_col = width };
		if (ioctl(slave, TIOCSWINSZ, &size) < 0)
			return fail_sys(errno, "ioctl(pty, TIOCSWINSZ)");
	}
	/* credentials(7): only a session leader without a terminal can acquire one. We may
	 * already be a session leader (see container_main); then setsid(2) says EPERM. */
	if (getsid(0) != getpid() && setsid() < 0)
		return fail_sys(errno, "setsid()");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return fail_sys(errno, "ioctl(pty, TIOCSCTTY)");
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(slave, fd) < 0)
			return fail_sys(errno, "dup2(pty, %d)", fd);
	/* Its owner is still root (or devpts' uid=): switch-user hands it to the user, as
	 * runc's fixStdioPermissions does, so that `tty`'s file is the user's own. */
	struct stat st;
	if (fstat(slave, &st) < 0)
		return fail_sys(errno, "fstat(pty)");
	terminal_rdev = st.st_rdev;
	if (slave > 2)
		close(slave);
	if (send_fd(console_fd, master, "/dev/ptmx") < 0)
		return fail_sys(errno, "send the pty master to %s", config.console_socket);
	close(master);
	close(console_fd);
	console_fd = -1;
	return 0;
}
