/*
 * The attach socket's wire format, shared with src/engine/monitor/protocol.ts (keep the
 * two in step). Every message, both ways, is one frame:
 *
 *     u8 type | u32 length (big-endian) | length bytes of payload
 *
 * The numbers of the two directions overlap on purpose: a frame's meaning depends on who
 * sent it. src/engine/README.md ("The monitor's contract") describes each one.
 */
#ifndef TS_RUNC_MONITOR_PROTOCOL_H
#define TS_RUNC_MONITOR_PROTOCOL_H

#define FRAME_HEADER 5
/* A client frame larger than this is a protocol error: the client is disconnected. */
#define FRAME_MAX_IN (1u << 20)

/* client -> monitor */
enum {
  IN_STDIN = 1,       /* bytes for the container's stdin (or the pty master) */
  IN_STDIN_CLOSE = 2, /* close the container's stdin pipe (EOF for the container) */
  IN_RESIZE = 3,      /* u16 rows, u16 cols (big-endian): TIOCSWINSZ on the pty master */
  IN_START = 4,       /* run `HOOK init` (only the first start needs it) */
  IN_NO_RESTART = 5,  /* stop/kill by the user: never restart again */
  IN_SUBSCRIBE = 6,   /* u8 mask of SUB_STDOUT | SUB_STDERR: which output this client gets */
};

/* monitor -> client */
enum {
  OUT_STDOUT = 1,       /* container output (a tty's output is all STDOUT) */
  OUT_STDERR = 2,
  OUT_STARTED = 3,      /* {"pid":N} */
  OUT_START_FAILED = 4, /* {"error":"...","exitCode":N} */
  OUT_EXITED = 5,       /* {"exitCode":N,"restarting":true|false} */
};

#define SUB_STDOUT 1
#define SUB_STDERR 2

#endif
