/*
 * The attach socket: any number of clients (`run` in the foreground, `attach`, `logs -f`
 * does not need it) connect to DIR/attach.sock and exchange frames (protocol.h).
 *
 * The container must never wait for a client: output is written to a client at once if
 * its socket takes it; what it does not take waits in that client's buffer, and once a
 * client has CLIENT_BACKLOG bytes unsent, further output for it is dropped (the log keeps
 * everything). Control frames (STARTED, EXITED...) are small and always queued.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#include "monitor.h"

#define SOCKET_NAME "attach.sock"
#define CLIENT_BACKLOG (4u << 20)

struct client {
  struct handler h; /* first: the loop hands us the handler */
  struct client *next;
  unsigned char mask; /* SUB_STDOUT | SUB_STDERR */
  int sent_stdin;
  char *in;
  size_t in_len, in_cap;
  struct obuf out;
};

static struct handler listener;
static struct client *clients;
/* closed clients, freed after the loop's current batch (an event for them may follow) */
static struct client *graveyard;
static int input_paused;

static void update_events(struct client *c) {
  uint32_t events = (input_paused ? 0 : EPOLLIN) | (obuf_pending(&c->out) ? EPOLLOUT : 0);
  loop_mod(&c->h, events);
}

static void client_close(struct client *c) {
  if (c->h.fd < 0) return;
  loop_del(&c->h);
  close(c->h.fd);
  c->h.fd = -1;
  for (struct client **p = &clients; *p; p = &(*p)->next)
    if (*p == c) {
      *p = c->next;
      break;
    }
  c->next = graveyard;
  graveyard = c;
  /* docker's StdinOnce: the container's stdin closes when the client feeding it leaves */
  if (opt.stdin_once && c->sent_stdin) streams_close_stdin();
}

void attach_free_closed(void) {
  while (graveyard) {
    struct client *c = graveyard;
    graveyard = c->next;
    free(c->in);
    obuf_free(&c->out);
    free(c);
  }
}

static void send_frame(struct client *c, int type, const char *data, size_t len) {
  unsigned char header[FRAME_HEADER] = {(unsigned char)type, (unsigned char)(len >> 24), (unsigned char)(len >> 16),
                                        (unsigned char)(len >> 8), (unsigned char)len};
  int is_data = type == OUT_STDOUT || type == OUT_STDERR;
  if (is_data && obuf_pending(&c->out) + len > CLIENT_BACKLOG) return; /* slow client: dropped */
  size_t done = 0, total = FRAME_HEADER + len;
  if (obuf_pending(&c->out) == 0) {
    /* nothing queued: straight to the socket, no copy */
    struct iovec iov[2] = {{header, FRAME_HEADER}, {(void *)data, len}};
    ssize_t w = writev(c->h.fd, iov, len ? 2 : 1);
    if (w < 0 && errno != EAGAIN && errno != EINTR) {
      client_close(c);
      return;
    }
    if (w > 0) done = (size_t)w;
    if (done == total) return;
  }
  int failed = 0;
  if (done < FRAME_HEADER) failed |= obuf_append(&c->out, header + done, FRAME_HEADER - done);
  size_t data_done = done > FRAME_HEADER ? done - FRAME_HEADER : 0;
  failed |= obuf_append(&c->out, data + data_done, len - data_done);
  if (failed) {
    client_close(c);
    return;
  }
  update_events(c);
}

void attach_broadcast(int type, const char *data, size_t len) {
  unsigned char bit = type == OUT_STDOUT ? SUB_STDOUT : type == OUT_STDERR ? SUB_STDERR : 0;
  for (struct client *c = clients, *next; c; c = next) {
    next = c->next;
    if (bit && !(c->mask & bit)) continue;
    send_frame(c, type, data, len);
  }
}

static void dispatch(struct client *c, int type, const unsigned char *p, size_t len) {
  switch (type) {
    case IN_STDIN:
      c->sent_stdin = 1;
      streams_write_stdin((const char *)p, len);
      break;
    case IN_STDIN_CLOSE:
      streams_close_stdin();
      break;
    case IN_RESIZE:
      if (len >= 4) streams_resize((unsigned)(p[0] << 8 | p[1]), (unsigned)(p[2] << 8 | p[3]));
      break;
    case IN_START:
      if (child_request_start() && st.status == ST_RUNNING) {
        char pid[32];
        int n = snprintf(pid, sizeof pid, "{\"pid\":%d}", (int)st.pid);
        send_frame(c, OUT_STARTED, pid, (size_t)n);
      }
      break;
    case IN_NO_RESTART:
      child_no_restart();
      break;
    case IN_SUBSCRIBE:
      if (len >= 1) c->mask = p[0];
      break;
    default:
      break; /* a newer client's frame: ignored */
  }
}

static void client_read(struct client *c) {
  for (;;) {
    if (input_paused) return;
    if (c->in_cap - c->in_len < 65536) {
      size_t cap = c->in_cap ? c->in_cap * 2 : 65536;
      if (cap > FRAME_MAX_IN + FRAME_HEADER + 65536) cap = FRAME_MAX_IN + FRAME_HEADER + 65536;
      char *in = cap > c->in_cap ? realloc(c->in, cap) : c->in;
      if (!in) return client_close(c);
      c->in = in;
      c->in_cap = cap;
    }
    ssize_t r = read(c->h.fd, c->in + c->in_len, c->in_cap - c->in_len);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) client_close(c);
      return;
    }
    if (r == 0) return client_close(c);
    c->in_len += (size_t)r;
    size_t off = 0;
    while (c->in_len - off >= FRAME_HEADER && c->h.fd >= 0) {
      const unsigned char *f = (const unsigned char *)c->in + off;
      size_t len = (size_t)f[1] << 24 | (size_t)f[2] << 16 | (size_t)f[3] << 8 | f[4];
      if (len > FRAME_MAX_IN) return client_close(c);
      if (c->in_len - off < FRAME_HEADER + len) break;
      dispatch(c, f[0], f + FRAME_HEADER, len);
      off += FRAME_HEADER + len;
    }
    if (c->h.fd < 0) return;
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
  }
}

static void client_event(struct handler *h, uint32_t events) {
  struct client *c = (struct client *)h;
  if (events & EPOLLOUT) {
    int r = obuf_flush(&c->out, c->h.fd);
    if (r < 0) return client_close(c);
    if (r == 0) update_events(c);
  }
  if (events & EPOLLIN) client_read(c);
  else if (events & (EPOLLHUP | EPOLLERR)) client_close(c);
}

static void accept_event(struct handler *h, uint32_t events) {
  (void)events;
  for (;;) {
    int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return; /* EAGAIN, or a client that gave up meanwhile */
    struct client *c = calloc(1, sizeof *c);
    if (!c) {
      close(fd);
      return;
    }
    c->h.fd = fd;
    c->h.on_event = client_event;
    c->next = clients;
    clients = c;
    loop_add(&c->h, input_paused ? 0 : EPOLLIN);
  }
}

void attach_listen(void) {
  /* relative: DIR may be longer than a sockaddr_un's 108 bytes; main chdir()ed there */
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, SOCKET_NAME);
  listener.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listener.fd < 0) die("socket: %s", strerror(errno));
  unlink(SOCKET_NAME); /* a dead monitor's; we hold monitor.pid's lock */
  if (bind(listener.fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind %s/%s: %s", opt.dir, SOCKET_NAME, strerror(errno));
  chmod(SOCKET_NAME, 0600);
  if (listen(listener.fd, 16) < 0) die("listen: %s", strerror(errno));
  listener.on_event = accept_event;
  loop_add(&listener, EPOLLIN);
}

void attach_pause_input(int paused) {
  if (input_paused == paused) return;
  input_paused = paused;
  for (struct client *c = clients; c; c = c->next) update_events(c);
  if (!paused)
    for (struct client *c = clients, *next; c; c = next) {
      next = c->next;
      client_read(c); /* bytes may already wait in the socket: level-triggered, but be sure */
    }
}

void attach_close_all(void) {
  unlink(SOCKET_NAME);
  if (listener.fd >= 0) close(listener.fd);
  listener.fd = -1;
  for (struct client *c = clients, *next; c; c = next) {
    next = c->next;
    if (obuf_pending(&c->out)) {
      /* the last frames (EXITED) matter: a bounded blocking write, 1 s per client */
      struct timeval tv = {.tv_sec = 1};
      setsockopt(c->h.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      fcntl(c->h.fd, F_SETFL, fcntl(c->h.fd, F_GETFL) & ~O_NONBLOCK);
      obuf_flush(&c->out, c->h.fd);
    }
    close(c->h.fd);
  }
  clients = NULL;
}
