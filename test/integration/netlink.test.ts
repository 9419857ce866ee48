/**
 * The netlink library against the real kernel, as root, inside namespaces each test makes
 * (test/integration/netns.ts): the host's own links and routes are never touched. The
 * library runs in a small node script started under `nsenter --net=…`, and `ip -j` checks
 * what it did.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, haveFixture, isRoot, sandbox, type Sandbox } from './helpers.js';
import { makeNetns, type Netns } from './netns.js';

const suite = isRoot && haveFixture ? describe : describe.skip;
const DIST = join(REPO, 'dist/network');
const NODE = process.execPath;

/**
 * Run `code` (an ES module body) in the network namespace `ns`, with the library imported
 * as L (links), A (addresses), R (routes), nl an open socket; what it prints as JSON comes back.
 */
function library(ns: Netns, code: string): unknown {
  const script = `
    import { Netlink } from '${DIST}/netlink/socket.js';
    import * as L from '${DIST}/links.js';
    import * as A from '${DIST}/addresses.js';
    import * as R from '${DIST}/routes.js';
    import { openSync } from 'node:fs';
    const nl = Netlink.open();
    const out = await (async () => { ${code} })();
    nl.close();
    console.log(JSON.stringify(out ?? null));`;
  const stdout = ns.run(NODE, ['--input-type=module', '-e', script]);
  return JSON.parse(stdout);
}

/** ip -j output, narrowed to what the tests read */
interface IpLink { ifname: string; mtu: number; address: string; flags: string[]; master?: string; link_index?: number }
interface IpAddr { ifname: string; addr_info: { family: string; local: string; prefixlen: number }[] }
interface IpRoute { dst: string; gateway?: string; dev: string }

/** A process sitting in `ns`, for IFLA_NET_NS_PID; waits until nsenter has switched it. */
async function holder(ns: Netns): Promise<number> {
  const child = ns.spawn('sleep', ['60']);
  const want = statSync(ns.path).ino;
  for (let i = 0; i < 100; i++) {
    try {
      if (statSync(`/proc/${child.pid}/ns/net`).ino === want) return child.pid!;
    } catch { /* not there yet */ }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`sleep in ${ns.name} never entered it`);
}

suite('netlink from TypeScript: links, addresses, routes', () => {
  let host: Netns;
  let ctr: Netns;
  beforeEach(() => {
    host = makeNetns('tsr-nl-host');
    ctr = makeNetns('tsr-nl-ctr');
  });
  afterEach(() => {
    ctr.remove();
    host.remove();
  });

  it('sets up a container link: bridge, veth peer born in the other netns by pid, rename, MAC, MTU, master, up, address, default route', async () => {
    const pid = await holder(ctr);
    library(host, `
      L.setLinkUp(nl, 'lo');
      L.createBridge(nl, 'tsr0', { mtu: 1400 });
      L.createVethPair(nl, 'vh1', { name: 'tmp0', netnsPid: ${pid}, mtu: 1400 });
      L.setMaster(nl, 'vh1', 'tsr0');
      L.setLinkUp(nl, 'vh1');
      L.setLinkUp(nl, 'tsr0');
      A.addAddress(nl, 'tsr0', '10.89.0.1/24');`);
    library(ctr, `
      L.setLinkUp(nl, 'lo');
      L.renameLink(nl, 'tmp0', 'eth0');
      L.setMac(nl, 'eth0', '02:42:0a:59:00:02');
      L.setMtu(nl, 'eth0', 1300);
      L.setLinkUp(nl, 'eth0');
      A.addAddress(nl, 'eth0', '10.89.0.2/24');
      A.addAddress(nl, 'eth0', 'fd89::2/64');
      R.addRoute(nl, { gateway: '10.89.0.1', ifname: 'eth0' });
      R.addRoute(nl, { dst: '10.99.0.0/16', ifname: 'eth0' });`);

    // the host side
    const [bridge] = host.ip(['link', 'show', 'tsr0']) as IpLink[];
    const [vh1] = host.ip(['link', 'show', 'vh1']) as IpLink[];
    expect(bridge.mtu).toBe(1400);
    expect(bridge.flags).toContain('UP');
    expect(vh1.master).toBe('tsr0');
    expect(vh1.flags).toContain('UP');
    expect((host.ip(['addr', 'show', 'tsr0']) as IpAddr[])[0].addr_info).toContainEqual(expect.objectContaining({ local: '10.89.0.1', prefixlen: 24 }));
    // the peer never appeared on the host side
    expect((host.ip(['link']) as IpLink[]).map((l) => l.ifname).sort()).toEqual(['lo', 'tsr0', 'vh1']);

    // the container side
    const [eth0] = ctr.ip(['link', 'show', 'eth0']) as IpLink[];
    expect(eth0).toMatchObject({ ifname: 'eth0', mtu: 1300, address: '02:42:0a:59:00:02' });
    expect(eth0.flags).toContain('UP');
    const addrs = (ctr.ip(['addr', 'show', 'eth0']) as IpAddr[])[0].addr_info;
    expect(addrs).toContainEqual(expect.objectContaining({ family: 'inet', local: '10.89.0.2', prefixlen: 24 }));
    expect(addrs).toContainEqual(expect.objectContaining({ family: 'inet6', local: 'fd89::2', prefixlen: 64 }));
    const routes = ctr.ip(['route']) as IpRoute[];
    expect(routes).toContainEqual(expect.objectContaining({ dst: 'default', gateway: '10.89.0.1', dev: 'eth0' }));
    expect(routes).toContainEqual(expect.objectContaining({ dst: '10.99.0.0/16', dev: 'eth0' }));

    // it carries traffic, inside the two namespaces only
    expect(ctr.exec('busybox', ['ping', '-c', '1', '-W', '2', '10.89.0.1']).status).toBe(0);

    // and the library reads back what ip sees
    const seen = library(ctr, `return { links: L.listLinks(nl), addrs: A.listAddresses(nl, 'eth0'), routes: R.listRoutes(nl), lo: L.getLink(nl, 'lo') };`) as {
      links: { name: string; mtu: number; mac: string; up: boolean; kind?: string }[];
      addrs: { ifname: string; cidr: string }[];
      routes: { dst: string; gateway?: string; ifname: string }[];
      lo: { up: boolean };
    };
    expect(seen.links.find((l) => l.name === 'eth0')).toMatchObject({ mtu: 1300, mac: '02:42:0a:59:00:02', up: true, kind: 'veth' });
    expect(seen.lo.up).toBe(true);
    expect(seen.addrs.map((a) => a.cidr)).toEqual(expect.arrayContaining(['10.89.0.2/24', 'fd89::2/64']));
    expect(seen.routes).toContainEqual({ dst: 'default', gateway: '10.89.0.1', ifname: 'eth0' });
    expect(seen.routes).toContainEqual({ dst: '10.89.0.0/24', ifname: 'eth0' });
  });

  it('creates the veth peer in a namespace given by an open fd of /run/netns/NAME, with its MAC', () => {
    library(host, `
      const fd = openSync('${ctr.path}', 'r');
      L.createVethPair(nl, 'vh2', { name: 'eth0', netnsFd: fd, mac: '02:42:0a:59:00:09' });`);
    expect((ctr.ip(['link', 'show', 'eth0']) as IpLink[])[0].address).toBe('02:42:0a:59:00:09');
    expect(spawnSync('ip', ['-n', host.name, 'link', 'show', 'eth0']).status).not.toBe(0);
    // deleting one end removes both
    library(host, `L.deleteLink(nl, 'vh2');`);
    expect((ctr.ip(['link']) as IpLink[]).map((l) => l.ifname)).toEqual(['lo']);
  });

  it('reports what the kernel refused: the request, errno and the kernel\'s extended ack text', () => {
    const errors = library(host, `
      const attempt = (f) => { try { f(); return 'no error'; } catch (e) { return e.message; } };
      L.createBridge(nl, 'tsr0');
      A.addAddress(nl, 'tsr0', '10.89.0.1/24');
      return [
        attempt(() => L.createBridge(nl, 'tsr0')),
        attempt(() => A.addAddress(nl, 'tsr0', '10.89.0.1/24')),
        attempt(() => R.addRoute(nl, { gateway: '10.200.0.1', ifname: 'tsr0' })),
        attempt(() => A.addAddress(nl, 'tsr0', '10.89.0.1/40')),
        attempt(() => L.setMaster(nl, 'lo', 'nosuch')),
        attempt(() => L.deleteLink(nl, 'nosuch')),
        attempt(() => L.deleteLink(nl, 'nosuch', { mustExist: true })),
      ];`) as string[];
    expect(errors[0]).toBe('RTM_NEWLINK bridge tsr0: EEXIST');
    expect(errors[1]).toBe('RTM_NEWADDR 10.89.0.1/24 dev tsr0: EEXIST (ipv4: Address already assigned)');
    expect(errors[2]).toBe('RTM_NEWROUTE default via 10.200.0.1 dev tsr0: ENETUNREACH (Nexthop has invalid gateway)');
    expect(errors[3]).toBe('"10.89.0.1/40": the prefix length is more than 32');
    expect(errors[4]).toBe('RTM_GETLINK nosuch: ENODEV (no such interface)');
    expect(errors[5]).toBe('no error');
    expect(errors[6]).toBe('RTM_DELLINK nosuch: ENODEV');
    // nothing half-made: the one bridge, its one address
    expect((host.ip(['link']) as IpLink[]).map((l) => l.ifname).sort()).toEqual(['lo', 'tsr0']);
    expect((host.ip(['-4', 'addr', 'show', 'tsr0']) as IpAddr[])[0].addr_info).toHaveLength(1);
  });
});

suite('every new network namespace gets lo up, through the init\'s netlink socket', () => {
  let box: Sandbox;
  beforeEach(() => { box = sandbox(); });
  afterEach(() => box.cleanup());

  const loFlags = (pid: number) => {
    const r = spawnSync('nsenter', ['-t', String(pid), '-n', 'ip', '-j', 'link', 'show', 'lo'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return (JSON.parse(r.stdout) as IpLink[])[0].flags;
  };

  it('a created container has lo UP in its own netns and only lo', () => {
    expect(box.run(['create', '-b', box.bundle(['sleep', '30']), 'lo1']).status).toBe(0);
    const pid = JSON.parse(box.run(['state', 'lo1']).stdout).pid as number;
    expect(statSync(`/proc/${pid}/ns/net`).ino).not.toBe(statSync('/proc/self/ns/net').ino);
    expect(loFlags(pid)).toContain('UP');
    const r = spawnSync('nsenter', ['-t', String(pid), '-n', 'ip', '-j', 'link'], { encoding: 'utf8' });
    expect((JSON.parse(r.stdout) as IpLink[]).map((l) => l.ifname)).toEqual(['lo']);
    // the netlink socket the init opened in there was not left to the container process
    const targets = readdirSync(`/proc/${pid}/fd`).map((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`));
    const sockets = targets.map((target) => /^socket:\[(\d+)\]$/.exec(target)?.[1]).filter(Boolean);
    const netlinkInodes = readFileSync(`/proc/${pid}/net/netlink`, 'utf8').trim().split('\n').slice(1).map((line) => line.trim().split(/\s+/).at(-1));
    // the barrier's FIFOs, so the listing below looks at the fds the init does hold
    expect(targets.some((target) => target.endsWith('/start.fifo'))).toBe(true);
    expect(sockets.filter((inode) => netlinkInodes.includes(inode))).toEqual([]);
    expect(box.run(['delete', '-f', 'lo1']).status).toBe(0);
  });

  it('works in a new user namespace too (the socket carries the container root\'s rights over its netns)', () => {
    const bundle = box.bundle(['sleep', '30'], (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      s.mounts = s.mounts!.filter((m) => m.destination !== '/sys/fs/cgroup');
    });
    const r = box.run(['create', '-b', bundle, 'lo2']);
    expect(r.stderr).toBe('');
    const pid = JSON.parse(box.run(['state', 'lo2']).stdout).pid as number;
    expect(loFlags(pid)).toContain('UP');
    expect(box.run(['delete', '-f', 'lo2']).status).toBe(0);
  });
});
