/*
 * JSON in the monitor: escaping container output for the json-file log (as Go's
 * encoding/json does, since Docker's logs are read by tools that expect exactly that), and
 * reading the one-line reports the hooks write on fd 3. The reports come from our own
 * hook (JSON.stringify), so a key lookup is all the parsing they need.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "monitor.h"

static const char HEX[] = "0123456789abcdef";

/* 1 for bytes copied as they are: printable ASCII except " \ < > & */
static unsigned char plain[256];

static void init_plain(void) {
  for (int c = 0x20; c < 0x7f; c++) plain[c] = 1;
  plain['"'] = plain['\\'] = plain['<'] = plain['>'] = plain['&'] = 0;
  plain[0x7f] = 1;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates, at
 * most U+10FFFF), or 0 if the bytes there are not one. */
static size_t utf8_length(const unsigned char *s, size_t left) {
  unsigned char c = s[0];
  unsigned char lo = 0x80, hi = 0xbf;
  size_t n;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else return 0;
  if (left < n) return 0;
  if (s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xbf) return 0;
  return n;
}

static char *unicode_escape(char *o, unsigned code) {
  *o++ = '\\';
  *o++ = 'u';
  *o++ = HEX[(code >> 12) & 15];
  *o++ = HEX[(code >> 8) & 15];
  *o++ = HEX[(code >> 4) & 15];
  *o++ = HEX[code & 15];
  return o;
}

size_t json_escape(char *out, const char *in, size_t len) {
  if (!plain['a']) init_plain();
  const unsigned char *s = (const unsigned char *)in;
  char *o = out;
  size_t i = 0;
  while (i < len) {
    unsigned char c = s[i];
    if (plain[c]) {
      *o++ = (char)c;
      i++;
      continue;
    }
    if (c < 0x80) {
      switch (c) {
        case '"': *o++ = '\\'; *o++ = '"'; break;
        case '\\': *o++ = '\\'; *o++ = '\\'; break;
        case '\n': *o++ = '\\'; *o++ = 'n'; break;
        case '\r': *o++ = '\\'; *o++ = 'r'; break;
        case '\t': *o++ = '\\'; *o++ = 't'; break;
        default: o = unicode_escape(o, c); /* other controls, and <>& as Go writes them */
      }
      i++;
      continue;
    }
    size_t n = utf8_length(s + i, len - i);
    if (n == 0) {
      o = unicode_escape(o, 0xfffd); /* each invalid byte, as Go's encoder does */
      i++;
    } else if (n == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
      o = unicode_escape(o, s[i + 2] == 0xa8 ? 0x2028 : 0x2029); /* JS line separators */
      i += 3;
    } else {
      memcpy(o, s + i, n);
      o += n;
      i += n;
    }
  }
  return (size_t)(o - out);
}

/* The value after "key": in text, or NULL. */
static const char *find_value(const char *text, const char *key) {
  size_t klen = strlen(key);
  for (const char *p = strchr(text, '"'); p; p = strchr(p + 1, '"')) {
    if (strncmp(p + 1, key, klen) == 0 && p[1 + klen] == '"') {
      const char *v = p + 2 + klen;
      while (*v == ' ' || *v == '\t') v++;
      if (*v != ':') continue;
      v++;
      while (*v == ' ' || *v == '\t') v++;
      return v;
    }
  }
  return NULL;
}

int json_get_int(const char *text, const char *key, long long *out) {
  const char *v = find_value(text, key);
  if (!v || !(*v == '-' || (*v >= '0' && *v <= '9'))) return 0;
  char *end;
  *out = strtoll(v, &end, 10);
  return end != v;
}

int json_get_bool(const char *text, const char *key, int *out) {
  const char *v = find_value(text, key);
  if (!v) return 0;
  if (strncmp(v, "true", 4) == 0) *out = 1;
  else if (strncmp(v, "false", 5) == 0) *out = 0;
  else return 0;
  return 1;
}

static size_t put_utf8(char *o, unsigned code) {
  if (code < 0x80) { o[0] = (char)code; return 1; }
  if (code < 0x800) { o[0] = (char)(0xc0 | (code >> 6)); o[1] = (char)(0x80 | (code & 63)); return 2; }
  if (code < 0x10000) {
    o[0] = (char)(0xe0 | (code >> 12)); o[1] = (char)(0x80 | ((code >> 6) & 63)); o[2] = (char)(0x80 | (code & 63));
    return 3;
  }
  o[0] = (char)(0xf0 | (code >> 18)); o[1] = (char)(0x80 | ((code >> 12) & 63));
  o[2] = (char)(0x80 | ((code >> 6) & 63)); o[3] = (char)(0x80 | (code & 63));
  return 4;
}

static int hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return 0;
  }
  *out = v;
  return 1;
}

int json_get_string(const char *text, const char *key, char *out, size_t cap) {
  const char *v = find_value(text, key);
  if (!v || *v != '"' || cap < 5) return 0;
  size_t n = 0;
  for (v++; *v && *v != '"' && n + 4 < cap; v++) {
    if (*v != '\\') { out[n++] = *v; continue; }
    v++;
    switch (*v) {
      case 'n': out[n++] = '\n'; break;
      case 'r': out[n++] = '\r'; break;
      case 't': out[n++] = '\t'; break;
      case 'b': out[n++] = '\b'; break;
      case 'f': out[n++] = '\f'; break;
      case 'u': {
        unsigned code, low;
        if (!hex4(v + 1, &code)) return 0;
        v += 4;
        if (code >= 0xd800 && code < 0xdc00 && v[1] == '\\' && v[2] == 'u' && hex4(v + 3, &low) && low >= 0xdc00 && low < 0xe000) {
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
          v += 6;
        }
        n += put_utf8(out + n, code);
        break;
      }
      case '\0': return 0;
      default: out[n++] = *v; /* \" \\ \/ */
    }
  }
  out[n] = '\0';
  return 1;
}
