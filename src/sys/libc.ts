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
const MSG_CMSG_CLOEXEC = 0x40000000;

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

/** recvmsg(2) one file descriptor passed with SCM_RIGHTS (unix(7)); `what` names the socket in errors. */
export function receiveFd(socketFd: number, what = 'console socket'): number {
  const data = Buffer.alloc(256);
  const control = Buffer.alloc(64);
  const msg = {
    msg_name: null, msg_namelen: 0, msg_iov: [{ iov_base: data, iov_len: data.length }], msg_iovlen: 1,
    msg_control: control, msg_controllen: control.length, msg_flags: 0,
  };
  // MSG_CMSG_CLOEXEC: the fd is Node's; hooks and other children we spawn must not inherit it.
  check(load().recvmsg(socketFd, msg, MSG_CMSG_CLOEXEC), `recvmsg (${what})`);
  // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then the fds
  const level = control.readInt32LE(8);
  const type = control.readInt32LE(12);
  if (level !== SOL_SOCKET || type !== SCM_RIGHTS) throw new RuntimeError(`${what}: no file descriptor received`);
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

// ---- networks (src/network/ipam.ts): flock(2) for the lease lock ----------------------
/*
 * The IPAM lock is flock(2) on <storage>/networks/<name>/lock: the kernel drops it when
 * its holder dies, so a create killed halfway never leaves a stale lock behind (a mkdir
 * or O_EXCL lock would need guessing whether its owner still lives). Node has no flock.
 */
let flockFn: Fn | undefined;
const LOCK_EX = 2;
const LOCK_UN = 8;

/** flock(fd, LOCK_EX): waits (blocking this thread; the CLI has nothing else to do) for the lock. */
export function lockExclusive(fd: number, what: string): void {
  if (!flockFn) {
    const koffi = createRequire(import.meta.url)('koffi') as KoffiModule;
    flockFn = koffi.load('libc.so.6').func('int flock(int fd, int operation)') as Fn;
  }
  for (;;) {
    if (flockFn(fd, LOCK_EX) === 0) return;
    const errno = load().errno();
    if (errnoName(errno) !== 'EINTR') throw new RuntimeError(`${what}: flock: ${errnoName(errno)}`, { code: errnoName(errno) });
  }
}

/** flock(fd, LOCK_UN); closing the fd would release it too. */
export function unlock(fd: number): void {
  flockFn?.(fd, LOCK_UN);
}

/* ======================================================================================
 * Netlink (src/network/netlink/socket.ts): an AF_NETLINK socket to talk rtnetlink(7) to
 * the kernel, and the socketpair over which native/init.c hands us the one it opened
 * inside a container's new network namespace. Node has sockets for TCP, UDP and unix
 * streams only, so socket/bind/send/recv on AF_NETLINK go through libc.
 * ==================================================================================== */

interface NetlinkLibc {
  socket: Fn;
  socketpair: Fn;
  bind: Fn;
  setsockopt: Fn;
  send: Fn;
  recv: Fn;
}

let netlinkLibc: NetlinkLibc | undefined;

function loadNetlink(): NetlinkLibc {
  if (netlinkLibc) return netlinkLibc;
  const koffi = createRequire(import.meta.url)('koffi') as KoffiModule;
  const lib = koffi.load('libc.so.6');
  load(); // for errno() and close()
  netlinkLibc = {
    socket: lib.func('int socket(int domain, int type, int protocol)') as Fn,
    socketpair: lib.func('int socketpair(int domain, int type, int protocol, int *sv)') as Fn,
    bind: lib.func('int bind(int fd, const void *addr, uint32 len)') as Fn,
    setsockopt: lib.func('int setsockopt(int fd, int level, int name, const void *value, uint32 len)') as Fn,
    send: lib.func('intptr send(int fd, const void *buf, size_t len, int flags)') as Fn,
    recv: lib.func('intptr recv(int fd, void *buf, size_t len, int flags)') as Fn,
  };
  return netlinkLibc;
}

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOL_NETLINK = 270;
/** netlink(7): errors carry the kernel's message and the offending attribute's offset */
const NETLINK_EXT_ACK = 11;
/** rtnetlink(7): dump requests are checked strictly and their header fields filter the dump */
const NETLINK_GET_STRICT_CHK = 12;
const MSG_TRUNC = 0x20;
const EINTR = 4;

/** Turn on extended acks and strict checking on a NETLINK_ROUTE socket (ours or the init's). */
export function configureNetlinkSocket(fd: number): void {
  const c = loadNetlink();
  const on = Buffer.alloc(4);
  on.writeInt32LE(1);
  check(Number(c.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, on, 4)), 'setsockopt(NETLINK_EXT_ACK)');
  check(Number(c.setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, on, 4)), 'setsockopt(NETLINK_GET_STRICT_CHK)');
}

/**
 * socket(AF_NETLINK, SOCK_RAW) in the caller's network namespace, bound with port id 0
 * (the kernel picks one; struct sockaddr_nl is family:u16 pad:u16 pid:u32 groups:u32).
 */
export function openNetlinkSocket(protocol: number): number {
  const c = loadNetlink();
  const fd = check(Number(c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol)), 'socket(AF_NETLINK)');
  try {
    const address = Buffer.alloc(12);
    address.writeUInt16LE(AF_NETLINK, 0);
    check(Number(c.bind(fd, address, address.length)), 'bind(AF_NETLINK)');
    configureNetlinkSocket(fd);
  } catch (error) {
    load().close(fd);
    throw error;
  }
  return fd;
}

/** send(2) one request to the kernel (an unconnected netlink socket sends to port 0, the kernel). */
export function netlinkSend(fd: number, message: Buffer): void {
  for (;;) {
    const sent = Number(loadNetlink().send(fd, message, message.length, 0));
    if (sent < 0 && load().errno() === EINTR) continue;
    check(sent, 'send(netlink)');
    return;
  }
}

/**
 * recv(2) one datagram into `buffer`; returns its length. MSG_TRUNC makes recv report the
 * datagram's real length, so a reply bigger than the buffer is an error, not silently cut.
 */
export function netlinkReceive(fd: number, buffer: Buffer): number {
  for (;;) {
    const length = Number(loadNetlink().recv(fd, buffer, buffer.length, MSG_TRUNC));
    if (length < 0 && load().errno() === EINTR) continue;
    check(length, 'recv(netlink)');
    if (length > buffer.length) throw new RuntimeError(`recv(netlink): a ${length}-byte reply does not fit the ${buffer.length}-byte buffer`);
    return length;
  }
}

/** socketpair(AF_UNIX, SOCK_STREAM), both ends close-on-exec; for handing fds to and from native/init.c. */
export function unixSocketPair(): [number, number] {
  const fds = new Int32Array(2); // a typed array is passed by address, so the kernel's writes land in it
  check(Number(loadNetlink().socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds)), 'socketpair(AF_UNIX)');
  return [fds[0], fds[1]];
}

/* ======================================================================================
 * Mounts and extended attributes (src/image/overlay.ts, src/image/commit.ts): the image
 * containers' overlayfs root. Node has no mount(2) at all. The new mount API (fsopen(2),
 * fsconfig(2), fsmount(2), move_mount(2); glibc 2.36 wraps them) passes each overlay
 * lowerdir as its own `lowerdir+` parameter (Linux 6.8+), so a 500-layer image is not cut
 * off by mount(2)'s one-page option string. l*xattr read an upper layer's
 * trusted.overlay.opaque without following symlinks.
 * ==================================================================================== */

interface MountLibc {
  mount: Fn;
  umount2: Fn;
  fsopen: Fn;
  fsconfig: Fn;
  fsmount: Fn;
  move_mount: Fn;
  mknod: Fn;
  lgetxattr: Fn;
  llistxattr: Fn;
  lsetxattr: Fn;
}

let mountLibc: MountLibc | undefined;

function loadMount(): MountLibc {
  if (mountLibc) return mountLibc;
  const koffi = createRequire(import.meta.url)('koffi') as KoffiModule;
  const lib = koffi.load('libc.so.6');
  load(); // for errno()
  mountLibc = {
    mount: lib.func('int mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data)') as Fn,
    umount2: lib.func('int umount2(const char *target, int flags)') as Fn,
    fsopen: lib.func('int fsopen(const char *fsname, unsigned int flags)') as Fn,
    fsconfig: lib.func('int fsconfig(int fd, unsigned int cmd, const char *key, const char *value, int aux)') as Fn,
    fsmount: lib.func('int fsmount(int fd, unsigned int flags, unsigned int attr_flags)') as Fn,
    move_mount: lib.func('int move_mount(int from_dfd, const char *from_path, int to_dfd, const char *to_path, unsigned int flags)') as Fn,
    mknod: lib.func('int mknod(const char *path, uint32 mode, uint64 dev)') as Fn,
    lgetxattr: lib.func('intptr lgetxattr(const char *path, const char *name, void *value, size_t size)') as Fn,
    llistxattr: lib.func('intptr llistxattr(const char *path, void *list, size_t size)') as Fn,
    lsetxattr: lib.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)') as Fn,
  };
  return mountLibc;
}

const FSOPEN_CLOEXEC = 1;
const FSCONFIG_SET_STRING = 1;
const FSCONFIG_CMD_CREATE = 6;
const FSMOUNT_CLOEXEC = 1;
const MOVE_MOUNT_F_EMPTY_PATH = 4;
const AT_FDCWD = -100;
export const MNT_DETACH = 2;

/** An fs context fd (fsopen(2)): configure it with fsconfigString, then mount it with fsmountAt. */
export function fsopen(fsname: string): number {
  return check(Number(loadMount().fsopen(fsname, FSOPEN_CLOEXEC)), `fsopen ${fsname}`);
}

/** fsconfig(FSCONFIG_SET_STRING): one mount parameter, e.g. "lowerdir+" = one layer's path. */
export function fsconfigString(fd: number, key: string, value: string, what: string): void {
  check(Number(loadMount().fsconfig(fd, FSCONFIG_SET_STRING, key, value, 0)), `${what}: fsconfig ${key}=${value}`);
}

/** fsconfig(FSCONFIG_CMD_CREATE) + fsmount(2) + move_mount(2) of the new mount onto `target`. */
export function fsmountAt(fd: number, target: string, what: string): void {
  const c = loadMount();
  check(Number(c.fsconfig(fd, FSCONFIG_CMD_CREATE, null, null, 0)), `${what}: fsconfig create`);
  const mountFd = check(Number(c.fsmount(fd, FSMOUNT_CLOEXEC, 0)), `${what}: fsmount`);
  try {
    check(Number(c.move_mount(mountFd, '', AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH)), `${what}: move_mount to ${target}`);
  } finally {
    load().close(mountFd);
  }
}

/** mount(2), the classic call: the fallback for kernels whose overlayfs lacks `lowerdir+`. */
export function mount(source: string, target: string, type: string, flags: number, data: string): void {
  check(Number(loadMount().mount(source, target, type, flags, data)), `mount ${type} on ${target}`);
}

/** umount2(2); flags 0 or MNT_DETACH. */
export function umount2(target: string, flags: number): void {
  check(Number(loadMount().umount2(target, flags)), `umount ${target}`);
}

/** mknod(2): overlayfs whiteouts are character devices 0/0 (tests craft upper layers with it). */
export function mknod(path: string, mode: number, dev: number): void {
  check(Number(loadMount().mknod(path, mode, dev)), `mknod ${path}`);
}

/** lgetxattr(2); undefined if the file has no such attribute (ENODATA). */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const c = loadMount();
  const size = Number(c.lgetxattr(path, name, null, 0));
  if (size < 0) {
    const code = errnoName(load().errno());
    if (code === 'ENODATA' || code === 'EOPNOTSUPP') return undefined;
    throw new RuntimeError(`lgetxattr ${path} ${name}: ${code}`, { code });
  }
  const value = Buffer.alloc(size);
  const got = check(Number(c.lgetxattr(path, name, value, size)), `lgetxattr ${path} ${name}`);
  return value.subarray(0, got);
}

/** llistxattr(2): the attribute names of a file (not of a symlink's target). */
export function llistxattr(path: string): string[] {
  const c = loadMount();
  const size = Number(c.llistxattr(path, null, 0));
  if (size < 0) {
    const code = errnoName(load().errno());
    if (code === 'EOPNOTSUPP') return [];
    throw new RuntimeError(`llistxattr ${path}: ${code}`, { code });
  }
  if (size === 0) return [];
  const list = Buffer.alloc(size);
  const got = check(Number(c.llistxattr(path, list, size)), `llistxattr ${path}`);
  return list.toString('utf8', 0, got).split('\0').filter(Boolean);
}

/** lsetxattr(2). */
export function lsetxattr(path: string, name: string, value: Buffer): void {
  check(Number(loadMount().lsetxattr(path, name, value, value.length, 0)), `lsetxattr ${path} ${name}`);
}

// ---- images (src/image/layer-lock.ts): flock(2) without waiting ------------------------
/*
 * Two `image load`s of one image must unpack each layer once: the loser of the race waits
 * for the winner's lock. The wait is a poll with LOCK_NB so Node's event loop keeps
 * running (a blocking flock would freeze a process that holds the lock on another fd).
 */
const LOCK_NB = 4;

/** flock(fd, LOCK_EX | LOCK_NB): true if taken, false if another holder has it. */
export function tryLockExclusive(fd: number, what: string): boolean {
  if (!flockFn) {
    const koffi = createRequire(import.meta.url)('koffi') as KoffiModule;
    flockFn = koffi.load('libc.so.6').func('int flock(int fd, int operation)') as Fn;
  }
  if (flockFn(fd, LOCK_EX | LOCK_NB) === 0) return true;
  const code = errnoName(load().errno());
  if (code === 'EWOULDBLOCK' || code === 'EAGAIN' || code === 'EINTR') return false;
  throw new RuntimeError(`${what}: flock: ${code}`, { code });
}
