/*
 * The container's stdio, held by the monitor: the read ends of its stdout and stderr
 * pipes (or the pty master under --tty) and the write end of its stdin pipe (--stdin).
 * Whatever the container writes is read here at once, written to the log and offered to
 * the attach clients; the container never waits on anyone but the log's disk.
 *
 * The pipes are made anew for every start (a restarted container gets fresh ones, as
 * Docker's do); the hook passes the other ends to the container as its fds 0, 1 and 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "monitor.h"

/* One read's worth; pipes are enlarged to PIPE_BYTES so a fast writer rarely waits. */
#define READ_BYTES (128 * 1024)
#define PIPE_BYTES (1024 * 1024)
/* Above this much unwritten stdin, clients' frames wait (backpressure instead of loss). */
#define STDIN_BACKLOG (1u << 20)

struct output {
  struct handler h;
  enum stream stream;
  int frame; /* OUT_STDOUT or OUT_STDERR */
};

static void output_event(struct handler *h, uint32_t events);
static void stdin_event(struct handler *h, uint32_t events);

static struct output outputs[2] = {
    {{-1, output_event}, STREAM_STDOUT, OUT_STDOUT},
    {{-1, output_event}, STREAM_STDERR, OUT_STDERR},
};
/* under --tty the master is read as stdout */
static struct output master = {{-1, output_event}, STREAM_STDOUT, OUT_STDOUT};
static struct handler in = {-1, stdin_event};
static struct obuf in_buf;
static int close_stdin_when_flushed;
static unsigned want_rows, want_cols;
static char readbuf[READ_BYTES];

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

void streams_open(int child_fds[3]) {
  child_fds[0] = child_fds[1] = child_fds[2] = -1;
  close_stdin_when_flushed = 0;
  if (opt.tty) return; /* the pty master comes over the console socket (tty.c) */
  int p[2];
  if (opt.stdin_open) {
    if (pipe2(p, O_CLOEXEC) < 0) die("pipe2: %s", strerror(errno));
    child_fds[0] = p[0];
    in.fd = p[1];
    set_nonblock(in.fd);
    loop_add(&in, 0);
  }
  for (int i = 0; i < 2; i++) {
    if (pipe2(p, O_CLOEXEC) < 0) die("pipe2: %s", strerror(errno));
    fcntl(p[0], F_SETPIPE_SZ, PIPE_BYTES); /* best effort: pipe-max-size may be lower */
    set_nonblock(p[0]);
    outputs[i].h.fd = p[0];
    child_fds[1 + i] = p[1];
    loop_add(&outputs[i].h, EPOLLIN);
  }
}

static void output_close(struct output *o) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  log_flush_partial(o->stream, &now);
  loop_del(&o->h);
  close(o->h.fd);
  o->h.fd = -1;
}

/* Reads up to max_reads chunks; returns 1 when the stream ended. */
static int output_read(struct output *o, int max_reads) {
  for (int i = 0; i < max_reads; i++) {
    ssize_t r = read(o->h.fd, readbuf, sizeof readbuf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) return 0;
    if (r <= 0) return 1; /* EOF, or EIO: the pty's last slave fd closed */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    log_write(o->stream, readbuf, (size_t)r, &now);
    attach_broadcast(o->frame, readbuf, (size_t)r);
  }
  return 0;
}

static void output_event(struct handler *h, uint32_t events) {
  (void)events;
  struct output *o = (struct output *)h;
  /* a few reads per wake-up, then the other fds get their turn */
  if (output_read(o, 8)) output_close(o);
}

static void stdin_close_now(void) {
  if (in.fd < 0) return;
  loop_del(&in);
  close(in.fd);
  in.fd = -1;
  obuf_free(&in_buf);
  attach_pause_input(0);
}

static void stdin_event(struct handler *h, uint32_t events) {
  /* The container closed its end (epoll reports EPOLLERR/EPOLLHUP even with no events
   * asked for, level-triggered: left open, the fd would wake the loop forever). */
  if (events & (EPOLLERR | EPOLLHUP)) return stdin_close_now();
  int r = obuf_flush(&in_buf, h->fd);
  if (r < 0) return stdin_close_now(); /* EPIPE: the container closed its stdin */
  if (r == 0) {
    loop_mod(h, 0);
    if (close_stdin_when_flushed) return stdin_close_now();
  }
  if (obuf_pending(&in_buf) < STDIN_BACKLOG) attach_pause_input(0);
}

void streams_write_stdin(const char *data, size_t len) {
  if (in.fd < 0 || close_stdin_when_flushed) return;
  size_t done = 0;
  if (obuf_pending(&in_buf) == 0) {
    ssize_t w = write(in.fd, data, len);
    if (w < 0 && errno != EAGAIN && errno != EINTR) return stdin_close_now();
    if (w > 0) done = (size_t)w;
    if (done == len) return;
  }
  if (obuf_append(&in_buf, data + done, len - done) < 0) return;
  loop_mod(&in, EPOLLOUT);
  if (obuf_pending(&in_buf) >= STDIN_BACKLOG) attach_pause_input(1);
}

void streams_close_stdin(void) {
  /* A pty has no half-close: the container's stdin ends with the terminal. */
  if (opt.tty) return;
  if (obuf_pending(&in_buf)) close_stdin_when_flushed = 1;
  else stdin_close_now();
}

void streams_resize(unsigned rows, unsigned cols) {
  want_rows = rows;
  want_cols = cols;
  if (master.h.fd < 0) return; /* applied when the master arrives */
  struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  if (ioctl(master.h.fd, TIOCSWINSZ, &ws) < 0) warn("TIOCSWINSZ: %s", strerror(errno));
}

void streams_set_master(int fd) {
  set_nonblock(fd);
  master.h.fd = fd;
  loop_add(&master.h, EPOLLIN);
  /* keystrokes go to the master; a dup so that stdin and output close independently */
  in.fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (in.fd >= 0) loop_add(&in, 0);
  if (want_rows || want_cols) streams_resize(want_rows, want_cols);
}

void streams_drain_and_close(void) {
  struct output *all[3] = {&outputs[0], &outputs[1], &master};
  for (int i = 0; i < 3; i++) {
    if (all[i]->h.fd < 0) continue;
    /* Everything the container wrote before it exited is in the pipe now; a process it
     * left behind that still holds the pipe loses what it writes later. */
    output_read(all[i], 512); /* bounded: a leftover writer cannot keep us here */
    output_close(all[i]);
  }
  stdin_close_now();
  close_stdin_when_flushed = 0;
}
