/*
 * Running `HOOK... init|cleanup|health`: the monitor knows nothing about containers; the
 * hook (ts-runc's `container _hook`) does the work and reports back on fd 3 in one JSON
 * line, so its own error text never mixes with the container's output on fds 1 and 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "monitor.h"

pid_t hook_spawn(const char *verb, const int fds[3], int *report_fd, char *const extra_env[]) {
  int report[2] = {-1, -1};
  if (report_fd && pipe2(report, O_CLOEXEC) < 0) die("pipe2: %s", strerror(errno));
  pid_t pid = fork();
  if (pid < 0) die("fork: %s", strerror(errno));
  if (pid == 0) {
    /* The child starts with the monitor's blocked signals (signalfd) and SIGPIPE/SIGHUP
     * ignored; both survive execve(2) (signal(7)), and the container must not inherit them. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    if (oom_score_adj_original[0]) {
      int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
      if (oom >= 0) {
        ssize_t w = write(oom, oom_score_adj_original, strlen(oom_score_adj_original));
        (void)w;
        close(oom);
      }
    }
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int src[4] = {fds[0], fds[1], fds[2], report[1]};
    int high[4];
    /* dup above 10 first: a source may itself be one of 0..3 */
    for (int i = 0; i < 4; i++) high[i] = fcntl(src[i] >= 0 ? src[i] : null, F_DUPFD_CLOEXEC, 10);
    for (int i = 0; i < 4; i++)
      if (high[i] < 0 || dup2(high[i], i) < 0) _exit(126); /* dup2 clears FD_CLOEXEC */
    for (int i = 0; extra_env && extra_env[i]; i++) putenv(extra_env[i]);
    opt.hook[opt.hook_argc] = (char *)verb;
    opt.hook[opt.hook_argc + 1] = NULL;
    execvp(opt.hook[0], opt.hook);
    _exit(127); /* every other fd is close-on-exec: fd 3 reaches EOF, the report is empty */
  }
  if (report_fd) {
    close(report[1]);
    fcntl(report[0], F_SETFL, O_NONBLOCK);
    *report_fd = report[0];
  }
  return pid;
}
