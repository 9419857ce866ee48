/*
 * The container's life as the monitor sees it:
 *
 *   created --START--> HOOK init --{"pid":N}--> running --exit--> HOOK cleanup --> exited
 *                                                                 (or --cleaner: cleaner.c)
 *                          |                                |                 \
 *                          +--{"error":…}--> START_FAILED   +--policy--> restarting --back-off--> HOOK init
 *
 * The monitor is a child subreaper (prctl(2) PR_SET_CHILD_SUBREAPER): when the hook exits,
 * the container's init, whose parent has gone, is reparented to us, so waitpid(2) gives us
 * its exit status. A pid reaped before the hook named it is remembered (orphans[]).
 *
 * Restart policies as Docker's (restartmanager): no, always, unless-stopped (the same as
 * always while the monitor lives), on-failure[:N] (a non-zero exit, at most N restarts).
 * Back-off: 100 ms, doubled at each restart up to 1 min, back to 100 ms after 10 s up.
 * A NO_RESTART frame (the user's stop or kill) turns restarting off for good.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "monitor.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 60000
#define RESET_AFTER_MS 10000

int monitor_done;

struct report {
  struct handler h;
  char text[4096];
  size_t len;
  int done;
};

static void report_event(struct handler *h, uint32_t events);
static struct report init_report = {{-1, report_event}, "", 0, 0};
static struct report cleanup_report = {{-1, report_event}, "", 0, 0};
static pid_t init_pid, cleanup_pid, health_pid; /* cleanup_pid -1: handed to --cleaner */
static int init_exited, init_status, cleanup_exited;
static int start_requested, no_restart, restart_after_cleanup;
static unsigned starts; /* runs of HOOK init: the first is START's, the others restarts */
static long backoff_ms;
static struct timespec started_mono;
static struct handler restart_timer, health_timer;
/* a pidfd(2) of the container's process: it becomes readable when the process exits, even
 * if (through a hook's mistake) it is not our child and no SIGCHLD will ever tell us */
static void pidfd_event(struct handler *h, uint32_t events);
static struct handler container_pidfd = {-1, pidfd_event};
static struct {
  pid_t pid;
  int status;
} orphans[32];
static unsigned orphan_count;

static void finish(void) {
  if (health_pid > 0) kill(health_pid, SIGKILL);
  monitor_done = 1;
  loop_stop();
}

static long ms_since(const struct timespec *t) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static int should_restart(int exit_code) {
  if (no_restart) return 0;
  switch (opt.restart) {
    case RESTART_NO: return 0;
    case RESTART_ALWAYS:
    case RESTART_UNLESS_STOPPED: return 1;
    case RESTART_ON_FAILURE: return exit_code != 0 && (opt.max_restarts == 0 || st.restart_count < opt.max_restarts);
  }
  return 0;
}

static void report_open(struct report *r) {
  r->len = 0;
  r->done = 0;
  r->text[0] = '\0';
  loop_add(&r->h, EPOLLIN);
}

static void start_container(void) {
  int fds[3];
  char console_env[200];
  char *env[2] = {NULL, NULL};
  streams_open(fds);
  if (opt.tty) {
    snprintf(console_env, sizeof console_env, "TS_RUNC_CONSOLE_SOCKET=%s", console_listen());
    env[0] = console_env;
  }
  orphan_count = 0;
  init_exited = 0;
  starts++;
  init_pid = hook_spawn("init", fds, &init_report.h.fd, env);
  for (int i = 0; i < 3; i++)
    if (fds[i] >= 0) close(fds[i]);
  report_open(&init_report);
}

static void spawn_cleanup_hook(void) {
  char code_env[48], restarting_env[48];
  snprintf(code_env, sizeof code_env, "TS_RUNC_EXIT_CODE=%d", st.exit_code);
  snprintf(restarting_env, sizeof restarting_env, "TS_RUNC_RESTARTING=%d", restart_after_cleanup);
  char *env[] = {code_env, restarting_env, NULL};
  int none[3] = {-1, -1, -1};
  cleanup_exited = 0;
  cleanup_pid = hook_spawn("cleanup", none, &cleanup_report.h.fd, env);
  report_open(&cleanup_report);
}

static void run_cleanup(int restart) {
  restart_after_cleanup = restart;
  int fd = cleaner_ask(st.exit_code, restart);
  if (fd < 0) {
    spawn_cleanup_hook();
    return;
  }
  cleanup_pid = -1;
  cleanup_exited = 1; /* no process of ours to reap */
  cleanup_report.h.fd = fd;
  /* No time limit, as the hook has none: the hook runs only once that process has answered
   * or gone, so the two never clean up at once (a stopped `container run` holds its
   * container's cleanup until it goes on or is killed). */
  report_open(&cleanup_report);
}

static void pidfd_close(void) {
  if (container_pidfd.fd < 0) return;
  loop_del(&container_pidfd);
  close(container_pidfd.fd);
  container_pidfd.fd = -1;
}

static void container_exited(int status) {
  pidfd_close();
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
  timer_arm(&health_timer, 0, 0);
  streams_drain_and_close();
  state_stamp(st.finished);
  st.exit_code = code;
  st.pid = 0;
  int restart = should_restart(code);
  st.status = restart ? ST_RESTARTING : ST_EXITED;
  state_write();
  char frame[80];
  int n = snprintf(frame, sizeof frame, "{\"exitCode\":%d,\"restarting\":%s}", code, restart ? "true" : "false");
  attach_broadcast(OUT_EXITED, frame, (size_t)n);
  run_cleanup(restart);
}

static void finish_start(void) {
  int first = starts == 1;
  init_pid = 0;
  console_poll(); /* a master that arrived in the same instant as the report */
  console_close();
  long long pid = 0, code = 125;
  char message[sizeof st.error];
  message[0] = '\0';
  if (json_get_int(init_report.text, "pid", &pid) && pid > 0) {
    st.status = ST_RUNNING;
    st.pid = (pid_t)pid;
    st.exit_code = 0;
    st.oom_killed = 0;
    st.error[0] = '\0';
    state_stamp(st.started);
    clock_gettime(CLOCK_MONOTONIC, &started_mono);
    /* Watch it before anyone hears of it: once STARTED is out, a client may kill it, and
     * a process that is not our child could be reaped before we looked. pidfds are
     * close-on-exec by themselves (pidfd_open(2)). */
    container_pidfd.fd = (int)syscall(SYS_pidfd_open, st.pid, 0);
    int gone = container_pidfd.fd < 0 ? errno == ESRCH : 0;
    if (container_pidfd.fd < 0 && errno == ENOSYS) gone = kill(st.pid, 0) < 0 && errno == ESRCH;
    if (container_pidfd.fd >= 0) loop_add(&container_pidfd, EPOLLIN);
    state_write();
    char frame[40];
    int n = snprintf(frame, sizeof frame, "{\"pid\":%d}", (int)pid);
    attach_broadcast(OUT_STARTED, frame, (size_t)n);
    if (opt.health_interval_ms > 0) timer_arm(&health_timer, opt.health_interval_ms, opt.health_interval_ms);
    /* a stop that came while a policy restart was under way wins */
    if (no_restart && !first) kill(st.pid, SIGKILL);
    for (unsigned i = 0; i < orphan_count && i < 32; i++)
      if (orphans[i].pid == st.pid) return container_exited(orphans[i].status);
    if (gone) {
      snprintf(st.error, sizeof st.error, "the container's process %d was gone before the monitor could watch it: its exit status is unknown", (int)st.pid);
      return container_exited(255 << 8);
    }
    return;
  }
  /* start failed: the hook's report, or what its exit status tells */
  if (!json_get_string(init_report.text, "error", message, sizeof message) || !message[0]) {
    if (WIFEXITED(init_status) && WEXITSTATUS(init_status) == 127)
      snprintf(message, sizeof message, "init hook %s could not be run", opt.hook[0]);
    else
      snprintf(message, sizeof message, "init hook exited with status %d without reporting a pid",
               WIFEXITED(init_status) ? WEXITSTATUS(init_status) : 128 + WTERMSIG(init_status));
  }
  json_get_int(init_report.text, "exitCode", &code);
  streams_drain_and_close();
  state_stamp(st.finished);
  st.exit_code = (int)code;
  st.pid = 0;
  snprintf(st.error, sizeof st.error, "%s", message);
  /* Docker does not retry a `start` that failed; a failed restart counts as a failure */
  int restart = !first && should_restart(st.exit_code);
  st.status = restart ? ST_RESTARTING : ST_EXITED;
  state_write();
  char frame[sizeof message * 6 + 64], escaped[sizeof message * 6 + 1];
  escaped[json_escape(escaped, message, strlen(message))] = '\0';
  int n = snprintf(frame, sizeof frame, "{\"error\":\"%s\",\"exitCode\":%d}", escaped, st.exit_code);
  attach_broadcast(OUT_START_FAILED, frame, (size_t)n);
  run_cleanup(restart);
}

static void finish_cleanup(void) {
  cleanup_pid = 0;
  int oom = 0;
  if (json_get_bool(cleanup_report.text, "oomKilled", &oom) && oom && !st.oom_killed) {
    st.oom_killed = 1;
    state_write();
  }
  if (restart_after_cleanup && !no_restart) {
    if (ms_since(&started_mono) >= RESET_AFTER_MS) backoff_ms = 0;
    backoff_ms = backoff_ms ? backoff_ms * 2 : BACKOFF_FIRST_MS;
    if (backoff_ms > BACKOFF_MAX_MS) backoff_ms = BACKOFF_MAX_MS;
    timer_arm(&restart_timer, backoff_ms, 0);
    return;
  }
  if (st.status == ST_RESTARTING) {
    st.status = ST_EXITED;
    state_write();
  }
  finish();
}

static void progress(void) {
  if (init_pid && init_report.done && init_exited) finish_start();
  if (cleanup_pid && cleanup_report.done && cleanup_exited) {
    int oom;
    if (cleanup_pid == -1) {
      /* --cleaner's process went away or failed (its answer has no oomKilled): the hook */
      if (!json_get_bool(cleanup_report.text, "oomKilled", &oom)) {
        spawn_cleanup_hook();
        return;
      }
    }
    finish_cleanup();
  }
}

static void report_event(struct handler *h, uint32_t events) {
  (void)events;
  struct report *r = (struct report *)h;
  for (;;) {
    char buf[1024];
    ssize_t n = read(h->fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) break;
    size_t take = (size_t)n < sizeof r->text - 1 - r->len ? (size_t)n : sizeof r->text - 1 - r->len;
    memcpy(r->text + r->len, buf, take);
    r->len += take;
    r->text[r->len] = '\0';
    /* one line is the whole report: a hook that let the container inherit fd 3 must not
     * make us wait for the container's exit to learn that it started */
    if (memchr(r->text, '\n', r->len)) break;
  }
  loop_del(h);
  close(h->fd);
  h->fd = -1;
  r->done = 1;
  progress();
}

static void pidfd_event(struct handler *h, uint32_t events) {
  (void)h;
  (void)events;
  pid_t pid = st.pid;
  child_reap(); /* our child: reaped here with its status, and container_exited ran */
  if (st.status == ST_RUNNING && st.pid == pid) {
    snprintf(st.error, sizeof st.error, "the container's process %d was not the monitor's child: its exit status is unknown", (int)pid);
    container_exited(255 << 8);
  }
}

static void restart_event(struct handler *h, uint32_t events) {
  (void)events;
  uint64_t n;
  if (read(h->fd, &n, sizeof n) != sizeof n) return;
  st.restart_count++;
  state_write();
  start_container();
}

static void health_event(struct handler *h, uint32_t events) {
  (void)events;
  uint64_t n;
  if (read(h->fd, &n, sizeof n) != sizeof n) return;
  if (health_pid > 0 || st.status != ST_RUNNING) return; /* one check at a time */
  char pid_env[40];
  snprintf(pid_env, sizeof pid_env, "TS_RUNC_PID=%d", (int)st.pid);
  char *env[] = {pid_env, NULL};
  int none[3] = {-1, -1, -1};
  health_pid = hook_spawn("health", none, NULL, env);
}

/*
 * A monitor whose spawner died between "ready" and START (a `container run` killed by
 * SIGKILL, its storage removed) would otherwise wait for a START that never comes, for
 * ever. The spawner sends START within milliseconds of "ready"; after START_WAIT_MS
 * without one, the monitor exits as after SIGTERM (nothing was started).
 */
#define START_WAIT_MS 120000
static struct handler start_timer;

static void start_wait_event(struct handler *h, uint32_t events) {
  (void)events;
  uint64_t n;
  if (read(h->fd, &n, sizeof n) != sizeof n) return;
  if (!start_requested) child_terminate();
}

void child_init(void) {
  timer_init(&restart_timer, restart_event);
  timer_init(&health_timer, health_event);
  timer_init(&start_timer, start_wait_event);
  timer_arm(&start_timer, opt.start_wait_ms > 0 ? opt.start_wait_ms : START_WAIT_MS, 0);
}

int child_request_start(void) {
  if (start_requested) return 1;
  start_requested = 1;
  timer_arm(&start_timer, 0, 0);
  start_container();
  return 0;
}

void child_no_restart(void) {
  no_restart = 1;
  /* waiting out a back-off: the restart is cancelled and the container stays exited */
  if (st.status == ST_RESTARTING && !init_pid && !cleanup_pid) {
    timer_arm(&restart_timer, 0, 0);
    st.status = ST_EXITED;
    state_write();
    finish();
  }
}

void child_terminate(void) {
  child_no_restart();
  if (!monitor_done && !start_requested) finish(); /* never started: nothing to wait for */
}

void child_reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    if (pid == init_pid) {
      init_exited = 1;
      init_status = status;
    } else if (pid == cleanup_pid) {
      cleanup_exited = 1;
    } else if (pid == health_pid) {
      health_pid = 0;
    } else if (st.status == ST_RUNNING && pid == st.pid) {
      container_exited(status);
    } else if (init_pid && orphan_count < 32) { /* maybe the container, before the hook named it */
      orphans[orphan_count].pid = pid;
      orphans[orphan_count++].status = status;
    }
    progress();
  }
}
