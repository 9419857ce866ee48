/*
 * --tty: the pty master comes to the monitor the way runc's --console-socket sends it
 * (runtime-spec, "Console socket"; src/process/console.ts receives it the same way): the
 * container's init opens the pty, connects to a unix socket whose path it was given and
 * sends the master with SCM_RIGHTS (unix(7), cmsg(3)). The hook learns the path from
 * TS_RUNC_CONSOLE_SOCKET and passes it on as the runtime's console socket.
 *
 * The path lives in $TMPDIR (or /tmp), not DIR: it must be short (108 bytes) and absolute,
 * since the process that connects has its own working directory. It is mode 0600 and
 * removed as soon as the master arrived or the start is over.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "monitor.h"

static void console_event(struct handler *h, uint32_t events);
static struct handler listener = {-1, console_event};
static char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

const char *console_listen(void) {
  static unsigned serial;
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp || strlen(tmp) > 60) tmp = "/tmp";
  snprintf(path, sizeof path, "%s/ts-runc-console-%d-%u.sock", tmp, (int)getpid(), serial++);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, path);
  listener.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listener.fd < 0) die("socket: %s", strerror(errno));
  unlink(path);
  mode_t old = umask(077);
  int r = bind(listener.fd, (struct sockaddr *)&addr, sizeof addr);
  umask(old);
  if (r < 0 || listen(listener.fd, 1) < 0) die("console socket %s: %s", path, strerror(errno));
  loop_add(&listener, EPOLLIN);
  return path;
}

/* One connection, one message, one fd in SCM_RIGHTS. */
static int receive_master(int conn) {
  char byte;
  struct iovec iov = {&byte, 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  /* the connection is a blocking socket: the sender writes right after connecting */
  ssize_t r;
  do r = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0) return -1;
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  if (!cmsg || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
  return fd;
}

static void console_event(struct handler *h, uint32_t events) {
  (void)events;
  int conn = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0) return;
  int master = receive_master(conn);
  close(conn);
  if (master < 0) {
    warn("console socket: no pty master received");
    return;
  }
  console_close();
  streams_set_master(master);
}

void console_poll(void) {
  if (listener.fd >= 0) console_event(&listener, EPOLLIN);
}

void console_close(void) {
  if (listener.fd < 0) return;
  loop_del(&listener);
  close(listener.fd);
  listener.fd = -1;
  unlink(path);
}
