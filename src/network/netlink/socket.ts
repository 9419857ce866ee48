/**
 * A NETLINK_ROUTE socket and the request/reply exchange on it (netlink(7), rtnetlink(7)).
 *
 * Every request asks for an acknowledgement (NLM_F_ACK) and carries a fresh sequence
 * number; we read replies until the kernel's NLMSG_ERROR for that number (error 0 is the
 * ack) or, for a dump, NLMSG_DONE. Replies to an older sequence number (left over from a
 * request that threw) are skipped. A dump that a concurrent change interrupted
 * (NLM_F_DUMP_INTR) is asked again. The calls block, but only for the kernel's answer.
 *
 * The socket works in the network namespace it was created in, whoever uses it later:
 * `Netlink.open()` is in ours; `Netlink.fromFd()` takes one the C init opened inside a
 * container's new namespace (Node itself never calls setns(2)).
 */
import { RuntimeError, errnoName } from '../../errors.js';
import { closeFd, configureNetlinkSocket, netlinkReceive, netlinkSend, openNetlinkSocket } from '../../sys/libc.js';
import { NETLINK_ROUTE, NLMSGERR_ATTR_MSG, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN, NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_DUMP_INTR,
  NLM_F_REQUEST } from './constants.js';
import { encodeMessage, parseAttrs, parseError, parseMessages, readString } from './message.js';

const EINTR = 4;
const DUMP_ATTEMPTS = 5;

/** A request the kernel refused: the request's description, the errno name and the kernel's own words. */
export class NetlinkError extends RuntimeError {
  readonly errno: number;
  readonly extack?: string;

  constructor(what: string, errno: number, extack?: string) {
    super(`${what}: ${errnoName(errno)}${extack ? ` (${extack})` : ''}`, { code: errnoName(errno) });
    this.name = 'NetlinkError';
    this.errno = errno;
    this.extack = extack;
  }
}

/** Dumps come in datagrams of up to 32 KiB (the kernel sizes them to the reader's buffer). */
const RECEIVE_BUFFER = 64 * 1024;

export class Netlink {
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private readonly buffer = Buffer.alloc(RECEIVE_BUFFER);
  private fd: number;

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** A NETLINK_ROUTE socket in our own network namespace. */
  static open(): Netlink {
    return new Netlink(openNetlinkSocket(NETLINK_ROUTE));
  }

  /** A NETLINK_ROUTE socket made elsewhere (the init, inside a container's netns); we own it now. */
  static fromFd(fd: number): Netlink {
    configureNetlinkSocket(fd);
    return new Netlink(fd);
  }

  /**
   * Send one request (NLM_F_REQUEST|NLM_F_ACK are added to `flags`) and return the payload
   * of each reply (after its 16-byte header): none for most changes, one per object for a
   * dump. `what` names the request in errors: "RTM_NEWLINK bridge tsr0".
   */
  request(type: number, flags: number, body: Buffer, what: string): Buffer[] {
    if (this.fd < 0) throw new RuntimeError(`${what}: the netlink socket is closed`);
    // A dump that another process's change interrupted (NLM_F_DUMP_INTR) may be
    // inconsistent: ask again, as iproute2 does. Parallel creates make this happen.
    for (let attempt = 1; ; attempt++) {
      const replies = this.exchange(type, flags, body, what);
      if (!replies.interrupted) return replies.payloads;
      if (attempt === DUMP_ATTEMPTS) throw new NetlinkError(`${what} (dump interrupted by concurrent changes ${attempt} times)`, EINTR);
    }
  }

  private exchange(type: number, flags: number, body: Buffer, what: string): Replies {
    this.seq = (this.seq + 1) >>> 0;
    netlinkSend(this.fd, encodeMessage(type, flags | NLM_F_REQUEST | NLM_F_ACK, this.seq, body));
    const replies = new Replies(this.seq, what);
    for (;;) {
      const length = netlinkReceive(this.fd, this.buffer);
      if (length === 0) throw new RuntimeError(`${what}: the netlink socket returned no data`);
      if (replies.take(this.buffer.subarray(0, length))) return replies;
    }
  }

  close(): void {
    if (this.fd >= 0) closeFd(this.fd);
    this.fd = -1;
  }
}

/**
 * The replies to one request, gathered from successive datagrams (pure: the unit tests
 * feed it crafted bytes). take() returns true once the request is answered: an ack
 * (NLMSG_ERROR with error 0) or, for a dump, NLMSG_DONE. A refusal throws NetlinkError.
 */
export class Replies {
  /** each reply's payload (after its 16-byte header), copied out of the receive buffer */
  readonly payloads: Buffer[] = [];
  /** NLM_F_DUMP_INTR was seen: the table changed during the dump */
  interrupted = false;

  constructor(private readonly seq: number, private readonly what: string) {}

  take(datagram: Buffer): boolean {
    for (const message of parseMessages(datagram)) {
      // Left over from an earlier request that threw before reading all its replies.
      if (message.seq !== this.seq) continue;
      if (message.flags & NLM_F_DUMP_INTR) this.interrupted = true;
      switch (message.type) {
        case NLMSG_ERROR: {
          const { errno, extack } = parseError(message);
          if (errno !== 0) throw new NetlinkError(this.what, errno, extack);
          return true;
        }
        case NLMSG_DONE: {
          // A dump ends here (the kernel sends no ack after a dump); its payload is an error code.
          const status = message.payload.length >= 4 ? message.payload.readInt32LE(0) : 0;
          if (status < 0) throw new NetlinkError(this.what, -status, message.flags & NLM_F_ACK_TLVS ? parseDoneExtack(message.payload) : undefined);
          return true;
        }
        case NLMSG_NOOP:
          break;
        case NLMSG_OVERRUN:
          throw new RuntimeError(`${this.what}: netlink overrun (replies were lost)`);
        default:
          this.payloads.push(Buffer.from(message.payload));
      }
    }
    return false;
  }
}

/** An NLMSG_DONE that ends a failed dump: error:i32, then extack attributes. */
function parseDoneExtack(payload: Buffer): string | undefined {
  return readString(parseAttrs(payload.subarray(4)).get(NLMSGERR_ATTR_MSG));
}
