/*
 * The sync protocol with Node (src/process/protocol.ts), from the init's side: framing
 * messages on the socket, decoding field lists and the plan, and reporting a failure as
 * ERROR [index, op, errno, message].
 */
#include "init.h"

/* ======================================================================================
 * Failure reporting
 * ==================================================================================== */

struct failure failure; /* init.h says what it is for */

static int vfail(int err, bool with_strerror, const char *fmt, va_list ap)
{
	int len = vsnprintf(failure.message, sizeof failure.message, fmt, ap);
	if (with_strerror && len >= 0 && (size_t)len < sizeof failure.message)
		snprintf(failure.message + len, sizeof failure.message - len, ": %s", strerror(err));
	failure.err = err;
	return -1;
}

/* Record a failure with a message of our own. Returns -1 so a step can `return fail(...)`. */
__attribute__((format(printf, 2, 3)))
int fail(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, false, fmt, ap);
	va_end(ap);
	return -1;
}

/* Record a failed system call: "mount(proc, /proc): Operation not permitted". */
__attribute__((format(printf, 2, 3)))
int fail_sys(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, true, fmt, ap);
	va_end(ap);
	return -1;
}

/* ======================================================================================
 * Protocol I/O: message := type:u32 len:u32 payload   (little-endian)
 *               fields  := count:u32 (len:u32 bytes)*
 * ==================================================================================== */

static void put_u32(uint8_t *at, uint32_t value)
{
	at[0] = value;
	at[1] = value >> 8;
	at[2] = value >> 16;
	at[3] = value >> 24;
}

static uint32_t get_u32(const uint8_t *at)
{
	return at[0] | at[1] << 8 | at[2] << 16 | (uint32_t)at[3] << 24;
}

static int read_full(int fd, void *buf, size_t len)
{
	uint8_t *at = buf;
	while (len > 0) {
		ssize_t n = read(fd, at, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = ECONNRESET; /* the peer closed the socket */
		if (n <= 0)
			return -1;
		at += n;
		len -= n;
	}
	return 0;
}

/* send(2) with MSG_NOSIGNAL: if Node (or `start`) went away we want EPIPE, not SIGPIPE. */
int write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *at = buf;
	while (len > 0) {
		ssize_t n = send(fd, at, len, MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, at, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		at += n;
		len -= n;
	}
	return 0;
}

/* Send one message whose payload is a list of string fields (or empty if nfields < 0). */
int send_message(int fd, uint32_t type, const char *const fields[], int nfields)
{
	size_t len = nfields < 0 ? 0 : 4;
	for (int i = 0; i < nfields; i++)
		len += 4 + strlen(fields[i]);

	uint8_t *buf = malloc(8 + len);
	if (!buf)
		return -1;
	put_u32(buf, type);
	put_u32(buf + 4, len);
	uint8_t *at = buf + 8;
	if (nfields >= 0) {
		put_u32(at, nfields);
		at += 4;
	}
	for (int i = 0; i < nfields; i++) {
		size_t n = strlen(fields[i]);
		put_u32(at, n);
		memcpy(at + 4, fields[i], n);
		at += 4 + n;
	}
	int rc = write_full(fd, buf, 8 + len);
	free(buf);
	return rc;
}

/* Read one message, which must be of type `want`. Returns a malloc'ed payload. */
uint8_t *read_message(int fd, uint32_t want, uint32_t *len)
{
	uint8_t header[8];
	if (read_full(fd, header, sizeof header) < 0)
		return NULL;
	uint32_t type = get_u32(header);
	*len = get_u32(header + 4);
	uint8_t *payload = malloc(*len ? *len : 1);
	if (!payload || read_full(fd, payload, *len) < 0)
		return NULL;
	if (type != want) {
		errno = EPROTO;
		return NULL;
	}
	return payload;
}

/* Send ERROR [index, op, errno, message] from `failure` and exit: a step failed. */
__attribute__((noreturn))
void report_and_exit(long index, const char *op)
{
	char index_text[24], errno_text[24];
	snprintf(index_text, sizeof index_text, "%ld", index);
	snprintf(errno_text, sizeof errno_text, "%d", failure.err);
	const char *fields[] = { index_text, op, errno_text, failure.message };
	if (send_message(report_fd, MSG_ERROR, fields, 4) < 0) {
		/* Nobody is listening any more; stderr is the last place left to say it. (After
		 * the barrier the report FIFO takes it even with no `start` left to read it: we
		 * hold it open for reading too.) */
		dprintf(STDERR_FILENO, "ts-runc-init: %s (step %ld, %s)\n", failure.message, index, op);
	}
	_exit(1);
}

/* ======================================================================================
 * Decoding field lists and the plan
 * ==================================================================================== */

/* Decode `count (len bytes)*` at *at (not past end) and advance *at past it. */
int decode_fields(const uint8_t **at, const uint8_t *end, struct fields *out)
{
	if (end - *at < 4)
		return -1;
	out->count = get_u32(*at);
	*at += 4;
	if (out->count > (size_t)(end - *at) / 4) /* each field needs at least its length */
		return -1;
	out->item = calloc(out->count + 1, sizeof *out->item);
	if (!out->item)
		return -1;
	for (uint32_t i = 0; i < out->count; i++) {
		if (end - *at < 4)
			return -1;
		uint32_t len = get_u32(*at);
		*at += 4;
		if (len > (size_t)(end - *at))
			return -1;
		out->item[i] = strndup((const char *)*at, len);
		if (!out->item[i])
			return -1;
		*at += len;
	}
	return 0;
}

/* plan := nsteps step*, each step a field list whose field 0 is the op name. */
int decode_plan(const uint8_t *payload, uint32_t len, struct fields **steps, uint32_t *nsteps)
{
	const uint8_t *at = payload, *end = payload + len;
	if (len < 4)
		return -1;
	*nsteps = get_u32(at);
	at += 4;
	if (*nsteps > len / 4)
		return -1;
	*steps = calloc(*nsteps + 1, sizeof **steps);
	if (!*steps)
		return -1;
	for (uint32_t i = 0; i < *nsteps; i++)
		if (decode_fields(&at, end, &(*steps)[i]) < 0 || (*steps)[i].count == 0)
			return -1;
	return at == end ? 0 : -1;
}
