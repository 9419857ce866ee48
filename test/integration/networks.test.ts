/**
 * Networks end to end, as root: bridges, veths, leases, hosts files, NAT and published ports.
 *
 * Every test makes its own network namespace to play "the host" and runs ts-runc inside it
 * (`nsenter --net=<ns> bin/ts-runc …`), so the machine's links, routes, sysctls and
 * nftables are never touched; a second namespace, "the outside", is wired to it by a veth
 * with TEST-NET-1 addresses (192.0.2.0/24, RFC 5737: never routed anywhere).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Spec } from '../../src/spec/schema.js';
import { FIXTURE_ROOTFS, TS_RUNC, cgroupDirsFor, haveFixture, isRoot, sandbox, type Result, type Sandbox } from './helpers.js';
import { makeNetns, type Netns } from './netns.js';

const haveNft = spawnSync('nft', ['--version']).status === 0;
const suite = isRoot && haveFixture && haveNft ? describe : describe.skip;
const BUSYBOX = join(FIXTURE_ROOTFS, 'bin/busybox');
const HOST_ADDR = '192.0.2.1';
/** busybox wget crashes (SIGSEGV) on its own -T timeout; coreutils/busybox `timeout` bounds it instead. */
const fetch = (url: string) => ['timeout', '3', BUSYBOX, 'wget', '-qO-', url];
const OUTSIDE_ADDR = '192.0.2.2';

/** ping needs a raw socket: CAP_NET_RAW on top of the default three. */
function withNetRaw(spec: Spec): void {
  const caps = spec.process!.capabilities!;
  for (const set of [caps.bounding, caps.effective, caps.permitted]) set?.push('CAP_NET_RAW');
}

interface NetBox {
  box: Sandbox;
  host: Netns;
  outside: Netns;
  /** ts-runc … inside the host netns */
  run(args: string[]): Result;
  /** many ts-runc calls at once, inside the host netns */
  runAll(argsList: string[][]): Promise<Result[]>;
  bundle(args: string[], edit?: (spec: Spec) => void): string;
  /** `ip -j link` of the host netns: names */
  hostLinks(): string[];
  /** comments of the rules in table ip ts-runc of the host netns */
  nftComments(): string[];
  cleanup(): void;
}

/** rmdir the cgroups of a container whose state is gone, once its killed processes have left them. */
function removeCgroupsOf(box: Sandbox, id: string): void {
  const dirs = cgroupDirsFor(box.cgroupLeaf(id)).sort((a, b) => b.length - a.length);
  for (const dir of dirs) {
    for (let i = 0; i < 100; i++) {
      try {
        rmdirSync(dir);
        break;
      } catch {
        spawnSync('sleep', ['0.05']); // EBUSY until the killed process has exited
      }
    }
  }
  expect(cgroupDirsFor(box.cgroupLeaf(id))).toEqual([]);
}

function netBox(): NetBox {
  const box = sandbox();
  const host = makeNetns('tsr-host');
  const outside = makeNetns('tsr-out');
  host.run('ip', ['link', 'set', 'lo', 'up']);
  outside.run('ip', ['link', 'set', 'lo', 'up']);
  host.run('ip', ['link', 'add', 'vh', 'type', 'veth', 'peer', 'name', 'vo', 'netns', outside.name]);
  host.run('ip', ['addr', 'add', `${HOST_ADDR}/24`, 'dev', 'vh']);
  host.run('ip', ['link', 'set', 'vh', 'up']);
  outside.run('ip', ['addr', 'add', `${OUTSIDE_ADDR}/24`, 'dev', 'vo']);
  outside.run('ip', ['link', 'set', 'vo', 'up']);
  const argv = (args: string[]) => [`--net=${host.path}`, '--', TS_RUNC, '--root', box.root, '--storage', box.storage, ...args];
  let calls = 0;
  const nb: NetBox = {
    box,
    host,
    outside,
    run(args) {
      // Output to files, not pipes: a detached container inherits them (helpers.ts says why).
      const out = join(box.dir, 'net-stdout');
      const err = join(box.dir, 'net-stderr');
      const fds = [openSync(out, 'w'), openSync(err, 'w')];
      try {
        const r = spawnSync('nsenter', argv(args), { stdio: ['ignore', fds[0]!, fds[1]!], timeout: 30_000 });
        return { status: r.status ?? 128, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
      } finally {
        fds.forEach((fd) => closeSync(fd));
      }
    },
    async runAll(argsList) {
      return Promise.all(argsList.map((args) => new Promise<Result>((resolve) => {
        const n = calls++;
        const out = join(box.dir, `par-${n}.out`);
        const err = join(box.dir, `par-${n}.err`);
        const fds = [openSync(out, 'w'), openSync(err, 'w')];
        const child = spawn('nsenter', argv(args), { stdio: ['ignore', fds[0]!, fds[1]!] });
        child.on('exit', (code) => {
          fds.forEach((fd) => closeSync(fd));
          resolve({ status: code ?? 128, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') });
        });
      })));
    },
    bundle: (args, edit) => box.bundle(args, edit),
    hostLinks() {
      return (host.ip(['link', 'show']) as Array<{ ifname: string }>).map((l) => l.ifname);
    },
    nftComments() {
      const r = host.exec('nft', ['-j', 'list', 'table', 'ip', 'ts-runc']);
      if (r.status !== 0) return [];
      const doc = JSON.parse(r.stdout) as { nftables: Array<{ rule?: { comment?: string } }> };
      return doc.nftables.flatMap((i) => (i.rule?.comment ? [i.rule.comment] : []));
    },
    cleanup() {
      // Delete inside the host netns (teardown must find its veth and rules there).
      if (existsSync(box.root)) for (const id of readdirSync(box.root)) nb.run(['delete', '--force', id]);
      host.remove();
      outside.remove();
      box.cleanup();
    },
  };
  return nb;
}

/** Poll until `check` is true (a server needs a moment to listen; generous, for a loaded machine). */
async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function leases(nb: NetBox, network: string): string[] {
  const dir = join(nb.box.storage, 'networks', network, 'leases');
  return existsSync(dir) ? readdirSync(dir) : [];
}

function stateOf(nb: NetBox, id: string): { network?: { ip?: string; ports: unknown[] } } {
  return JSON.parse(readFileSync(join(nb.box.root, id, 'state.json'), 'utf8')) as { network?: { ip?: string; ports: unknown[] } };
}

suite('networks: bridges, names, NAT and ports (in a test netns)', () => {
  let nb: NetBox;
  beforeEach(() => { nb = netBox(); });
  afterEach(() => nb.cleanup());

  it('containers on one network reach each other by name and alias (ping, HTTP); peers\' hosts follow joins and leaves', async () => {
    expect(nb.run(['network', 'create', '--subnet', '10.89.0.0/24', 'appnet']).status).toBe(0);
    const db = nb.run(['run', '-d', '-b', nb.bundle(['httpd', '-f', '-p', '80', '-h', '/etc']), '--network', 'appnet', '--network-alias', 'database', 'db']);
    expect(db.stderr).toBe('');
    expect(db.status).toBe(0);
    expect(nb.run(['run', '-d', '-b', nb.bundle(['sleep', '300'], withNetRaw), '--network', 'appnet', 'client']).status).toBe(0);
    expect(stateOf(nb, 'db').network?.ip).toBe('10.89.0.2');
    expect(stateOf(nb, 'client').network?.ip).toBe('10.89.0.3');
    const inspect = JSON.parse(nb.run(['network', 'inspect', 'appnet']).stdout) as Array<{ containers: Array<{ id: string; ip: string }> }>;
    expect(inspect[0]!.containers.map((c) => `${c.id}=${c.ip}`)).toEqual(['db=10.89.0.2', 'client=10.89.0.3']);
    expect(nb.run(['network', 'ls']).stdout).toMatch(/^NAME +SUBNET +GATEWAY +BRIDGE +CONTAINERS\nappnet +10\.89\.0\.0\/24 +10\.89\.0\.1 +tsbr-[0-9a-f]{8} +2\n$/);

    const ping = nb.run(['exec', 'client', 'ping', '-c', '1', '-W', '2', 'db']);
    expect(ping.stdout).toContain('1 packets received');
    await until(() => nb.run(['exec', 'client', 'wget', '-qO-', 'http://database/hostname']).status === 0, 'httpd in db');
    expect(nb.run(['exec', 'client', 'wget', '-qO-', 'http://database/hostname']).stdout.trim()).toBe('ts-runc');
    expect(nb.run(['exec', 'client', 'cat', '/etc/hosts']).stdout).toMatch(/10\.89\.0\.2\tdb database\n/);
    // eth0 and the default route via the gateway
    const route = nb.run(['exec', 'client', 'ip', 'route']).stdout;
    expect(route).toContain('default via 10.89.0.1 dev eth0');

    // db leaves: the client's hosts file (a bind mount, rewritten in place) forgets it
    expect(nb.run(['delete', '--force', 'db']).status).toBe(0);
    const hosts = nb.run(['exec', 'client', 'cat', '/etc/hosts']).stdout;
    expect(hosts).not.toContain('db');
    expect(hosts).toContain('10.89.0.3\tclient');
    expect(nb.run(['exec', 'client', 'cat', '/etc/resolv.conf']).stdout).not.toMatch(/nameserver\s+127\./);
  });

  it('containers on different networks do not reach each other', async () => {
    nb.run(['network', 'create', '--subnet', '10.90.1.0/24', 'red']);
    nb.run(['network', 'create', '--subnet', '10.90.2.0/24', 'blue']);
    expect(nb.run(['run', '-d', '-b', nb.bundle(['httpd', '-f', '-p', '80', '-h', '/etc']), '--network', 'blue', 'server']).status).toBe(0);
    nb.run(['run', '-d', '-b', nb.bundle(['sleep', '300'], withNetRaw), '--network', 'blue', 'friend']);
    nb.run(['run', '-d', '-b', nb.bundle(['sleep', '300'], withNetRaw), '--network', 'red', 'stranger']);
    // the same network: reachable (so the refusal below is isolation, not a dead server)
    await until(() => nb.run(['exec', 'friend', 'wget', '-qO-', 'http://10.90.2.2/hostname']).status === 0, 'server from its own network');
    const tcp = nb.run(['exec', 'stranger', 'timeout', '2', 'wget', '-qO-', 'http://10.90.2.2/hostname']);
    expect(tcp.stdout).toBe('');
    expect(tcp.status).toBe(143); // killed by timeout: the SYN was dropped, nothing answered
    expect(nb.run(['exec', 'stranger', 'ping', '-c', '1', '-W', '1', '10.90.2.2']).stdout).toContain('0 packets received');
    // and names of the other network are unknown
    expect(nb.run(['exec', 'stranger', 'cat', '/etc/hosts']).stdout).not.toContain('server');
    // removing one network keeps the table and the other network's rules
    expect(nb.run(['delete', '--force', 'stranger']).stderr).toBe('');
    expect(nb.run(['network', 'rm', 'red']).stderr).toBe('');
    expect([...new Set(nb.nftComments())]).toEqual(['net:blue']);
  });

  it('outbound traffic reaches the outside with the host\'s address as its source (MASQUERADE)', async () => {
    const www = join(nb.box.dir, 'www');
    mkdirSync(www);
    writeFileSync(join(www, 'index.html'), 'outside\n');
    const log = join(nb.box.dir, 'outside-httpd.log');
    const fd = openSync(log, 'w');
    nb.outside.spawn(BUSYBOX, ['httpd', '-f', '-vv', '-p', `${OUTSIDE_ADDR}:9000`, '-h', www], { stdio: ['ignore', 'ignore', fd] });
    closeSync(fd);
    nb.host.run('ip', ['route', 'add', 'default', 'via', OUTSIDE_ADDR]); // the outside plays the internet
    nb.run(['network', 'create', 'outnet']);
    const r = nb.run(['run', '-b', nb.bundle(['timeout', '3', 'wget', '-qO-', `http://${OUTSIDE_ADDR}:9000/`]), '--network', 'outnet', 'out1']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('outside\n');
    await until(() => readFileSync(log, 'utf8').includes('url:/'), 'the outside server\'s log');
    const peers = readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('url:/'));
    expect(peers[0]).toMatch(new RegExp(`^${HOST_ADDR.replace(/\./g, '\\.')}:\\d+: url:/`));
  });

  it('a published port answers from the outside netns and from the host\'s loopback; port prints it', async () => {
    nb.run(['network', 'create', 'pubnet']);
    const web = nb.run(['run', '-d', '-b', nb.bundle(['httpd', '-f', '-p', '80', '-h', '/etc']), '--network', 'pubnet', '-p', '0.0.0.0:8080:80', 'web']);
    expect(web.stderr).toBe('');
    expect(nb.run(['port', 'web']).stdout).toBe('80/tcp -> 0.0.0.0:8080\n');
    const [cmd, ...args] = fetch(`http://${HOST_ADDR}:8080/hostname`);
    await until(() => nb.outside.exec(cmd!, args).status === 0, 'the port from outside');
    expect(nb.outside.run(cmd!, args)).toBe('ts-runc\n');
    const [lcmd, ...largs] = fetch('http://127.0.0.1:8080/hostname');
    expect(nb.host.run(lcmd!, largs)).toBe('ts-runc\n');
    // Through the host's address from inside the network (hairpin): a peer, and web itself.
    const inside = ['timeout', '3', 'wget', '-qO-', `http://${HOST_ADDR}:8080/hostname`];
    const peer = nb.run(['run', '-b', nb.bundle(inside), '--network', 'pubnet', 'peer']);
    expect(peer.stderr).toBe('');
    expect(peer.stdout).toBe('ts-runc\n');
    const self = nb.run(['exec', 'web', ...inside]);
    expect(self.stderr).toBe('');
    expect(self.stdout).toBe('ts-runc\n');
    // a second container cannot take the same host port
    const clash = nb.run(['run', '-d', '-b', nb.bundle(['sleep', '300']), '--network', 'pubnet', '-p', '8080:80', 'web2']);
    expect(clash.status).not.toBe(0);
    expect(clash.stderr).toContain('host port 0.0.0.0:8080/tcp is already published');
    expect(leases(nb, 'pubnet')).toHaveLength(1);
    // two creates at once asking for one host port: one gets it, the other is refused
    const racers = await nb.runAll(['r1', 'r2'].map((id) => ['create', '-b', nb.bundle(['sleep', '300']), '--network', 'pubnet', '-p', '8085:80', id]));
    expect(racers.filter((r) => r.status === 0)).toHaveLength(1);
    expect(racers.map((r) => r.stderr).join('')).toContain('host port 0.0.0.0:8085/tcp is already published');
    expect(nb.nftComments().filter((c) => /^ctr:r[12]:/.test(c))).toHaveLength(1);
  });

  it('network create refuses a subnet that overlaps one of the host\'s routes (read through rtnetlink)', () => {
    const clash = nb.run(['network', 'create', '--subnet', '192.0.2.0/25', 'shadow']);
    expect(clash.status).not.toBe(0);
    expect(clash.stderr).toBe("ts-runc: subnet 192.0.2.0/25 overlaps the host's route to 192.0.2.0/24 (dev vh): give another --subnet\n");
    expect(nb.run(['network', 'ls', '--format', 'json']).stdout.trim()).toBe('[]');
  });

  it('-P publishes the exposed ports of the annotation on free host ports', async () => {
    nb.run(['network', 'create', 'allnet']);
    const bundle = nb.bundle(['httpd', '-f', '-p', '80', '-h', '/etc'], (spec) => {
      spec.annotations = { 'io.ts-runc.image.exposed-ports': '80/tcp,53/udp' };
    });
    expect(nb.run(['run', '-d', '-b', bundle, '--network', 'allnet', '-P', 'web']).status).toBe(0);
    const lines = nb.run(['port', 'web']).stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^80\/tcp -> 0\.0\.0\.0:\d+$/);
    expect(lines[1]).toMatch(/^53\/udp -> 0\.0\.0\.0:\d+$/);
    const port = lines[0]!.split(':').pop()!;
    expect(nb.run(['port', 'web', '80/tcp']).stdout).toBe(`0.0.0.0:${port}\n`); // docker port web 80/tcp
    const [cmd, ...args] = fetch(`http://${HOST_ADDR}:${port}/hostname`);
    await until(() => nb.outside.exec(cmd!, args).status === 0, 'the -P port from outside');
    expect(nb.outside.run(cmd!, args)).toBe('ts-runc\n');
  });

  it('50 containers created in parallel all get distinct addresses, and all are released', async () => {
    nb.run(['network', 'create', '--subnet', '10.91.0.0/24', 'many']);
    const bundle = nb.bundle(['sleep', '300']);
    const ids = Array.from({ length: 50 }, (_, i) => `p${i}`);
    const results = await nb.runAll(ids.map((id) => ['create', '-b', bundle, '--network', 'many', id]));
    for (const r of results) expect(r.stderr).toBe('');
    const ips = ids.map((id) => stateOf(nb, id).network?.ip);
    expect(new Set(ips).size).toBe(50);
    expect(leases(nb, 'many')).toHaveLength(50);
    expect(nb.hostLinks().filter((l) => l.startsWith('tsr'))).toHaveLength(50);
    const deleted = await nb.runAll(ids.map((id) => ['delete', '--force', id]));
    for (const r of deleted) expect(r.stderr).toBe('');
    expect(leases(nb, 'many')).toEqual([]);
    expect(nb.hostLinks().filter((l) => l.startsWith('tsr'))).toEqual([]);
  }, 120_000);

  it('reclaims the address and port rules of a container that died without delete', () => {
    nb.run(['network', 'create', '--subnet', '10.94.0.0/24', 'lost']);
    expect(nb.run(['run', '-d', '-b', nb.bundle(['sleep', '300']), '--network', 'lost', '-p', '8090:80', 'ghost']).status).toBe(0);
    const pid = JSON.parse(nb.run(['state', 'ghost']).stdout).pid as number;
    // As after a reboot that wiped --root (a tmpfs): the process and the state are gone, no delete ran.
    process.kill(pid, 'SIGKILL');
    spawnSync('rm', ['-rf', join(nb.box.root, 'ghost')]);
    removeCgroupsOf(nb.box, 'ghost'); // a reboot takes them too; nothing will delete them now
    expect(nb.nftComments().filter((c) => c.startsWith('ctr:ghost:'))).toHaveLength(1);
    // Listing the network skips the stale lease but must not drop it before its rules are gone.
    expect(nb.run(['network', 'inspect', 'lost']).stdout).toContain('"containers": []');
    expect(nb.run(['run', '-d', '-b', nb.bundle(['sleep', '300']), '--network', 'lost', '-p', '8090:80', 'heir']).stderr).toBe('');
    expect(stateOf(nb, 'heir').network?.ip).toBe('10.94.0.2');
    expect(leases(nb, 'lost')).toEqual(['10.94.0.2.json']);
    expect(nb.nftComments().filter((c) => c.startsWith('ctr:'))).toEqual([expect.stringMatching(/^ctr:heir:tsr/)]);
    // network rm reclaims a dead container's rules too, and the last one takes the table with it.
    process.kill(JSON.parse(nb.run(['state', 'heir']).stdout).pid as number, 'SIGKILL');
    spawnSync('rm', ['-rf', join(nb.box.root, 'heir')]);
    removeCgroupsOf(nb.box, 'heir');
    expect(nb.run(['network', 'rm', 'lost']).stderr).toBe('');
    expect(nb.host.exec('nft', ['list', 'table', 'ip', 'ts-runc']).status).not.toBe(0);
  });

  it('--network none has only lo; host sees the host netns\'s links; container:<id> shares a netns', () => {
    const none = nb.run(['run', '-b', nb.bundle(['ip', '-o', 'link']), '--network', 'none', 'n1']);
    expect(none.stdout.trim().split('\n').map((l) => l.split(': ')[1])).toEqual(['lo']);
    const host = nb.run(['run', '-b', nb.bundle(['ip', '-o', 'link']), '--network', 'host', 'h1']);
    expect(host.stdout).toContain('vh@');
    nb.run(['network', 'create', '--subnet', '10.92.0.0/24', 'shared']);
    expect(nb.run(['run', '-d', '-b', nb.bundle(['sleep', '300']), '--network', 'shared', 'first']).status).toBe(0);
    const second = nb.run(['run', '-b', nb.bundle(['sh', '-c', 'ip -o -4 addr show eth0; cat /etc/hosts']), '--network', 'container:first', 'second']);
    expect(second.stdout).toContain('10.92.0.2/24');
    expect(second.stdout).toContain('10.92.0.2\tfirst');
    const missing = nb.run(['run', '-b', nb.bundle(['true']), '--network', 'container:nope', 'third']);
    expect(missing.stderr).toContain('--network container:nope: no such container');
  });

  it('leaves no veth, lease, nft rule or hosts file after delete, delete --force after kill -9, and a failed create; network rm removes the bridge', () => {
    nb.run(['network', 'create', '--subnet', '10.93.0.0/24', 'tidy']);
    const bridge = (JSON.parse(nb.run(['network', 'inspect', 'tidy']).stdout) as Array<{ bridge: string }>)[0]!.bridge;
    const server = () => nb.bundle(['httpd', '-f', '-p', '80', '-h', '/etc']);
    const nothingLeft = () => {
      expect(leases(nb, 'tidy')).toEqual([]);
      expect(nb.hostLinks().filter((l) => l.startsWith('tsr'))).toEqual([]);
      expect(nb.nftComments().filter((c) => c.startsWith('ctr:'))).toEqual([]);
      expect(existsSync(join(nb.box.storage, 'containers'))
        ? readdirSync(join(nb.box.storage, 'containers')) : []).toEqual([]);
    };
    // delete
    expect(nb.run(['run', '-d', '-b', server(), '--network', 'tidy', '-p', '8081:80', 'a']).status).toBe(0);
    expect(nb.nftComments().filter((c) => c.startsWith('ctr:a:'))).toHaveLength(1);
    expect(nb.run(['network', 'rm', 'tidy']).stderr).toContain('in use by 1 container(s): a');
    nb.run(['kill', 'a', 'KILL']);
    for (let i = 0; i < 100 && !nb.run(['state', 'a']).stdout.includes('"stopped"'); i++) spawnSync('sleep', ['0.02']);
    expect(nb.run(['delete', 'a']).stderr).toBe('');
    nothingLeft();
    // delete --force of a running container whose processes were killed -9
    expect(nb.run(['run', '-d', '-b', server(), '--network', 'tidy', '-p', '8082:80', 'b']).status).toBe(0);
    const pid = JSON.parse(nb.run(['state', 'b']).stdout).pid as number;
    process.kill(pid, 'SIGKILL');
    expect(nb.run(['delete', '--force', 'b']).stderr).toBe('');
    nothingLeft();
    // a create that fails after the network was attached (a mount the init cannot make;
    // in /dev, a tmpfs by then: not /proc, where runc's checkProcMount refuses it up front)
    const broken = nb.bundle(['true'], (spec) => spec.mounts!.push({ destination: '/dev/broken', type: 'no-such-fs', source: 'none' }));
    const failed = nb.run(['create', '-b', broken, '--network', 'tidy', '-p', '8083:80', 'c']);
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain('no-such-fs');
    nothingLeft();
    expect(nb.run(['list', '-q']).stdout).toBe('');
    // network rm: the bridge, its rules and its directory go
    expect(nb.hostLinks()).toContain(bridge);
    expect(nb.run(['network', 'rm', 'tidy']).status).toBe(0);
    expect(nb.hostLinks()).not.toContain(bridge);
    expect(nb.nftComments()).toEqual([]);
    expect(existsSync(join(nb.box.storage, 'networks', 'tidy'))).toBe(false);
    expect(nb.run(['network', 'ls', '--format', 'json']).stdout).toBe('[]\n');
  });
});
