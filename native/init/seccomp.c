/* Loading the seccomp filter src/seccomp/compile.ts built. */
#include "init.h"

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * A filter with SCMP_ACT_NOTIFY rules gave us its notification fd (seccomp_unotify(2)).
 * The agent at linux.seccomp.listenerPath must get it: we tell ts-runc its number (SECCOMP
 * [fd]), ts-runc copies it out of this process with pidfd_getfd(2), connects to the agent
 * and sends it with the container's state, then answers SECCOMP_DONE. runc's init does the
 * same (procSeccomp, procSeccompDone). Only then is our copy closed: closing it first
 * would leave no listener, and every notified call would fail with ENOSYS.
 *
 * We are under the filter already: send(2) must not be notified (compile.ts refuses
 * that), read(2) may be, since the agent has the fd by the time we read.
 */
static int hand_over_listener(int fd)
{
	char text[16];
	snprintf(text, sizeof text, "%d", fd);
	const char *fields[] = { text };
	if (send_message(sync_fd, MSG_SECCOMP, fields, 1) < 0) {
		int err = errno;
		close(fd);
		return fail_sys(err, "send the seccomp notify fd to ts-runc");
	}
	uint32_t len;
	uint8_t *done = read_message(sync_fd, MSG_SECCOMP_DONE, &len);
	int err = errno;
	close(fd);
	if (!done) {
		/* ts-runc failed to reach the agent; it reports why, and kills us. */
		return fail_sys(err, "wait for ts-runc to pass the seccomp notify fd to the agent");
	}
	free(done);
	return 0;
}

/* `hex` is the struct sock_filter array src/seccomp/compile.ts built (8 bytes per
 * instruction, little-endian, as hex text). seccomp(2) with SECCOMP_SET_MODE_FILTER needs
 * either no_new_privs or CAP_SYS_ADMIN; the plan puts this step where one of them holds. */
int step_seccomp(const char *hex, unsigned flags)
{
	size_t len = strlen(hex);
	if (len == 0 || len % (2 * sizeof(struct sock_filter)) || len / 2 / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return fail(EINVAL, "seccomp: a program of %zu hex digits is not 1-%d instructions", len, BPF_MAXINSNS);
	uint8_t *bytes = malloc(len / 2);
	if (!bytes)
		abort();
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(bytes);
			return fail(EINVAL, "seccomp: the program is not lower-case hex");
		}
		bytes[i] = hi << 4 | lo;
	}
	size_t count = len / 2 / sizeof(struct sock_filter);
	struct sock_filter *filter = calloc(count, sizeof *filter);
	if (!filter)
		abort();
	for (size_t i = 0; i < count; i++) {
		const uint8_t *b = bytes + 8 * i;
		filter[i].code = b[0] | b[1] << 8;
		filter[i].jt = b[2];
		filter[i].jf = b[3];
		filter[i].k = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
	}
	free(bytes);
	struct sock_fprog prog = { .len = count, .filter = filter };
	long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	int err = errno;
	free(filter);
	if (rc < 0)
		return fail_sys(err, "seccomp(SECCOMP_SET_MODE_FILTER, 0x%x, %zu instructions)", flags, count);
	if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
		return hand_over_listener((int)rc);
	return 0;
}
