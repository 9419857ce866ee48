/* Small helpers shared by the steps. */
#include "init.h"

const char *or_null(const char *text)
{
	return *text ? text : NULL;
}

/* Every signal back to its default action and nothing blocked: what a freshly exec'd
 * program expects (signal(7): dispositions set to "ignore" survive execve(2)). */
void reset_signals(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL); /* fails harmlessly for SIGKILL, SIGSTOP */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = write_full(fd, value, strlen(value));
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
