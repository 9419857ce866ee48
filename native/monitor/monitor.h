/*
 * ts-runc-monitor: one small process per running container, like conmon or containerd's
 * shim. main.c has the overview; this header lists every part.
 */
#ifndef TS_RUNC_MONITOR_H
#define TS_RUNC_MONITOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "protocol.h"

/* --- options (main.c) ---------------------------------------------------------------- */
enum restart_policy { RESTART_NO, RESTART_ALWAYS, RESTART_UNLESS_STOPPED, RESTART_ON_FAILURE };

struct options {
  const char *dir;
  const char *id;
  int tty;
  int stdin_open;
  int stdin_once;
  int log_none;
  long long log_max_size; /* 0: never rotate */
  int log_max_files;      /* >= 1 */
  enum restart_policy restart;
  int max_restarts; /* on-failure:N; 0 = no limit */
  long health_interval_ms;
  /* how long to wait for START before exiting (child.c START_WAIT_MS by default) */
  long start_wait_ms;
  int ready_fd;
  /* a unix socket (relative to dir) where a ts-runc process takes cleanups (cleaner.c) */
  const char *cleaner;
  char **hook; /* argv; NULL-terminated, with a free slot at the end for the verb */
  int hook_argc;
};
extern struct options opt;

/* --- state.json (state.c) -------------------------------------------------------------- */
enum status { ST_CREATED, ST_RUNNING, ST_RESTARTING, ST_EXITED };

struct state {
  enum status status;
  pid_t pid;
  int exit_code;
  char started[40];  /* RFC 3339, as written (state_stamp) */
  char finished[40];
  int restart_count;
  int oom_killed;
  char error[1024];
};
extern struct state st;

void state_write(void);
/* Starts from the previous monitor's state.json, if any (state_load). */
void state_load(void);
/* now, as state.json writes it, into st.started or st.finished */
void state_stamp(char out[40]);
/* "2026-12-04T20:00:00.123456789Z" into out (>= 32 bytes); Docker's zero time for {0,0} */
void format_time(char *out, size_t cap, const struct timespec *t);

/* --- the event loop (loop.c) ------------------------------------------------------------ */
struct handler {
  int fd;
  void (*on_event)(struct handler *h, uint32_t events);
};

void loop_init(void);
void loop_add(struct handler *h, uint32_t events);
void loop_mod(struct handler *h, uint32_t events);
void loop_del(struct handler *h);
/* Runs until loop_stop(); returns then. */
void loop_run(void);
void loop_stop(void);
/* A timerfd handler: first after ms, then every interval_ms (0: once); ms 0 disarms it. */
void timer_arm(struct handler *t, long ms, long interval_ms);
void timer_init(struct handler *t, void (*fn)(struct handler *, uint32_t));
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- bounded output buffers (loop.c) ---------------------------------------------------- */
struct obuf {
  char *data;
  size_t off, len, cap;
};
int obuf_append(struct obuf *b, const void *data, size_t len);
/* Writes what it can without blocking: 0 when empty afterwards, 1 when bytes remain,
 * -1 on a write error (the peer is gone). */
int obuf_flush(struct obuf *b, int fd);
size_t obuf_pending(const struct obuf *b);
void obuf_free(struct obuf *b);

/* --- JSON (json.c) ---------------------------------------------------------------------- */
/* Escapes len bytes as the inside of a JSON string (no quotes): control characters,
 * quotes, backslash, <>& (as Go does), invalid UTF-8 as \ufffd. out needs 6 * len bytes.
 * Returns the bytes written. */
size_t json_escape(char *out, const char *in, size_t len);
/* Minimal readers for the hooks' one-line reports ({"pid":N}, {"error":...}). */
int json_get_int(const char *text, const char *key, long long *out);
int json_get_string(const char *text, const char *key, char *out, size_t cap);
int json_get_bool(const char *text, const char *key, int *out);

/* --- the json-file log (log.c) ---------------------------------------------------------- */
enum stream { STREAM_STDOUT = 0, STREAM_STDERR = 1 };
void log_open(void);
/* One chunk of container output: split into lines, one JSON entry each. */
void log_write(enum stream s, const char *data, size_t len, const struct timespec *now);
/* The stream ended (or the container exited): write out a partial last line. */
void log_flush_partial(enum stream s, const struct timespec *now);

/* --- the attach socket (attach.c) -------------------------------------------------------- */
void attach_listen(void);
/* Sends a frame to every client; data frames (STDOUT/STDERR) only to subscribers, and
 * dropped for a client whose unsent backlog is full, so a slow client never blocks. */
void attach_broadcast(int type, const char *data, size_t len);
/* Flushes what the clients can take now, then closes them (at exit). */
void attach_close_all(void);
/* stdin backpressure: stop or resume reading client frames */
void attach_pause_input(int paused);
/* frees clients closed during the loop's last batch (loop.c calls it) */
void attach_free_closed(void);

/* --- the container's stdio (streams.c) -------------------------------------------------- */
/* Makes the pipes for one start; fills in the fds the hook gets as 0, 1, 2. */
void streams_open(int child_fds[3]);
void streams_write_stdin(const char *data, size_t len);
void streams_close_stdin(void);
void streams_resize(unsigned rows, unsigned cols);
/* The pty master arrived (tty.c). */
void streams_set_master(int fd);
/* The container exited: read what is left in the pipes, then close them. */
void streams_drain_and_close(void);

/* --- the console socket (tty.c) --------------------------------------------------------- */
/* Listens on a fresh console socket; returns its path (for TS_RUNC_CONSOLE_SOCKET). */
const char *console_listen(void);
/* Accepts the connection if one is waiting, without blocking (before giving up on it). */
void console_poll(void);
void console_close(void);

/* --- hooks, reaping, restarts, health (child.c) -------------------------------------------- */
void child_init(void);
/* START: runs the init hook the first time; returns 1 when it was already started */
int child_request_start(void);
void child_no_restart(void);
/* SIGCHLD: reap every child that exited. */
void child_reap(void);
/* SIGTERM/SIGINT to the monitor */
void child_terminate(void);
/* Set when the container is finally stopped and cleanup has run: main exits. */
extern int monitor_done;

/* --- hook processes (hooks.c) ------------------------------------------------------------ */
/* Forks `HOOK... verb` with stdio from fds (-1: /dev/null) and fd 3 = the write end of a
 * pipe whose read end is returned in *report_fd (-1 when report_fd is NULL). extra_env
 * entries ("K=V", NULL-terminated) are added to the environment. */
/* the monitor's oom_score_adj before it lowered it (main.c), "" if unchanged */
extern char oom_score_adj_original[16];
pid_t hook_spawn(const char *verb, const int fds[3], int *report_fd, char *const extra_env[]);
/* --- the cleaner (cleaner.c) --------------------------------------------------------------- */
/* Sends the cleanup request to --cleaner: the connected socket, where the report comes, or -1. */
int cleaner_ask(int exit_code, int restarting);

#endif
