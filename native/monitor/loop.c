/*
 * The event loop: one epoll(7) set, every fd a `struct handler`, all fds non-blocking.
 * Nothing in the monitor blocks except epoll_wait, so a container writing as fast as it
 * can and a client reading slowly never wait on each other.
 *
 * Also here: timerfd(2) timers, the bounded output buffers and the diagnostics.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "monitor.h"

static int epfd = -1;
static int running;

/* Where diagnostics go: stderr until we daemonize, then the --ready-fd (the spawner reads
 * "error: ..." there instead of "ready"), then nowhere: a detached monitor has no terminal. */
int diag_fd = 2;

static void vsay(const char *fmt, va_list ap) {
  if (diag_fd < 0) return;
  char msg[1024];
  int n = vsnprintf(msg, sizeof msg - 1, fmt, ap);
  if (n < 0) return;
  if ((size_t)n > sizeof msg - 2) n = sizeof msg - 2;
  msg[n++] = '\n';
  ssize_t w = write(diag_fd, msg, (size_t)n);
  (void)w;
}

void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char prefixed[256];
  snprintf(prefixed, sizeof prefixed, "error: ts-runc-monitor: %s", fmt);
  vsay(prefixed, ap);
  va_end(ap);
  exit(125);
}

void warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char prefixed[256];
  snprintf(prefixed, sizeof prefixed, "ts-runc-monitor: %s", fmt);
  vsay(prefixed, ap);
  va_end(ap);
}

void loop_init(void) {
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1: %s", strerror(errno));
}

static void ctl(int op, struct handler *h, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = h};
  if (epoll_ctl(epfd, op, h->fd, &ev) < 0 && op != EPOLL_CTL_DEL)
    die("epoll_ctl(%d, fd %d): %s", op, h->fd, strerror(errno));
}

void loop_add(struct handler *h, uint32_t events) { ctl(EPOLL_CTL_ADD, h, events); }
void loop_mod(struct handler *h, uint32_t events) { ctl(EPOLL_CTL_MOD, h, events); }
void loop_del(struct handler *h) { ctl(EPOLL_CTL_DEL, h, 0); }
void loop_stop(void) { running = 0; }

void loop_run(void) {
  struct epoll_event events[32];
  running = 1;
  while (running) {
    int n = epoll_wait(epfd, events, 32, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait: %s", strerror(errno));
    }
    for (int i = 0; i < n && running; i++) {
      struct handler *h = events[i].data.ptr;
      /* A handler earlier in this batch may have closed this one (fd -1). */
      if (h->fd >= 0) h->on_event(h, events[i].events);
    }
    attach_free_closed();
  }
}

void timer_init(struct handler *t, void (*fn)(struct handler *, uint32_t)) {
  t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (t->fd < 0) die("timerfd_create: %s", strerror(errno));
  t->on_event = fn;
  loop_add(t, EPOLLIN);
}

void timer_arm(struct handler *t, long ms, long interval_ms) {
  struct itimerspec spec = {
      .it_value = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L},
      .it_interval = {.tv_sec = interval_ms / 1000, .tv_nsec = (interval_ms % 1000) * 1000000L},
  };
  if (timerfd_settime(t->fd, 0, &spec, NULL) < 0) die("timerfd_settime: %s", strerror(errno));
  /* Swallow an expiry that was already pending, so a disarmed timer stays quiet. */
  uint64_t expirations;
  ssize_t r = read(t->fd, &expirations, sizeof expirations);
  (void)r;
}

/* --- bounded output buffers ------------------------------------------------------------- */

size_t obuf_pending(const struct obuf *b) { return b->len - b->off; }

int obuf_append(struct obuf *b, const void *data, size_t len) {
  if (b->off > 0 && b->off == b->len) b->off = b->len = 0;
  if (b->len + len > b->cap) {
    /* Move the unsent bytes to the front before growing. */
    if (b->off > 0) {
      memmove(b->data, b->data + b->off, b->len - b->off);
      b->len -= b->off;
      b->off = 0;
    }
    if (b->len + len > b->cap) {
      size_t cap = b->cap ? b->cap : 4096;
      while (cap < b->len + len) cap *= 2;
      char *data = realloc(b->data, cap);
      if (!data) return -1;
      b->data = data;
      b->cap = cap;
    }
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  return 0;
}

int obuf_flush(struct obuf *b, int fd) {
  while (b->off < b->len) {
    ssize_t w = write(fd, b->data + b->off, b->len - b->off);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return 1;
      return -1;
    }
    b->off += (size_t)w;
  }
  b->off = b->len = 0;
  /* Give back a buffer that grew past 64 KiB once it is empty: an idle monitor stays small. */
  if (b->cap > 65536) {
    free(b->data);
    b->data = NULL;
    b->cap = 0;
  }
  return 0;
}

void obuf_free(struct obuf *b) {
  free(b->data);
  b->data = NULL;
  b->off = b->len = b->cap = 0;
}
