/*
 * state.json: the container's live state, written by the monitor alone, at every change.
 * Readers (`ps`, `inspect`, `wait`) may read it at any moment, so it is never written in
 * place: the new content goes to state.json.tmp, is fsync(2)ed, and rename(2) puts it
 * over the old file in one step (rename is atomic within a filesystem, rename(2)). The
 * fsync makes the record survive a power cut too, as record.json does.
 *
 *   {"Status":"running","Pid":1234,"ExitCode":0,"StartedAt":"…","FinishedAt":"…",
 *    "RestartCount":0,"OOMKilled":false,"Error":""}
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "monitor.h"

struct state st;

static const char *const STATUS_NAME[] = {"created", "running", "restarting", "exited"};

void format_time(char *out, size_t cap, const struct timespec *t) {
  if (t->tv_sec == 0 && t->tv_nsec == 0) {
    snprintf(out, cap, "0001-01-01T00:00:00Z"); /* Go's zero time, as Docker shows it */
    return;
  }
  struct tm tm;
  gmtime_r(&t->tv_sec, &tm);
  snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, t->tv_nsec);
}

void state_write(void) {
  char started[40], finished[40], error[sizeof st.error * 6 + 1], text[sizeof error + 512];
  format_time(started, sizeof started, &st.started);
  format_time(finished, sizeof finished, &st.finished);
  error[json_escape(error, st.error, strlen(st.error))] = '\0';
  int n = snprintf(text, sizeof text,
                   "{\"Status\":\"%s\",\"Pid\":%d,\"ExitCode\":%d,\"StartedAt\":\"%s\",\"FinishedAt\":\"%s\","
                   "\"RestartCount\":%d,\"OOMKilled\":%s,\"Error\":\"%s\"}\n",
                   STATUS_NAME[st.status], (int)st.pid, st.exit_code, started, finished, st.restart_count,
                   st.oom_killed ? "true" : "false", error);
  int fd = open("state.json.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    warn("open state.json.tmp: %s", strerror(errno));
    return;
  }
  ssize_t w = write(fd, text, (size_t)n);
  if (w != n || fsync(fd) < 0) {
    warn("write state.json.tmp: %s", strerror(errno));
    close(fd);
    return;
  }
  close(fd);
  if (rename("state.json.tmp", "state.json") < 0) warn("rename state.json: %s", strerror(errno));
}
