/*
 * `ts-runc --debug`: the init's own steps, as runc's nsexec logs through its log pipe
 * (_LIBCONTAINER_LOGPIPE, libcontainer/nsenter/log.c). With --debug, Node gives the init
 * one more fd, named by $TSRUNC_LOG_FD, and turns each line written to it into a debug log
 * line of its own (src/process/init-process.ts), so `--log` and `--log-format` apply.
 * Without --debug there is no fd, and debug_log() (init.h) is one comparison.
 *
 * A line is either free text or "step <index> <pid> <what happened>", which Node expands
 * with the step's description from the plan it sent. What happened is "start", "done in
 * <ns> ns" or "failed after <ns> ns: <why>" (steps.c run_plan): `ts-runc explain --trace`
 * prints those durations beside the plan. The exec step has no "done": execve(2) replaced us.
 */
#include "init.h"

int log_fd = -1;

void debug_log_open(void)
{
	const char *text = getenv("TSRUNC_LOG_FD");
	if (!text)
		return;
	/* Close-on-exec: hooks and the user's program must not inherit it. */
	int fd = atoi(text);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == 0)
		log_fd = fd;
}

/* CLOCK_MONOTONIC (clock_gettime(2)): steps are timed against a clock no one can set. */
long long monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

__attribute__((format(printf, 1, 2)))
void debug_log_write(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t)len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	/* After `create` returned, no one reads: write_full sends with MSG_NOSIGNAL, and the
	 * first failure turns logging off instead of failing the container. */
	if (write_full(log_fd, line, len) < 0)
		log_fd = -1;
}
