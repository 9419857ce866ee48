/**
 * A netlink socket inside a running container's network namespace, for `network connect`:
 * made by build/ts-runc-netns-socket (native/netns-socket/main.c), which setns(2)s into
 * /proc/<pid>/ns/net, opens the socket and hands it back over a socketpair (SCM_RIGHTS).
 * Node never setns(2)s itself: it is multithreaded (README, Architecture).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import { RuntimeError, errorMessage } from '../errors.js';
import { closeFd, receiveFd, unixSocketPair } from '../sys/libc.js';
import { Netlink } from './netlink/socket.js';

export function netnsSocketBinary(): string {
  return process.env.TSRUNC_NETNS_SOCKET || fileURLToPath(new URL('../../build/ts-runc-netns-socket', import.meta.url));
}

/**
 * The network namespace of `pid`, opened once (an fd), so that every later step (the
 * helper's setns, the veth's move with IFLA_NET_NS_FD) acts on the same namespace even if
 * the pid exits and is reused meanwhile; never our own (the host's) namespace, which a
 * recycled pid of a host process would give. The caller closes it.
 */
export function openNetnsOf(pid: number): number {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/ns/net`, 'r');
  } catch (error) {
    throw new RuntimeError(`the network namespace of pid ${pid}: ${errorMessage(error)} (did the container stop?)`, { cause: error });
  }
  if (fstatSync(fd).ino === statSync('/proc/self/ns/net').ino) {
    closeSync(fd);
    throw new RuntimeError(`pid ${pid} is in the host's network namespace (not a container with a network of its own, or it exited and its pid was reused)`);
  }
  return fd;
}

/** A netlink socket in the namespace `netnsFd` (from openNetnsOf). */
export function netlinkInNetns(netnsFd: number, pid: number): Netlink {
  const [ours, theirs] = unixSocketPair();
  try {
    let helper;
    try {
      helper = spawnSync(netnsSocketBinary(), ['/proc/self/fd/4'], { stdio: ['ignore', 'ignore', 'pipe', theirs, netnsFd], encoding: 'utf8', timeout: 10_000 });
    } finally {
      closeFd(theirs); // the socket it sent is queued on ours
    }
    if (helper.status !== 0) {
      throw new RuntimeError(`the network namespace of pid ${pid}: ${(helper.stderr || helper.error?.message || `exit ${helper.status}`).trim()}`);
    }
    return Netlink.fromFd(receiveFd(ours, `netlink socket of pid ${pid}`));
  } finally {
    closeFd(ours);
  }
}
