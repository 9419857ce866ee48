/*
 * The json-file log, in Docker's format (daemon/logger/jsonfilelog): one JSON object per
 * line of container output,
 *
 *     {"log":"hello\n","stream":"stdout","time":"2026-12-04T20:00:00.123456789Z"}
 *
 * so `docker logs`-style readers, and people's scripts written for Docker's files, work on
 * it. As Docker's copier does, output is split at newlines; a line longer than 16 KiB is
 * written in 16 KiB pieces (without the newline), and a partial last line waits for its
 * newline until the stream ends.
 *
 * Rotation (--log-opt max-size, max-file): before an entry is written, a file that has
 * reached max-size is renamed to container.log.1 (.1 to .2, ...; the oldest beyond
 * max-file - 1 is overwritten) and a new one started; with max-file 1 it is truncated.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "monitor.h"

#define LOG_NAME "container.log"
/* Docker's bufio size for a log line; longer lines are split */
#define LINE_MAX_BYTES 16384
/* room for one entry: every byte escaped to 6, plus the keys and the time */
#define ENTRY_MAX (LINE_MAX_BYTES * 6 + 128)
#define OUT_CAP (ENTRY_MAX + 160 * 1024)

static int log_fd = -1;
static long long log_size;
static char pending[2][LINE_MAX_BYTES];
static size_t pending_len[2];
static char out[OUT_CAP];
static size_t out_len;
static const char *const STREAM_NAME[2] = {"stdout", "stderr"};

static void open_file(int flags) {
  log_fd = open(LOG_NAME, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | flags, 0640);
  if (log_fd < 0) {
    warn("open %s: %s", LOG_NAME, strerror(errno));
    return;
  }
  struct stat sb;
  log_size = fstat(log_fd, &sb) == 0 ? sb.st_size : 0;
}

void log_open(void) {
  if (opt.log_none || log_fd >= 0) return;
  open_file(0);
}

/* Writes the batch. A full disk loses these entries, never the container's progress. */
static void flush_out(void) {
  size_t off = 0;
  while (off < out_len && log_fd >= 0) {
    ssize_t w = write(log_fd, out + off, out_len - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      warn("write %s: %s", LOG_NAME, strerror(errno));
      break;
    }
    off += (size_t)w;
    log_size += w;
  }
  out_len = 0;
}

static void rotate(void) {
  char from[64], to[64];
  if (log_fd >= 0) close(log_fd);
  log_fd = -1;
  if (opt.log_max_files > 1) {
    for (int i = opt.log_max_files - 1; i >= 1; i--) {
      if (i == 1) snprintf(from, sizeof from, "%s", LOG_NAME);
      else snprintf(from, sizeof from, "%s.%d", LOG_NAME, i - 1);
      snprintf(to, sizeof to, "%s.%d", LOG_NAME, i);
      if (rename(from, to) < 0 && errno != ENOENT) warn("rename %s %s: %s", from, to, strerror(errno));
    }
    open_file(0);
  } else {
    open_file(O_TRUNC);
  }
}

static void entry(enum stream s, const char *data, size_t len, const char *time) {
  long long current = log_size + (long long)out_len;
  if (opt.log_max_size > 0 && current >= opt.log_max_size) {
    flush_out();
    rotate();
  }
  if (out_len + ENTRY_MAX > OUT_CAP) flush_out();
  char *o = out + out_len;
  memcpy(o, "{\"log\":\"", 8);
  o += 8;
  o += json_escape(o, data, len);
  o += sprintf(o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", STREAM_NAME[s], time);
  out_len = (size_t)(o - out);
}

/* Where to cut a full line buffer so that no UTF-8 sequence is split across two entries. */
static size_t utf8_cut(const char *buf, size_t n) {
  for (size_t back = 1; back <= 3 && back <= n; back++) {
    unsigned char c = (unsigned char)buf[n - back];
    if (c < 0x80) return n;
    if (c >= 0xc0) {
      size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      return back < need ? n - back : n;
    }
  }
  return n;
}

void log_write(enum stream s, const char *data, size_t len, const struct timespec *now) {
  if (opt.log_none || len == 0) return;
  char time[40];
  format_time(time, sizeof time, now);
  char *buf = pending[s];
  while (len > 0) {
    const char *nl = memchr(data, '\n', len);
    size_t line = nl ? (size_t)(nl - data) + 1 : len;
    size_t *plen = &pending_len[s];
    if (*plen == 0 && line > LINE_MAX_BYTES) {
      /* a long line: a 16 KiB piece straight from the read buffer */
      size_t cut = utf8_cut(data, LINE_MAX_BYTES);
      entry(s, data, cut, time);
      data += cut;
      len -= cut;
      continue;
    }
    if (*plen == 0 && nl) {
      entry(s, data, line, time); /* the common case: a whole line, no copy */
    } else {
      size_t take = line < LINE_MAX_BYTES - *plen ? line : LINE_MAX_BYTES - *plen;
      memcpy(buf + *plen, data, take);
      *plen += take;
      if (nl && take == line) {
        entry(s, buf, *plen, time);
        *plen = 0;
      } else if (*plen == LINE_MAX_BYTES) {
        size_t cut = utf8_cut(buf, *plen);
        entry(s, buf, cut, time);
        memmove(buf, buf + cut, *plen - cut);
        *plen -= cut;
      }
      line = take;
    }
    data += line;
    len -= line;
  }
  flush_out();
}

void log_flush_partial(enum stream s, const struct timespec *now) {
  if (opt.log_none || pending_len[s] == 0) return;
  char time[40];
  format_time(time, sizeof time, now);
  entry(s, pending[s], pending_len[s], time);
  pending_len[s] = 0;
  flush_out();
}
