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

void state_stamp(char out[40]) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  format_time(out, 40, &now);
}

/*
 * A monitor started for a container that ran before (`container start` after a stop)
 * keeps what its predecessor recorded until START: ExitCode, StartedAt, FinishedAt,
 * OOMKilled and Error stay, so the container reads as exited, not as never started.
 * A predecessor that died while the container ran (state "running") left no exit code:
 * 255, as Docker records a container whose daemon crashed. RestartCount starts at 0 again,
 * as at Docker's `start`.
 */
void state_load(void) {
  static const struct timespec zero;
  format_time(st.started, sizeof st.started, &zero);
  format_time(st.finished, sizeof st.finished, &zero);
  st.status = ST_CREATED;
  char text[8192];
  int fd = open("state.json", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return;
  text[n] = '\0';
  char status[16];
  long long code = 0;
  int oom = 0;
  if (!json_get_string(text, "Status", status, sizeof status)) return;
  if (strcmp(status, "created") == 0) return;
  st.status = ST_EXITED;
  if (json_get_int(text, "ExitCode", &code)) st.exit_code = (int)code;
  if (strcmp(status, "exited") != 0) st.exit_code = 255;
  json_get_string(text, "StartedAt", st.started, sizeof st.started);
  json_get_string(text, "FinishedAt", st.finished, sizeof st.finished);
  if (json_get_bool(text, "OOMKilled", &oom)) st.oom_killed = oom;
  json_get_string(text, "Error", st.error, sizeof st.error);
}

void state_write(void) {
  char error[sizeof st.error * 6 + 1], text[sizeof error + 512];
  const char *started = st.started, *finished = st.finished;
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
