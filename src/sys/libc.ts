/**
 * Every call into libc that Node has no API for, declared in one place through koffi.
 *
 * Only what Node cannot do goes here: file-descriptor passing (SCM_RIGHTS) and raw
 * AF_UNIX sockets we need the fd of, terminal ioctls. Namespace calls are NOT here and
 * must never be: Node is multithreaded, so unshare/setns/fork belong to native/init.c.
 *
 * koffi is loaded on first use: most CLI calls never need it.
 */
import { createRequire } from 'node:module';
import { RuntimeError, errnoName } from '../errors.js';

type KoffiModule = typeof import('koffi');
type Fn = (...args: unknown[]) => number;

interface Libc {
  socket: Fn;
  bind: Fn;
  listen: Fn;
  accept4: Fn;
  recvmsg: Fn;
  close: Fn;
  ioctl: Fn;
  errno: () => number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  const koffi = createRequire(import.meta.url)('koffi') as KoffiModule;
  const lib = koffi.load('libc.so.6');
  koffi.struct('sockaddr_un', { sun_family: 'uint16', sun_path: koffi.array('char', 108) });
  koffi.struct('iovec', { iov_base: 'void *', iov_len: 'size_t' });
  koffi.struct('msghdr', {
    msg_name: 'void *', msg_namelen: 'uint32', msg_iov: 'iovec *', msg_iovlen: 'size_t',
    msg_control: 'void *', msg_controllen: 'size_t', msg_flags: 'int',
  });
  koffi.struct('winsize', { ws_row: 'uint16', ws_col: 'uint16', ws_xpixel: 'uint16', ws_ypixel: 'uint16' });
  libc = {
    socket: lib.func('int socket(int domain, int type, int protocol)') as Fn,
    bind: lib.func('int bind(int fd, const sockaddr_un *addr, uint32 len)') as Fn,
    listen: lib.func('int listen(int fd, int backlog)') as Fn,
    accept4: lib.func('int accept4(int fd, void *addr, void *len, int flags)') as Fn,
    recvmsg: lib.func('intptr recvmsg(int fd, msghdr *msg, int flags)') as Fn,
    close: lib.func('int close(int fd)') as Fn,
    ioctl: lib.func('int ioctl(int fd, unsigned long request, const winsize *ws)') as Fn,
    errno: () => koffi.errno(),
  };
  return libc;
}

function check(result: number, what: string): number {
  if (result < 0) {
    const errno = load().errno();
    throw new RuntimeError(`${what}: ${errnoName(errno)}`, { code: errnoName(errno) });
  }
  return result;
}

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const TIOCSWINSZ = 0x5414;

/** socket(2) + bind(2) + listen(2) on a unix path; non-blocking, close-on-exec. */
export function listenUnix(path: string): number {
  const c = load();
  const fd = check(c.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), 'socket');
  try {
    check(c.bind(fd, { sun_family: AF_UNIX, sun_path: path }, 2 + Buffer.byteLength(path) + 1), `bind ${path}`);
    check(c.listen(fd, 1), `listen ${path}`);
  } catch (error) {
    c.close(fd);
    throw error;
  }
  return fd;
}

/** accept4(2) a pending connection (the listener is non-blocking: EAGAIN if none). */
export function acceptUnix(fd: number): number {
  return check(load().accept4(fd, null, null, SOCK_CLOEXEC), 'accept');
}

/** recvmsg(2) one file descriptor passed with SCM_RIGHTS (unix(7)). */
export function receiveFd(socketFd: number): number {
  const data = Buffer.alloc(256);
  const control = Buffer.alloc(64);
  const msg = {
    msg_name: null, msg_namelen: 0, msg_iov: [{ iov_base: data, iov_len: data.length }], msg_iovlen: 1,
    msg_control: control, msg_controllen: control.length, msg_flags: 0,
  };
  check(load().recvmsg(socketFd, msg, 0), 'recvmsg');
  // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then the fds
  const level = control.readInt32LE(8);
  const type = control.readInt32LE(12);
  if (level !== SOL_SOCKET || type !== SCM_RIGHTS) throw new RuntimeError('console socket: no file descriptor received');
  return control.readInt32LE(16);
}

export function closeFd(fd: number): void {
  load().close(fd);
}

/** ioctl(TIOCSWINSZ): the pty's size, which also sends SIGWINCH to its foreground group. */
export function setWindowSize(fd: number, rows: number, cols: number): void {
  check(load().ioctl(fd, TIOCSWINSZ, { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 }), 'ioctl TIOCSWINSZ');
}
