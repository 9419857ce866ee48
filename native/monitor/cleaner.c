/*
 * Handing a cleanup to the ts-runc process that started the container (--cleaner SOCKET):
 * the Engine API service, or a `container run` attached in the foreground. Such a process
 * has ts-runc's code loaded already, and does in a few milliseconds what `HOOK cleanup`, a
 * new Node process, takes ~45 ms for (issue 14): most of that is Node's own start.
 *
 * The request is one JSON line, {"id":…,"exitCode":N,"restarting":bool}; the answer is the
 * hook's report, {"oomKilled":bool}, on the same connection (child.c reads it as it reads
 * the hook's fd 3). Any failure (nobody listens any more: that process exited; it closes
 * the connection without an answer, or answers without oomKilled) and the hook does it
 * instead, once that connection is over: a cleanup is idempotent
 * (src/engine/lifecycle/hook-cleanup.ts), and never runs twice at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "monitor.h"

int cleaner_ask(int exit_code, int restarting) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  /* relative to --dir, where the monitor runs, which keeps it within sun_path's 108 bytes */
  if (!opt.cleaner || strlen(opt.cleaner) >= sizeof addr.sun_path) return -1;
  strcpy(addr.sun_path, opt.cleaner);
  char id[64 * 6 + 1];
  id[json_escape(id, opt.id, strnlen(opt.id, 64))] = '\0';
  char line[sizeof id + 80];
  int n = snprintf(line, sizeof line, "{\"id\":\"%s\",\"exitCode\":%d,\"restarting\":%s}\n", id, exit_code,
                   restarting ? "true" : "false");
  /* non-blocking: a unix stream connect either succeeds at once or fails (EAGAIN when its
   * backlog is full); the short line fits the empty socket buffer */
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || write(fd, line, (size_t)n) != n) {
    close(fd);
    return -1;
  }
  return fd;
}
