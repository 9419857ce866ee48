/**
 * The network side of a container's birth as explained lines: the link operations
 * (src/network/attach.ts LinkOp, the very list `create` applies) and the nftables rules
 * (src/network/nftables.ts, the very scripts `create` hands to `nft -f -`).
 */
import type { LinkOp } from '../network/attach.js';
import type { Explanation } from './step-calls.js';

export function explainLinkOp(op: LinkOp): Explanation & { what: string } {
  const nl = (message: string) => `sendmsg(NETLINK_ROUTE, ${message})`;
  switch (op.op) {
    case 'create-bridge':
      return { what: `create bridge ${op.name}`, syscalls: [nl(`RTM_NEWLINK {IFLA_IFNAME ${JSON.stringify(op.name)}, IFLA_LINKINFO {IFLA_INFO_KIND "bridge"}}, NLM_F_CREATE|NLM_F_EXCL`)],
        man: 'rtnetlink(7), ip-link(8)', why: 'a virtual switch on the host that every container of the network plugs into' };
    case 'create-veth':
      return { what: `create veth pair ${op.name} <-> ${op.peer}, the peer in the container's netns`,
        syscalls: [nl(`RTM_NEWLINK {IFLA_IFNAME ${JSON.stringify(op.name)}, IFLA_LINKINFO {kind "veth", VETH_INFO_PEER {IFLA_NET_NS_PID <pid>, IFLA_IFNAME ${JSON.stringify(op.peer)}}}}`)],
        man: 'veth(4), rtnetlink(7)', why: 'a virtual cable: the peer is born inside the container\'s network namespace, so it never appears on the host' };
    case 'set-master':
      return { what: `plug ${op.ifname} into ${op.bridge}`, syscalls: [nl(`RTM_NEWLINK {IFLA_IFNAME ${JSON.stringify(op.ifname)}, IFLA_MASTER <index of ${op.bridge}>}`)],
        man: 'rtnetlink(7), ip-link(8)', why: 'the host end of the cable becomes a port of the bridge' };
    case 'hairpin':
      return { what: `hairpin on ${op.ifname}`, syscalls: [nl(`RTM_SETLINK AF_BRIDGE {IFLA_PROTINFO {IFLA_BRPORT_MODE 1}} on ${op.ifname}`)],
        man: 'bridge(8)', why: 'lets a container reach its own published port: the DNATed packet goes back out of the port it came in by' };
    case 'rename':
      return { what: `rename ${op.from} to ${op.to} (in the container)`, syscalls: [nl(`RTM_NEWLINK {ifi_index <index of ${op.from}>, IFLA_IFNAME ${JSON.stringify(op.to)}}`)],
        man: 'rtnetlink(7)', why: 'inside its own namespace every container\'s interface can be eth0 without clashing' };
    case 'add-address':
      return { what: `address ${op.cidr} on ${op.ifname} (${op.side})`, syscalls: [nl(`RTM_NEWADDR {IFA_LOCAL ${op.cidr.split('/')[0]}, prefixlen ${op.cidr.split('/')[1]}} dev ${op.ifname}`)],
        man: 'rtnetlink(7), ip-address(8)', why: op.side === 'host' ? 'the bridge\'s address is the containers\' gateway' : 'the container\'s address on the network (the kernel adds the subnet\'s route with it)' };
    case 'link-up':
      return { what: `${op.ifname} up (${op.side})`, syscalls: [nl(`RTM_NEWLINK {IFLA_IFNAME ${JSON.stringify(op.ifname)}, ifi_flags IFF_UP, ifi_change IFF_UP}`)],
        man: 'rtnetlink(7), netdevice(7)', why: op.ifname === 'lo' ? 'a new network namespace starts with only lo, and down (network_namespaces(7))' : 'an interface passes no packets until it is up' };
    case 'default-route':
      return { what: `default route via ${op.gateway} dev ${op.ifname} (container)`, syscalls: [nl(`RTM_NEWROUTE {RTA_GATEWAY ${op.gateway}, RTA_OIF <index of ${op.ifname}>}, table main`)],
        man: 'rtnetlink(7), ip-route(8)', why: 'everything not on the subnet goes to the bridge, where the host routes and NATs it' };
    case 'sysctl':
      return { what: `sysctl ${op.key.replaceAll('/', '.')}=${op.value}`, syscalls: [`write("/proc/sys/${op.key}", ${JSON.stringify(op.value)})`],
        man: 'proc(5)', why: op.key.endsWith('ip_forward')
          ? 'the host must route between the bridge and its other interfaces (in ts-runc\'s own network namespace)'
          : '127.0.0.1:PORT DNATed to a container leaves by the bridge with source 127.0.0.1, which the kernel drops as martian without it' };
    default: {
      const never: never = op;
      throw new TypeError(`unknown link op ${JSON.stringify(never)}`);
    }
  }
}

/** Why each kind of nftables command is there (nftables.ts explains the chains at length). */
export function explainNftLine(line: string): Explanation & { what: string } {
  const syscalls = [`nft -f - <<< '${line}'`, 'sendmsg(NETLINK_NETFILTER, NFT_MSG_NEW…) in one transaction'];
  const man = 'nft(8)';
  const why = line.startsWith('add table') ? 'ts-runc\'s own table: it never touches anyone else\'s rules'
    : line.startsWith('add set') ? 'the set of ts-runc bridges, for the isolation rule'
    : line.includes(' prerouting {') ? 'the NAT hook for packets arriving from outside'
    : line.includes(' output {') ? 'the NAT hook for the host\'s own packets (curl 127.0.0.1:PORT)'
    : line.includes(' postrouting {') ? 'the source-NAT hook, where masquerading happens'
    : line.includes(' forward {') ? 'the filter hook for packets routed between interfaces'
    : line.startsWith('add chain') ? 'the chain the published ports\' DNAT rules go in'
    : line.startsWith('flush chain') ? 'the hook chains are refilled, so adding them twice is harmless'
    : line.includes('jump ports') ? 'packets for one of the host\'s own addresses are checked against the published ports'
    : line.startsWith('add element') ? 'this network\'s bridge joins the set'
    : line.includes('oifname != ') && line.includes('masquerade') ? 'containers reach the outside with the host\'s address (source NAT)'
    : line.includes('127.0.0.0/8') ? 'traffic from the host\'s 127.0.0.1 to a published port gets the gateway as source, so the container can answer it'
    : line.includes('ct status dnat') ? 'hairpin: a container using a published port of a peer on the same bridge gets answers through the host'
    : line.includes(' drop ') ? 'isolation: nothing goes from this network\'s bridge to another ts-runc bridge'
    : line.includes('dnat to') ? 'the published port: connections to the host port go to the container'
    : 'part of ts-runc\'s nftables table';
  return { what: line.replace(/^add /, '').replace(/ comment "[^"]*"$/, ''), syscalls, man, why };
}
