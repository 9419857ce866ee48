/*
 * ts-runc-monitor: the process that keeps a container's stdio, log, exit status and restart
 * policy once the ts-runc command that started it has exited (issue 11; like conmon or
 * containerd's shim). One per running container; src/engine/README.md has the contract.
 *
 *   ts-runc-monitor --dir DIR --id ID [--tty] [--stdin] [--stdin-once]
 *                   [--log-driver json-file|none] [--log-max-size BYTES] [--log-max-files N]
 *                   [--restart no|always|unless-stopped|on-failure[:N]]
 *                   [--health-interval-ms N] [--start-wait-ms N] [--ready-fd N]
 *                   [--cleaner SOCKET] -- HOOK...
 *
 * Start-up, in order:
 *   1. parse the arguments (a bad one: message on stderr, exit 125);
 *   2. daemonize: fork, setsid(2), fork again, so the monitor is in a session of its own
 *      with no terminal and is nobody's child that waits for it; the first process exits
 *      as soon as the second has (the spawner is not kept waiting for it);
 *   3. prctl(PR_SET_CHILD_SUBREAPER): orphans below us (the container) come to us;
 *   4. chdir(DIR), lock it (flock(2) on the directory: one monitor per container), write
 *      monitor.pid ("<pid> <starttime>", field 22 of /proc/self/stat, so a recycled pid is
 *      never mistaken for us), state.json ("created", or the last run's exit: state.c),
 *      bind attach.sock;
 *   5. "ready\n" on --ready-fd (or "error: …\n" if a step failed), then the event loop.
 *
 * Where each part lives (monitor.h lists them all):
 *   main.c     this, arguments, daemonizing, monitor.pid, signals
 *   loop.c     epoll loop, timers, output buffers, diagnostics
 *   child.c    the container's life: START, hook reports, reaping, restarts, health
 *   hooks.c    running HOOK init|cleanup|health with its fd 3 report pipe
 *   cleaner.c  a cleanup handed to the process that started the container (--cleaner)
 *   streams.c  the container's stdio: pipes or the pty master
 *   tty.c      the console socket that receives the pty master
 *   log.c      the json-file log and its rotation
 *   attach.c   the attach socket and its clients
 *   state.c    state.json, written atomically
 *   json.c     JSON escaping and the hooks' reports
 *
 * Build: `make native`: cc -O2 -Wall -Wextra -Werror -std=gnu11 on every .c file here.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "monitor.h"

struct options opt = {.log_max_files = 1, .ready_fd = -1};
extern int diag_fd;

static void usage(void) {
  fprintf(stderr,
          "usage: ts-runc-monitor --dir DIR --id ID [--tty] [--stdin] [--stdin-once]\n"
          "         [--log-driver json-file|none] [--log-max-size BYTES] [--log-max-files N]\n"
          "         [--restart no|always|unless-stopped|on-failure[:N]]\n"
          "         [--health-interval-ms N] [--start-wait-ms N] [--ready-fd N]\n"
          "         [--cleaner SOCKET] -- HOOK...\n");
  exit(125);
}

static long long number(const char *flag, const char *text, long long min) {
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (errno || end == text || *end || v < min) die("%s: not a number >= %lld: \"%s\"", flag, min, text);
  return v;
}

static void parse_restart(const char *text) {
  if (!strcmp(text, "no")) opt.restart = RESTART_NO;
  else if (!strcmp(text, "always")) opt.restart = RESTART_ALWAYS;
  else if (!strcmp(text, "unless-stopped")) opt.restart = RESTART_UNLESS_STOPPED;
  else if (!strncmp(text, "on-failure", 10) && (text[10] == '\0' || text[10] == ':')) {
    opt.restart = RESTART_ON_FAILURE;
    if (text[10] == ':') opt.max_restarts = (int)number("--restart on-failure", text + 11, 0);
  } else die("--restart: unknown policy \"%s\" (no, always, unless-stopped, on-failure[:N])", text);
}

static void parse_args(int argc, char **argv) {
  int i;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define VALUE() (v ? (i++, v) : (die("%s needs a value", a), v))
    if (!strcmp(a, "--")) { i++; break; }
    else if (!strcmp(a, "--dir")) opt.dir = VALUE();
    else if (!strcmp(a, "--id")) opt.id = VALUE();
    else if (!strcmp(a, "--tty")) opt.tty = 1;
    else if (!strcmp(a, "--stdin")) opt.stdin_open = 1;
    else if (!strcmp(a, "--stdin-once")) opt.stdin_once = 1;
    else if (!strcmp(a, "--log-driver")) {
      const char *d = VALUE();
      if (!strcmp(d, "none")) opt.log_none = 1;
      else if (strcmp(d, "json-file")) die("--log-driver: unsupported \"%s\" (json-file, none)", d);
    } else if (!strcmp(a, "--log-max-size")) opt.log_max_size = number(a, VALUE(), 0);
    else if (!strcmp(a, "--log-max-files")) opt.log_max_files = (int)number(a, VALUE(), 1);
    else if (!strcmp(a, "--restart")) parse_restart(VALUE());
    else if (!strcmp(a, "--health-interval-ms")) opt.health_interval_ms = (long)number(a, VALUE(), 0);
    else if (!strcmp(a, "--start-wait-ms")) opt.start_wait_ms = (long)number(a, VALUE(), 1);
    else if (!strcmp(a, "--ready-fd")) opt.ready_fd = (int)number(a, VALUE(), 0);
    else if (!strcmp(a, "--cleaner")) opt.cleaner = VALUE();
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) usage();
    else die("unknown argument \"%s\" (--help lists them)", a);
#undef VALUE
  }
  if (!opt.dir || !opt.id) die("--dir and --id are required");
  if (i >= argc) die("no hook: give its argv after --");
  opt.hook_argc = argc - i;
  /* two spare slots: the verb and the terminating NULL */
  opt.hook = calloc((size_t)opt.hook_argc + 2, sizeof *opt.hook);
  if (!opt.hook) die("out of memory");
  memcpy(opt.hook, argv + i, (size_t)opt.hook_argc * sizeof *opt.hook);
}

static void daemonize(void) {
  pid_t pid = fork();
  if (pid < 0) die("fork: %s", strerror(errno));
  if (pid > 0) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 125);
  }
  if (setsid() < 0) die("setsid: %s", strerror(errno));
  pid = fork();
  if (pid < 0) die("fork: %s", strerror(errno));
  if (pid > 0) _exit(0);
  /* from here on, errors go to the spawner through the ready fd */
  diag_fd = opt.ready_fd;
  int null = open("/dev/null", O_RDWR);
  if (null < 0) die("open /dev/null: %s", strerror(errno));
  for (int fd = 0; fd < 3; fd++)
    if (fd != opt.ready_fd) dup2(null, fd);
  if (null > 2) close(null);
}

/* field 22 of /proc/self/stat: the start time in clock ticks since boot (proc(5)) */
static unsigned long long start_time(void) {
  char buf[1024];
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
  if (fd >= 0) close(fd);
  if (n <= 0) die("read /proc/self/stat: %s", strerror(errno));
  buf[n] = '\0';
  char *p = strrchr(buf, ')'); /* the command name may contain spaces and ')' */
  if (!p) die("/proc/self/stat: unexpected format");
  p += 2;
  for (int field = 3; field < 22 && p; field++) {
    p = strchr(p, ' ');
    if (p) p++;
  }
  if (!p) die("/proc/self/stat: too few fields");
  return strtoull(p, NULL, 10);
}

static void write_pid_file(void) {
  char text[64];
  int n = snprintf(text, sizeof text, "%d %llu\n", (int)getpid(), start_time());
  int fd = open("monitor.pid.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, text, (size_t)n) != n || close(fd) < 0) die("write %s/monitor.pid: %s", opt.dir, strerror(errno));
  if (rename("monitor.pid.tmp", "monitor.pid") < 0) die("rename monitor.pid: %s", strerror(errno));
}

/* The OOM killer should take a container before its monitor: a dead monitor loses the
 * container's output and exit status. Like containerd's shim, the monitor sets its own
 * oom_score_adj to -999 (proc(5)); the hooks get the original back (hooks.c), so the
 * container does not inherit the monitor's protection. Best effort: needs CAP_SYS_RESOURCE. */
char oom_score_adj_original[16];

static void protect_from_oom(void) {
  int fd = open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, oom_score_adj_original, sizeof oom_score_adj_original - 1);
  if (n > 0) {
    oom_score_adj_original[n] = '\0';
    if (pwrite(fd, "-999", 4, 0) != 4) oom_score_adj_original[0] = '\0';
  } else oom_score_adj_original[0] = '\0';
  close(fd);
}

static void signal_event(struct handler *h, uint32_t events) {
  (void)events;
  struct signalfd_siginfo si;
  while (read(h->fd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGCHLD) child_reap();
    else child_terminate();
  }
}

/*
 * Close every fd above 2 but --ready-fd. The monitor outlives the command that spawned it,
 * and whatever that command inherited without O_CLOEXEC (a CI runner's pipe, a shell's
 * `exec 5>…`, a caller waiting for EOF) would otherwise stay open for the container's whole
 * life, and pass on to every hook. conmon does the same at its start.
 */
static void close_inherited_fds(void) {
  for (;;) {
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) die("opendir /proc/self/fd: %s", strerror(errno));
    int own = dirfd(dir);
    int fds[1024];
    int n = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && n < 1024) {
      if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
      int fd = atoi(entry->d_name);
      if (fd > 2 && fd != own && fd != opt.ready_fd) fds[n++] = fd;
    }
    closedir(dir);
    for (int i = 0; i < n; i++) close(fds[i]);
    if (n < 1024) return; /* else more may remain: read the directory again */
  }
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  close_inherited_fds();
  if (opt.ready_fd >= 0 && fcntl(opt.ready_fd, F_SETFD, FD_CLOEXEC) < 0) die("--ready-fd %d: %s", opt.ready_fd, strerror(errno));
  int dirfd = open(opt.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) die("open %s: %s", opt.dir, strerror(errno));
  daemonize();
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) die("prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));
  if (fchdir(dirfd) < 0) die("chdir %s: %s", opt.dir, strerror(errno));
  if (flock(dirfd, LOCK_EX | LOCK_NB) < 0)
    die("%s: %s", opt.dir, errno == EWOULDBLOCK ? "another monitor is running for this container" : strerror(errno));
  umask(022);
  protect_from_oom();

  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  static struct handler signals = {-1, signal_event};
  signals.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signals.fd < 0) die("signalfd: %s", strerror(errno));

  loop_init();
  loop_add(&signals, EPOLLIN);
  child_init();
  log_open();
  state_load();
  state_write();
  attach_listen();
  write_pid_file();
  if (opt.ready_fd >= 0) {
    ssize_t w = write(opt.ready_fd, "ready\n", 6);
    (void)w;
    close(opt.ready_fd);
  }
  diag_fd = -1;

  loop_run();

  attach_close_all();
  unlink("monitor.pid");
  return 0;
}
