/**
 * Every call into libc that Node has no API for, declared in one place through koffi.
 *
 * Only what Node cannot do goes here: file-descriptor passing (SCM_RIGHTS) and raw
 * AF_UNIX sockets we need the fd of, terminal ioctls, bpf(2) for the cgroup v2 device
 * filter. Namespace calls are NOT here and must never be: Node is multithreaded, so unshare/setns/fork belong to native/init.c.
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
  /** variadic: syscall(number, 'int', cmd, 'type *', attr, ...) */
  syscall: Fn;
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
  // union bpf_attr, the members for BPF_PROG_LOAD and BPF_PROG_ATTACH (include/uapi/linux/bpf.h)
  koffi.struct('bpf_prog_load_attr', {
    prog_type: 'uint32', insn_cnt: 'uint32', insns: 'void *', license: 'const char *',
    log_level: 'uint32', log_size: 'uint32', log_buf: 'void *', kern_version: 'uint32', prog_flags: 'uint32',
    prog_name: koffi.array('char', 16), prog_ifindex: 'uint32', expected_attach_type: 'uint32',
    pad: koffi.array('uint8', BPF_ATTR_SIZE - 72),
  });
  koffi.struct('bpf_prog_attach_attr', {
    target_fd: 'uint32', attach_bpf_fd: 'uint32', attach_type: 'uint32', attach_flags: 'uint32',
    pad: koffi.array('uint8', BPF_ATTR_SIZE - 16),
  });
  libc = {
    socket: lib.func('int socket(int domain, int type, int protocol)') as Fn,
    bind: lib.func('int bind(int fd, const sockaddr_un *addr, uint32 len)') as Fn,
    listen: lib.func('int listen(int fd, int backlog)') as Fn,
    accept4: lib.func('int accept4(int fd, void *addr, void *len, int flags)') as Fn,
    recvmsg: lib.func('intptr recvmsg(int fd, msghdr *msg, int flags)') as Fn,
    close: lib.func('int close(int fd)') as Fn,
    ioctl: lib.func('int ioctl(int fd, unsigned long request, const winsize *ws)') as Fn,
    syscall: lib.func('long syscall(long number, ...)') as Fn,
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

/*
 * bpf(2) has no libc wrapper: it is called through syscall(2). Its number is per
 * architecture (asm/unistd.h); its argument is union bpf_attr, one struct per command
 * (include/uapi/linux/bpf.h). The kernel accepts a larger attr than it knows as long as
 * the extra bytes are zero, so both structs below are padded to BPF_ATTR_SIZE.
 */
const SYS_BPF: Partial<Record<NodeJS.Architecture, number>> = { x64: 321, arm64: 280 };
const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
/** another program attached to the same cgroup (systemd's, say) keeps running too: all must allow */
const BPF_F_ALLOW_MULTI = 2;
const BPF_ATTR_SIZE = 128;

function bpf(cmd: number, attrType: string, attr: unknown, what: string): number {
  const c = load();
  const nr = SYS_BPF[process.arch];
  if (nr === undefined) throw new RuntimeError(`${what}: bpf(2): no syscall number known for ${process.arch}`);
  const result = Number(c.syscall(nr, 'int', cmd, `${attrType} *`, attr, 'uint32', BPF_ATTR_SIZE));
  if (result < 0) {
    const errno = c.errno();
    const hint = errno === 1 ? ' (needs CAP_SYS_ADMIN, or CAP_BPF and CAP_NET_ADMIN)' : '';
    throw new RuntimeError(`${what}: bpf(2): ${errnoName(errno)}${hint}`, { code: errnoName(errno) });
  }
  return result;
}

/**
 * bpf(BPF_PROG_LOAD) of a BPF_PROG_TYPE_CGROUP_DEVICE program (struct bpf_insn[], encoded by
 * src/cgroups/device-bpf.ts); returns its fd. On a verifier error the kernel's log is in the message.
 */
export function loadCgroupDeviceProgram(instructions: Buffer, what: string): number {
  const log = Buffer.alloc(64 * 1024);
  const attr = {
    prog_type: BPF_PROG_TYPE_CGROUP_DEVICE, insn_cnt: instructions.length / 8, insns: instructions,
    license: 'Apache', log_level: 1, log_size: log.length, log_buf: log, kern_version: 0, prog_flags: 0,
    prog_name: 'ts_runc_devices', prog_ifindex: 0, expected_attach_type: 0, pad: new Array(BPF_ATTR_SIZE - 72).fill(0),
  };
  try {
    return bpf(BPF_PROG_LOAD, 'bpf_prog_load_attr', attr, `${what}: load the device filter`);
  } catch (error) {
    const verifier = log.toString('utf8', 0, Math.max(0, log.indexOf(0))).trim();
    if (!verifier || !(error instanceof RuntimeError)) throw error;
    throw new RuntimeError(`${error.message} (verifier: ${verifier.split('\n').slice(-3).join('; ')})`, { cause: error, code: error.code });
  }
}

/** bpf(BPF_PROG_ATTACH) of a device program to a cgroup v2 directory opened O_RDONLY. */
export function attachCgroupDeviceProgram(cgroupFd: number, programFd: number, what: string): void {
  bpf(BPF_PROG_ATTACH, 'bpf_prog_attach_attr', {
    target_fd: cgroupFd, attach_bpf_fd: programFd, attach_type: BPF_CGROUP_DEVICE, attach_flags: BPF_F_ALLOW_MULTI,
    pad: new Array(BPF_ATTR_SIZE - 16).fill(0),
  }, what);
}
