/**
 * The rtnetlink numbers ts-runc uses, copied from the kernel's uapi headers (the file each
 * group comes from is named above it). Only what the code sends or reads is listed.
 * They were checked against the headers of linux-libc-dev by a C program printing them.
 */

// include/uapi/linux/netlink.h
export const NETLINK_ROUTE = 0;
export const NLMSG_HDRLEN = 16;
/** nlmsghdr.nlmsg_type values every family shares */
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;
/** nlmsghdr.nlmsg_flags */
export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_DUMP_INTR = 0x10;
/** for GET requests */
export const NLM_F_DUMP = 0x300;
/** for NEW requests */
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
/** in an NLMSG_ERROR: the request was not echoed back in full / extack attributes follow */
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;
/** attributes of an extended ack (enum nlmsgerr_attrs) */
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;
/** rtattr.rta_type bits that are flags, not the type */
export const NLA_F_NESTED = 0x8000;
export const NLA_TYPE_MASK = 0x3fff;

// include/linux/socket.h
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;
/** PF_BRIDGE: RTM_SETLINK of this family goes to the bridge a port belongs to */
export const AF_BRIDGE = 7;

// include/uapi/linux/rtnetlink.h: message types
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;

// include/uapi/linux/if_link.h: attributes of a link (after struct ifinfomsg)
export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_MASTER = 10;
export const IFLA_PROTINFO = 12;
export const IFLA_LINKINFO = 18;
export const IFLA_NET_NS_PID = 19;
export const IFLA_NET_NS_FD = 28;
/** nested in IFLA_LINKINFO */
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;

// include/uapi/linux/if_link.h: a bridge port's settings, nested in IFLA_PROTINFO (AF_BRIDGE)
export const IFLA_BRPORT_MODE = 4;

// include/uapi/linux/veth.h: nested in IFLA_INFO_DATA of a "veth"
export const VETH_INFO_PEER = 1;

// include/uapi/linux/if.h
export const IFF_UP = 0x1;

// include/uapi/linux/if_addr.h: attributes of an address (after struct ifaddrmsg)
export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;

// include/uapi/linux/rtnetlink.h: attributes of a route (after struct rtmsg) and its fields
export const RTA_DST = 1;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_TABLE = 15;
export const RT_TABLE_MAIN = 254;
export const RTPROT_BOOT = 3;
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RTN_UNICAST = 1;
