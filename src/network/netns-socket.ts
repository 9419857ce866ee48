/**
 * A netlink socket inside a running container's network namespace, for `network connect`:
 * made by build/ts-runc-netns-socket (native/netns-socket/main.c), which setns(2)s into
 * /proc/<pid>/ns/net, opens the socket and hands it back over a socketpair (SCM_RIGHTS).
 * Node never setns(2)s itself: it is multithreaded (README, Architecture).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RuntimeError } from '../errors.js';
import { closeFd, receiveFd, unixSocketPair } from '../sys/libc.js';
import { Netlink } from './netlink/socket.js';

export function netnsSocketBinary(): string {
  return process.env.TSRUNC_NETNS_SOCKET || fileURLToPath(new URL('../../build/ts-runc-netns-socket', import.meta.url));
}

export function netlinkInNetnsOf(pid: number): Netlink {
  const [ours, theirs] = unixSocketPair();
  try {
    let helper;
    try {
      helper = spawnSync(netnsSocketBinary(), [`/proc/${pid}/ns/net`], { stdio: ['ignore', 'ignore', 'pipe', theirs], encoding: 'utf8', timeout: 10_000 });
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
