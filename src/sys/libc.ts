/**
 * Every call into libc that Node has no API for, declared in one place through koffi.
 *
 * Only what Node cannot do goes here, in this order:
 *   - unix sockets we need the fd of, and file-descriptor passing (SCM_RIGHTS, unix(7));
 *   - terminal ioctls (the console's window size);
 *   - netlink sockets (rtnetlink(7), for bridges, veths, addresses and routes);
 *   - mounts: mount(2), umount2(2) and the new API fsopen/fsconfig/fsmount/move_mount;
 *   - files: mknod(2), the l*xattr(2) calls, and openat2(2) (RESOLVE_IN_ROOT, for `container cp`);
 *   - flock(2), for the IPAM, image-store and layer locks;
 *   - bpf(2), for the cgroup v2 device filter.
 * Namespace calls are NOT here and must never be: Node is multithreaded, so
 * unshare/setns/fork belong to native/init/.
 *
 * koffi and libc are loaded once, on first use (load()): most CLI calls never need them.
 */
import { RuntimeError, errnoName } from '../errors.js';
import { loadKoffi } from './koffi.js';
type Fn = (...args: unknown[]) => number;

/** Each C function this module calls, declared exactly once. */
interface Libc {
  errno: () => number;
  close: Fn;
  // sockets
  socket: Fn;
  socketpair: Fn;
  bind: Fn;
  listen: Fn;
  accept4: Fn;
  setsockopt: Fn;
  send: Fn;
  recv: Fn;
  recvmsg: Fn;
  connect: Fn;
  sendmsg: Fn;
  // terminal
  ioctl: Fn;
  // mounts
  mount: Fn;
  umount2: Fn;
  fsopen: Fn;
  fsconfig: Fn;
  fsmount: Fn;
  move_mount: Fn;
  // files
  mknod: Fn;
  lgetxattr: Fn;
  llistxattr: Fn;
  lsetxattr: Fn;
  // locks
  flock: Fn;
  /** variadic: syscall(number, 'int', cmd, 'type *', attr, ...) */
  syscall: Fn;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  const koffi = loadKoffi();
  const lib = koffi.load('libc.so.6');
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
  koffi.struct('bpf_prog_query_attr', {
    target_fd: 'uint32', attach_type: 'uint32', query_flags: 'uint32', attach_flags: 'uint32',
    prog_ids: 'void *', prog_cnt: 'uint32', pad: koffi.array('uint8', BPF_ATTR_SIZE - 28),
  });
  koffi.struct('bpf_get_fd_by_id_attr', { prog_id: 'uint32', next_id: 'uint32', open_flags: 'uint32', pad: koffi.array('uint8', BPF_ATTR_SIZE - 12) });
  const fn = (prototype: string): Fn => lib.func(prototype) as Fn;
  libc = {
    errno: () => koffi.errno(),
    close: fn('int close(int fd)'),
    socket: fn('int socket(int domain, int type, int protocol)'),
    socketpair: fn('int socketpair(int domain, int type, int protocol, int *sv)'),
    // one bind for every address family: the caller lays out its struct sockaddr_* in a Buffer
    bind: fn('int bind(int fd, const void *addr, uint32 len)'),
    listen: fn('int listen(int fd, int backlog)'),
    accept4: fn('int accept4(int fd, void *addr, void *len, int flags)'),
    setsockopt: fn('int setsockopt(int fd, int level, int name, const void *value, uint32 len)'),
    send: fn('intptr send(int fd, const void *buf, size_t len, int flags)'),
    recv: fn('intptr recv(int fd, void *buf, size_t len, int flags)'),
    recvmsg: fn('intptr recvmsg(int fd, msghdr *msg, int flags)'),
    connect: fn('int connect(int fd, const void *addr, uint32 len)'),
    sendmsg: fn('intptr sendmsg(int fd, const msghdr *msg, int flags)'),
    ioctl: fn('int ioctl(int fd, unsigned long request, const winsize *ws)'),
    mount: fn('int mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data)'),
    umount2: fn('int umount2(const char *target, int flags)'),
    fsopen: fn('int fsopen(const char *fsname, unsigned int flags)'),
    fsconfig: fn('int fsconfig(int fd, unsigned int cmd, const char *key, const char *value, int aux)'),
    fsmount: fn('int fsmount(int fd, unsigned int flags, unsigned int attr_flags)'),
    move_mount: fn('int move_mount(int from_dfd, const char *from_path, int to_dfd, const char *to_path, unsigned int flags)'),
    mknod: fn('int mknod(const char *path, uint32 mode, uint64 dev)'),
    lgetxattr: fn('intptr lgetxattr(const char *path, const char *name, void *value, size_t size)'),
    llistxattr: fn('intptr llistxattr(const char *path, void *list, size_t size)'),
    lsetxattr: fn('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
    flock: fn('int flock(int fd, int operation)'),
    syscall: fn('long syscall(long number, ...)'),
  };
  return libc;
}

/* ---- errors: libc returns -1 and sets errno ---------------------------------------- */

/** The errno name ("EPERM") of the last failed call. */
function lastErrno(): string {
  return errnoName(load().errno());
}

/**
 * A call's result, or a RuntimeError "`what`: ENAME" if it failed (result < 0). `hints`
 * add a likely cause for particular errno names: "EPERM (needs CAP_SYS_ADMIN)".
 */
function check(result: number, what: string, hints: Readonly<Record<string, string>> = {}): number {
  const value = Number(result); // koffi gives a 64-bit result (intptr, long) as a bigint if it is big
  if (value >= 0) return value;
  const code = lastErrno();
  const hint = hints[code];
  throw new RuntimeError(`${what}: ${code}${hint ? ` (${hint})` : ''}`, { code });
}

/** check(), but the errno names in `answers` are an answer rather than a failure: undefined. */
function checkUnless(result: number, what: string, answers: readonly string[]): number | undefined {
  if (Number(result) < 0 && answers.includes(lastErrno())) return undefined;
  return check(result, what);
}

/** check() of a call that is repeated while a signal interrupts it (EINTR, signal(7)). */
function checkRestarting(call: () => number, what: string): number {
  for (;;) {
    const result = Number(call());
    if (result < 0 && lastErrno() === 'EINTR') continue;
    return check(result, what);
  }
}

export function closeFd(fd: number): void {
  load().close(fd);
}

/* ---- unix sockets and fd passing (src/process) ---------------------------------------
 * The console socket (runtime-spec's --console-socket) and the socketpair to native/init/
 * carry file descriptors (SCM_RIGHTS, unix(7)). Node's net module can neither send nor
 * receive an fd, nor hand us the fd of a socket it made.
 */
const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_RAW = 3;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_CMSG_CLOEXEC = 0x40000000;

/** socket(2) + bind(2) + listen(2) on a unix path; non-blocking, close-on-exec. */
export function listenUnix(path: string): number {
  const c = load();
  const fd = check(c.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), 'socket');
  try {
    const address = unixAddress(path);
    check(c.bind(fd, address, address.length), `bind ${path}`);
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

/** struct sockaddr_un { sa_family_t sun_family; char sun_path[108]; }, the path NUL-terminated. */
function unixAddress(path: string): Buffer {
  const address = Buffer.alloc(2 + Buffer.byteLength(path) + 1);
  address.writeUInt16LE(AF_UNIX, 0);
  address.write(path, 2);
  return address;
}

const MSG_NOSIGNAL = 0x4000;

/**
 * connect(2) to the unix stream socket at `path` and send `payload` with `fd` attached
 * (SCM_RIGHTS, unix(7)) in one sendmsg(2), then close the connection: how a seccomp agent
 * gets its notify fd (config-linux.md#seccomp listenerPath). The errors say which call
 * failed, so the caller can word them: `connect`/`sendmsg` in RuntimeError.message.
 */
export function sendFdToUnixSocket(path: string, payload: Buffer, fd: number): void {
  const c = load();
  const socketFd = check(c.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), 'socket');
  try {
    const address = unixAddress(path);
    checkRestarting(() => c.connect(socketFd, address, address.length), `connect ${path}`);
    // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } + one int:
    // CMSG_LEN(4) = 20, padded to CMSG_SPACE(4) = 24.
    const control = Buffer.alloc(24);
    control.writeBigUInt64LE(20n, 0);
    control.writeInt32LE(SOL_SOCKET, 8);
    control.writeInt32LE(SCM_RIGHTS, 12);
    control.writeInt32LE(fd, 16);
    const msg = {
      msg_name: null, msg_namelen: 0, msg_iov: [{ iov_base: payload, iov_len: payload.length }], msg_iovlen: 1,
      msg_control: control, msg_controllen: control.length, msg_flags: 0,
    };
    const sent = checkRestarting(() => c.sendmsg(socketFd, msg, MSG_NOSIGNAL), `sendmsg ${path}`);
    if (sent !== payload.length) throw new RuntimeError(`sendmsg ${path}: sent ${sent} of ${payload.length} bytes`);
  } finally {
    c.close(socketFd);
  }
}

/** pidfd_open(2) and pidfd_getfd(2) (the same numbers on x86_64 and aarch64). */
const SYS_PIDFD_OPEN = 434;
const SYS_PIDFD_GETFD = 438;

/**
 * A copy of fd `targetFd` of process `pid` (pidfd_getfd(2), Linux 5.6; it needs ptrace
 * access to the process, PTRACE_MODE_ATTACH_REALCREDS). The copy is close-on-exec.
 */
export function copyFdOfProcess(pid: number, targetFd: number, what: string): number {
  const c = load();
  const pidfd = check(c.syscall(SYS_PIDFD_OPEN, 'int', pid, 'uint', 0), `${what}: pidfd_open(${pid})`);
  try {
    return check(c.syscall(SYS_PIDFD_GETFD, 'int', pidfd, 'int', targetFd, 'uint', 0), `${what}: pidfd_getfd(${pid}, ${targetFd})`);
  } finally {
    c.close(pidfd);
  }
}

/** socketpair(AF_UNIX, SOCK_STREAM), both ends close-on-exec; for handing fds to and from native/init/. */
export function unixSocketPair(): [number, number] {
  const fds = new Int32Array(2); // a typed array is passed by address, so the kernel's writes land in it
  check(load().socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 'socketpair(AF_UNIX)');
  return [fds[0], fds[1]];
}

/* ---- terminal (src/process/console.ts) -----------------------------------------------
 * Node sets the size of its own tty (process.stdout) only, never of a pty master it was
 * handed as a bare fd.
 */
const TIOCSWINSZ = 0x5414;

/** ioctl(TIOCSWINSZ): the pty's size, which also sends SIGWINCH to its foreground group. */
export function setWindowSize(fd: number, rows: number, cols: number): void {
  check(load().ioctl(fd, TIOCSWINSZ, { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 }), 'ioctl TIOCSWINSZ');
}

/* ---- netlink sockets (src/network/netlink/socket.ts) ---------------------------------
 * An AF_NETLINK socket talks rtnetlink(7) to the kernel: ours, or the one native/init/
 * opened inside a container's new network namespace and passed back. Node has sockets for
 * TCP, UDP and unix streams only.
 */
const AF_NETLINK = 16;
const SOL_NETLINK = 270;
/** netlink(7): errors carry the kernel's message and the offending attribute's offset */
const NETLINK_EXT_ACK = 11;
/** rtnetlink(7): dump requests are checked strictly and their header fields filter the dump */
const NETLINK_GET_STRICT_CHK = 12;
const MSG_TRUNC = 0x20;

/** Turn on extended acks and strict checking on a NETLINK_ROUTE socket (ours or the init's). */
export function configureNetlinkSocket(fd: number): void {
  const c = load();
  const on = Buffer.alloc(4);
  on.writeInt32LE(1);
  check(c.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, on, 4), 'setsockopt(NETLINK_EXT_ACK)');
  check(c.setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, on, 4), 'setsockopt(NETLINK_GET_STRICT_CHK)');
}

/**
 * socket(AF_NETLINK, SOCK_RAW) in the caller's network namespace, bound with port id 0
 * (the kernel picks one; struct sockaddr_nl is family:u16 pad:u16 pid:u32 groups:u32).
 */
export function openNetlinkSocket(protocol: number): number {
  const c = load();
  const fd = check(c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol), 'socket(AF_NETLINK)');
  try {
    const address = Buffer.alloc(12);
    address.writeUInt16LE(AF_NETLINK, 0);
    check(c.bind(fd, address, address.length), 'bind(AF_NETLINK)');
    configureNetlinkSocket(fd);
  } catch (error) {
    c.close(fd);
    throw error;
  }
  return fd;
}

/** send(2) one request to the kernel (an unconnected netlink socket sends to port 0, the kernel). */
export function netlinkSend(fd: number, message: Buffer): void {
  checkRestarting(() => load().send(fd, message, message.length, 0), 'send(netlink)');
}

/**
 * recv(2) one datagram into `buffer`; returns its length. MSG_TRUNC makes recv report the
 * datagram's real length, so a reply bigger than the buffer is an error, not silently cut.
 */
export function netlinkReceive(fd: number, buffer: Buffer): number {
  const length = checkRestarting(() => load().recv(fd, buffer, buffer.length, MSG_TRUNC), 'recv(netlink)');
  if (length > buffer.length) throw new RuntimeError(`recv(netlink): a ${length}-byte reply does not fit the ${buffer.length}-byte buffer`);
  return length;
}

/* ---- mounts (src/image/overlay.ts) ---------------------------------------------------
 * The image containers' overlayfs root. Node has no mount(2) at all. The new mount API
 * (fsopen(2), fsconfig(2), fsmount(2), move_mount(2); glibc 2.36 wraps them) passes each
 * overlay lowerdir as its own `lowerdir+` parameter (Linux 6.8+), so a 500-layer image is
 * not cut off by mount(2)'s one-page option string.
 */
const FSOPEN_CLOEXEC = 1;
const FSCONFIG_SET_STRING = 1;
const FSCONFIG_CMD_CREATE = 6;
const FSMOUNT_CLOEXEC = 1;
const MOVE_MOUNT_F_EMPTY_PATH = 4;
const AT_FDCWD = -100;
export const MNT_DETACH = 2;

/** An fs context fd (fsopen(2)): configure it with fsconfigString, then mount it with fsmountAt. */
export function fsopen(fsname: string): number {
  return check(load().fsopen(fsname, FSOPEN_CLOEXEC), `fsopen ${fsname}`);
}

/** fsconfig(FSCONFIG_SET_STRING): one mount parameter, e.g. "lowerdir+" = one layer's path. */
export function fsconfigString(fd: number, key: string, value: string, what: string): void {
  check(load().fsconfig(fd, FSCONFIG_SET_STRING, key, value, 0), `${what}: fsconfig ${key}=${value}`);
}

/** fsconfig(FSCONFIG_CMD_CREATE) + fsmount(2) + move_mount(2) of the new mount onto `target`. */
export function fsmountAt(fd: number, target: string, what: string): void {
  const c = load();
  check(c.fsconfig(fd, FSCONFIG_CMD_CREATE, null, null, 0), `${what}: fsconfig create`);
  const mountFd = check(c.fsmount(fd, FSMOUNT_CLOEXEC, 0), `${what}: fsmount`);
  try {
    check(c.move_mount(mountFd, '', AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH), `${what}: move_mount to ${target}`);
  } finally {
    c.close(mountFd);
  }
}

/** mount(2), the classic call: the fallback for kernels whose overlayfs lacks `lowerdir+`. */
export function mount(source: string, target: string, type: string, flags: number, data: string): void {
  check(load().mount(source, target, type, flags, data), `mount ${type} on ${target}`);
}

/** umount2(2); flags 0 or MNT_DETACH. */
export function umount2(target: string, flags: number): void {
  check(load().umount2(target, flags), `umount ${target}`);
}

/* ---- device nodes and extended attributes (src/image: unpack, tar-tree, commit) -------
 * Layers carry devices and xattrs, and an overlayfs upper layer marks deletions with 0/0
 * character devices and opaque directories with trusted.overlay.opaque. Node has neither
 * mknod nor any xattr call; the l* variants never follow a symlink.
 */

/** mknod(2): overlayfs whiteouts are character devices 0/0 (tests craft upper layers with it). */
export function mknod(path: string, mode: number, dev: number): void {
  check(load().mknod(path, mode, dev), `mknod ${path}`);
}

/** lgetxattr(2); undefined if the file has no such attribute (ENODATA). */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const c = load();
  const what = `lgetxattr ${path} ${name}`;
  const size = checkUnless(c.lgetxattr(path, name, null, 0), what, ['ENODATA', 'EOPNOTSUPP']);
  if (size === undefined) return undefined;
  const value = Buffer.alloc(size);
  const got = check(c.lgetxattr(path, name, value, size), what);
  return value.subarray(0, got);
}

/** llistxattr(2): the attribute names of a file (not of a symlink's target). */
export function llistxattr(path: string): string[] {
  const c = load();
  const size = checkUnless(c.llistxattr(path, null, 0), `llistxattr ${path}`, ['EOPNOTSUPP']);
  if (!size) return [];
  const list = Buffer.alloc(size);
  const got = check(c.llistxattr(path, list, size), `llistxattr ${path}`);
  return list.toString('utf8', 0, got).split('\0').filter(Boolean);
}

/** lsetxattr(2). */
export function lsetxattr(path: string, name: string, value: Buffer): void {
  check(load().lsetxattr(path, name, value, value.length, 0), `lsetxattr ${path} ${name}`);
}

/* ---- locks (src/sys/file-lock.ts) ---------------------------------------------------
 * flock(2): the kernel drops the lock when its holder dies, so a create or an image load
 * killed halfway never leaves a stale lock behind (a mkdir or O_EXCL lock would need
 * guessing whether its owner still lives). Node has no flock.
 */
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

/** flock(fd, LOCK_EX): waits (blocking this thread; the CLI has nothing else to do) for the lock. */
export function lockExclusive(fd: number, what: string): void {
  checkRestarting(() => load().flock(fd, LOCK_EX), `${what}: flock`);
}

/**
 * flock(fd, LOCK_EX | LOCK_NB): true if taken, false if another holder has it. For waits
 * that poll, so Node's event loop keeps running (two `image load`s of one image: the loser
 * waits for the winner to unpack the layer; a blocking flock would freeze a process that
 * holds the lock on another fd).
 */
export function tryLockExclusive(fd: number, what: string): boolean {
  return checkUnless(load().flock(fd, LOCK_EX | LOCK_NB), `${what}: flock`, ['EWOULDBLOCK', 'EAGAIN', 'EINTR']) !== undefined;
}

/** flock(fd, LOCK_UN); closing the fd would release it too. Without libc loaded, this process took no lock. */
export function unlock(fd: number): void {
  libc?.flock(fd, LOCK_UN);
}

/* ---- bpf (src/cgroups/devices.ts) ----------------------------------------------------
 * cgroup v2 has no devices.allow file: device access is a BPF_PROG_TYPE_CGROUP_DEVICE
 * program attached to the cgroup. bpf(2) has no libc wrapper: it is called through
 * syscall(2). Its number is per architecture (asm/unistd.h); its argument is union
 * bpf_attr, one struct per command (include/uapi/linux/bpf.h). The kernel accepts a larger
 * attr than it knows as long as the extra bytes are zero, so both structs are padded to
 * BPF_ATTR_SIZE.
 */
const SYS_BPF: Partial<Record<NodeJS.Architecture, number>> = { x64: 321, arm64: 280 };
const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_DETACH = 9;
const BPF_PROG_GET_FD_BY_ID = 13;
const BPF_PROG_QUERY = 16;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
/** another program attached to the same cgroup (systemd's, say) keeps running too: all must allow */
const BPF_F_ALLOW_MULTI = 2;
const BPF_ATTR_SIZE = 128;

function bpf(cmd: number, attrType: string, attr: unknown, what: string): number {
  const nr = SYS_BPF[process.arch];
  if (nr === undefined) throw new RuntimeError(`${what}: bpf(2): no syscall number known for ${process.arch}`);
  return check(load().syscall(nr, 'int', cmd, `${attrType} *`, attr, 'uint32', BPF_ATTR_SIZE), `${what}: bpf(2)`, {
    EPERM: 'needs CAP_SYS_ADMIN, or CAP_BPF and CAP_NET_ADMIN',
  });
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

/**
 * The fds of the device programs attached to a cgroup v2 directory itself (not inherited):
 * bpf(BPF_PROG_QUERY) for their ids, then bpf(BPF_PROG_GET_FD_BY_ID) for each. The ids are
 * read from the zero-filled array (an id is never 0), as koffi does not copy prog_cnt back.
 */
export function attachedCgroupDevicePrograms(cgroupFd: number, what: string): number[] {
  const ids = Buffer.alloc(64 * 4);
  bpf(BPF_PROG_QUERY, 'bpf_prog_query_attr', {
    target_fd: cgroupFd, attach_type: BPF_CGROUP_DEVICE, query_flags: 0, attach_flags: 0,
    prog_ids: ids, prog_cnt: 64, pad: new Array(BPF_ATTR_SIZE - 28).fill(0),
  }, `${what}: list the attached device filters`);
  const fds: number[] = [];
  for (let i = 0; i < 64 && ids.readUInt32LE(i * 4) !== 0; i++) {
    fds.push(bpf(BPF_PROG_GET_FD_BY_ID, 'bpf_get_fd_by_id_attr', {
      prog_id: ids.readUInt32LE(i * 4), next_id: 0, open_flags: 0, pad: new Array(BPF_ATTR_SIZE - 12).fill(0),
    }, `${what}: open device filter ${ids.readUInt32LE(i * 4)}`));
  }
  return fds;
}

/** bpf(BPF_PROG_DETACH) of one device program from a cgroup v2 directory. */
export function detachCgroupDeviceProgram(cgroupFd: number, programFd: number, what: string): void {
  bpf(BPF_PROG_DETACH, 'bpf_prog_attach_attr', {
    target_fd: cgroupFd, attach_bpf_fd: programFd, attach_type: BPF_CGROUP_DEVICE, attach_flags: 0,
    pad: new Array(BPF_ATTR_SIZE - 16).fill(0),
  }, what);
}

/** bpf(BPF_PROG_ATTACH) of a device program to a cgroup v2 directory opened O_RDONLY. */
export function attachCgroupDeviceProgram(cgroupFd: number, programFd: number, what: string): void {
  bpf(BPF_PROG_ATTACH, 'bpf_prog_attach_attr', {
    target_fd: cgroupFd, attach_bpf_fd: programFd, attach_type: BPF_CGROUP_DEVICE, attach_flags: BPF_F_ALLOW_MULTI,
    pad: new Array(BPF_ATTR_SIZE - 16).fill(0),
  }, what);
}

/* ---- openat2(2): paths resolved inside a directory tree (src/engine/cp/) -----------------
 * Node's fs has no openat and no dirfds. `container cp` must resolve every path of a
 * container as if its rootfs were "/": an absolute symlink restarts at the rootfs, ".."
 * stops there, and nothing leads out, even while the container (a running one, possibly
 * hostile) changes its tree meanwhile. openat2's RESOLVE_IN_ROOT does exactly that in the
 * kernel (openat2(2), Linux 5.6). The fd it returns is then used through the
 * /proc/self/fd/N magic link with no-follow calls (lstat, O_NOFOLLOW, lchown).
 * The syscall number is 437 on every architecture (the unified table of asm-generic). */
const SYS_OPENAT2 = 437;
export const RESOLVE_NO_XDEV = 0x01;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;
/** open(2) flags Node's fs.constants lacks (asm-generic/fcntl.h; same values on x86_64 and arm64) */
export const O_PATH = 0o10000000;
export const O_CLOEXEC = 0o2000000;

/** openat2(dirfd, path, {flags, mode, resolve}); returns the new fd. */
export function openat2(dirfd: number, path: string, flags: number, resolve: number, what: string, mode = 0): number {
  const how = Buffer.alloc(24); // struct open_how { u64 flags; u64 mode; u64 resolve; }
  how.writeBigUInt64LE(BigInt(flags | O_CLOEXEC), 0);
  how.writeBigUInt64LE(BigInt(mode), 8);
  how.writeBigUInt64LE(BigInt(resolve), 16);
  return check(load().syscall(SYS_OPENAT2, 'int', dirfd, 'const char *', path, 'void *', how, 'size_t', how.length), `${what}: openat2 ${path}`, {
    EXDEV: 'a path would leave the container\'s root',
    ELOOP: 'too many symbolic links, or a link where none may be',
  });
}
