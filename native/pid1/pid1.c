/*
 * ts-runc-pid1: the init that `container run --init` puts at PID 1 (as Docker's tini or
 * podman's catatonit), for programs that were not written to be PID 1:
 *
 *  - the kernel sends a PID 1 only the signals it has a handler for (pid_namespaces(7)),
 *    so a program with default TERM handling would ignore `stop`'s SIGTERM; here the
 *    signals are caught and forwarded to the program, which then gets their default action;
 *  - orphaned processes are reparented to PID 1, which must wait(2) for them or they stay
 *    zombies; here every one is reaped;
 *  - the exit status is the program's: its exit code, or 128 + the signal that killed it.
 *
 *   ts-runc-pid1 PROGRAM [ARG...]
 *
 * Static (-static in the Makefile): it is copied into rootfs that may have no libc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* what a terminal or `stop`/`kill` sends and the program should get */
static const int FORWARDED[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
#define NFORWARDED (sizeof FORWARDED / sizeof FORWARDED[0])

static void nothing(int sig) { (void)sig; }

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: ts-runc-pid1 PROGRAM [ARG...]\n");
    return 125;
  }
  /* Handlers (so the kernel delivers them to a PID 1), then blocked: sigwaitinfo takes them. */
  sigset_t wanted, old;
  sigemptyset(&wanted);
  sigaddset(&wanted, SIGCHLD);
  struct sigaction sa = {.sa_handler = nothing};
  for (size_t i = 0; i < NFORWARDED; i++) {
    sigaction(FORWARDED[i], &sa, NULL);
    sigaddset(&wanted, FORWARDED[i]);
  }
  sigaction(SIGCHLD, &sa, NULL);
  sigprocmask(SIG_BLOCK, &wanted, &old);

  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "ts-runc-pid1: fork: %s\n", strerror(errno));
    return 125;
  }
  if (child == 0) {
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    for (size_t i = 0; i < NFORWARDED; i++) sigaction(FORWARDED[i], &dfl, NULL);
    sigaction(SIGCHLD, &dfl, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    execvp(argv[1], argv + 1);
    int code = errno == ENOENT ? 127 : 126; /* as a shell reports it */
    fprintf(stderr, "ts-runc-pid1: exec %s: %s\n", argv[1], strerror(errno));
    _exit(code);
  }

  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&wanted, &info);
    if (sig < 0) continue; /* EINTR */
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid != child) continue; /* an orphan: reaped, nothing more */
      /* The program is done. Whatever it left behind dies with PID 1 (the kernel kills the
       * rest of the namespace), as with tini. */
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
  }
}
