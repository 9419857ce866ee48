/*
 * Run ts-runc-init from a sealed in-memory copy of itself (the CVE-2019-5736 guard).
 *
 * The attack. Every process of ours that enters a container (the exec'd init before its
 * execve, a created container's process 1 waiting for `start`) is visible to the
 * container's other processes, and /proc/<pid>/exe of such a process is a magic link to
 * the file it runs: the host's build/ts-runc-init. A container process opens it read-only
 * (allowed even while the file is executed), waits until no process runs it any more (the
 * kernel refuses writes to a running binary with ETXTBSY, but only while it runs), then
 * reopens it for writing through /proc/self/fd/N. The next `ts-runc run` executes its
 * code as root on the host. runc 1.1.x answers this in libcontainer/nsenter/cloned_binary.c,
 * which is what this file does too, smaller.
 *
 * The choice. runc has two answers:
 *   - a read-only bind mount of the binary: mounting needs a mount namespace of our own
 *     (stage 0 runs in the host's, where a bind mount would be a host mount left behind if
 *     we were killed), and whoever can mount can remount it read-write;
 *   - a sealed copy, taken here: memfd_create(2) makes an anonymous file in RAM that has no
 *     path on any filesystem. We copy /proc/self/exe into it, seal it with fcntl(2)
 *     F_ADD_SEALS ("File Sealing"), and execveat(2) it. From then on /proc/<pid>/exe of this
 *     process and of everything it forks names the memfd, never the host file, and the
 *     memfd cannot be changed by anyone, root included:
 *        F_SEAL_WRITE   write(2) and writable shared mmap(2) fail with EPERM;
 *        F_SEAL_SHRINK  ftruncate(2) cannot cut it (and so cannot empty it to refill it);
 *        F_SEAL_GROW    nothing can be appended;
 *        F_SEAL_SEAL    the set is final: no seal can be added or removed afterwards.
 *     The copy is small (the size of ts-runc-init, tens of KB), charged to the caller's
 *     memory cgroup (stage 0 is not in the container's yet), and freed when the last
 *     process running it execs the user's program or exits. It costs one more execve(2).
 *
 * How we know we are the copy: only shmem files (memfds) have seals; F_GET_SEALS on a
 * regular file fails with EINVAL. A memfd carrying all four of our seals cannot have been
 * changed since it was sealed, whoever made it, so it is safe to run from; anything else
 * (the host file, an unsealed memfd) is copied. After one re-exec the check succeeds, so
 * this never loops.
 *
 * What survives the re-exec: argv and the environment (passed again), and every fd that
 * is not close-on-exec: stdio, the preserved fds, the sync socket ($TSRUNC_SYNC_FD) and
 * the netlink channel, which main() marks close-on-exec only after this. The memfd itself
 * is MFD_CLOEXEC, as runc's is: it must not stay open in the init (nor reach the
 * container). execveat(fd, "", ..., AT_EMPTY_PATH) runs it straight from the fd; the
 * close-on-exec flag would only matter for a script, whose interpreter is handed
 * /dev/fd/N after the fd is gone (execveat(2) ENOENT), and ts-runc-init is ELF.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "sealed-exe.h"

/* memfd_create(2): since Linux 6.3 a memfd is executable only if asked (MFD_EXEC) when
 * vm.memfd_noexec is 1; older kernels refuse the unknown flag with EINVAL. Debian 12's
 * headers predate it (linux/memfd.h). */
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define COPY_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
/* The memfd's name: /proc/<pid>/exe reads "/memfd:ts-runc-init (deleted)". */
#define COPY_NAME "ts-runc-init"

extern char **environ;

static int complain(const char *what)
{
	int saved = errno;
	dprintf(STDERR_FILENO, "ts-runc-init: cannot run from a sealed copy of itself "
		"(the guard against CVE-2019-5736): %s: %s\n", what, strerror(saved));
	errno = saved;
	return -1;
}

static int make_sealed_copy(int self)
{
	int copy = memfd_create(COPY_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (copy < 0 && errno == EINVAL)
		copy = memfd_create(COPY_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (copy < 0)
		return complain("memfd_create");
	for (;;) {
		ssize_t n = sendfile(copy, self, NULL, 1 << 20);
		if (n == 0)
			break;
		if (n < 0) {
			complain("copy /proc/self/exe (sendfile)");
			close(copy);
			return -1;
		}
	}
	if (fcntl(copy, F_ADD_SEALS, COPY_SEALS) < 0) {
		complain("fcntl(F_ADD_SEALS)");
		close(copy);
		return -1;
	}
	return copy;
}

int run_from_sealed_copy(char **argv)
{
	int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return complain("open /proc/self/exe");
	int seals = fcntl(self, F_GET_SEALS);
	if (seals >= 0 && (seals & COPY_SEALS) == COPY_SEALS) {
		close(self);
		/* execveat(AT_EMPTY_PATH) names the process after the fd ("3"): give ps(1)
		 * (and whoever reads /proc/<pid>/comm) our name back. */
		prctl(PR_SET_NAME, COPY_NAME, 0, 0, 0);
		return 0;
	}
	int copy = make_sealed_copy(self);
	close(self);
	if (copy < 0)
		return -1;
	execveat(copy, "", argv, environ, AT_EMPTY_PATH);
	complain("execveat(memfd)");
	close(copy);
	return -1;
}
