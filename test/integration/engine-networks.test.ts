/**
 * Networks of engine containers (issue 11 item 10), inside network namespaces the test
 * makes (the host's links, routes and nftables are never touched): `network connect` gives
 * a running container a second interface with an address on the second network, the
 * containers of that network reach it by name and alias, a restart attaches it again,
 * `disconnect` removes it; --dns, --dns-search, --dns-option and --add-host (host-gateway)
 * are in the container's resolv.conf and /etc/hosts.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainerStore } from '../../src/engine/containers/store.js';
import { REPO, TS_RUNC, haveFixture, isRoot, sandbox, type Result, type Sandbox } from './helpers.js';
import { makeNetns, type Netns } from './netns.js';

const haveNft = spawnSync('nft', ['--version']).status === 0;
const suite = isRoot && haveFixture && haveNft && existsSync(join(REPO, 'build/ts-runc-monitor')) && existsSync(join(REPO, 'build/ts-runc-netns-socket')) ? describe : describe.skip;

suite('networks of engine containers (in a test netns)', { timeout: 180_000 }, () => {
  let box: Sandbox;
  let ns: Netns;
  /** ts-runc inside the test's netns (the monitor it starts stays there, and so do the bridges) */
  const run = (args: string[]): Result => {
    const out = join(box.dir, 'out');
    const err = join(box.dir, 'err');
    const fds = [openSync(out, 'w'), openSync(err, 'w')];
    try {
      const r = spawnSync('nsenter', [`--net=${ns.path}`, '--', TS_RUNC, '--root', box.root, '--storage', box.storage, ...args], { stdio: ['ignore', fds[0]!, fds[1]!], timeout: 60_000 });
      return { status: r.status ?? 128, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
  };
  const addresses = (ctr: string) => run(['container', 'exec', ctr, 'ip', '-o', '-4', 'addr']).stdout.split('\n')
    .map((l) => l.split(/\s+/)).filter((f) => f.length > 3).map((f) => `${f[1]} ${f[3]}`);
  const reaches = (from: string, name: string) => run(['container', 'exec', from, 'ping', '-c', '1', '-W', '2', name]).stdout.includes('1 packets received');

  beforeEach(() => {
    box = sandbox();
    ns = makeNetns('tsr-eng');
    ns.run('ip', ['link', 'set', 'lo', 'up']);
    const loaded = run(['image', 'load', '-i', join(REPO, 'rootfs-fixtures/out/image.tar')]);
    if (loaded.status !== 0) throw new Error(`image load: ${loaded.stderr}`);
  });
  afterEach(() => {
    for (const record of new ContainerStore(box.storage).list()) run(['container', 'rm', '-f', record.Id]);
    ns.remove();
    box.cleanup();
  });

  it('connect gives a running container an interface on a second network; peers there reach it by name and alias; restart reattaches; disconnect removes it', () => {
    expect(run(['network', 'create', '--subnet', '10.93.1.0/24', 'front']).status).toBe(0);
    expect(run(['network', 'create', '--subnet', '10.93.2.0/24', 'back']).status).toBe(0);
    expect(run(['container', 'run', '-d', '--name', 'web', '--network', 'front', 'fixture:3layers', 'sleep', '300']).status).toBe(0);
    expect(run(['container', 'run', '-d', '--name', 'client', '--network', 'back', 'fixture:3layers', 'sleep', '300']).status).toBe(0);
    expect(addresses('web')).toEqual(['lo 127.0.0.1/8', 'eth0 10.93.1.2/24']);
    expect(reaches('client', 'web')).toBe(false);

    const connected = run(['network', 'connect', '--alias', 'api', '--ip', '10.93.2.50', 'back', 'web']);
    expect(connected.stderr).toBe('');
    expect(addresses('web')).toEqual(['lo 127.0.0.1/8', 'eth0 10.93.1.2/24', 'eth1 10.93.2.50/24']);
    expect(reaches('client', 'web')).toBe(true);
    expect(reaches('client', 'api')).toBe(true);
    expect(reaches('web', 'client')).toBe(true);
    const record = new ContainerStore(box.storage).resolve('web');
    expect(Object.keys(record.Networks ?? {}).sort()).toEqual(['back', 'front']);
    expect(record.Networks!.back).toMatchObject({ IPAddress: '10.93.2.50', IPPrefixLen: 24, Gateway: '10.93.2.1', MacAddress: '02:42:0a:5d:02:32', Aliases: ['api'] });
    expect(run(['network', 'connect', 'back', 'web']).stderr).toMatch(/already connected to network back/);

    expect(run(['container', 'restart', '-t', '1', 'web']).status).toBe(0);
    expect(addresses('web')).toEqual(['lo 127.0.0.1/8', 'eth0 10.93.1.2/24', 'eth1 10.93.2.50/24']);
    expect(reaches('client', 'api')).toBe(true);

    expect(run(['network', 'disconnect', 'back', 'web']).stderr).toBe('');
    expect(addresses('web')).toEqual(['lo 127.0.0.1/8', 'eth0 10.93.1.2/24']);
    expect(run(['container', 'exec', 'client', 'cat', '/etc/hosts']).stdout).not.toMatch(/api|web/);
    expect(readdirSync(join(box.storage, 'networks/back/leases'))).toEqual(['10.93.2.2.json']);
    expect(Object.keys(new ContainerStore(box.storage).resolve('web').Networks ?? {})).toEqual(['front']);
    expect(run(['network', 'disconnect', 'back', 'web']).stderr).toMatch(/not connected to network back/);
    expect(run(['network', 'disconnect', '-f', 'back', 'web']).status).toBe(0);
  });

  it('--dns, --dns-search, --dns-option and --add-host (host-gateway) are written into the container\'s files', () => {
    expect(run(['network', 'create', '--subnet', '10.93.3.0/24', 'dnsnet']).status).toBe(0);
    const r = run(['container', 'run', '--rm', '--network', 'dnsnet', '--dns', '10.0.0.53', '--dns-search', 'example.test', '--dns-option', 'ndots:2',
      '--add-host', 'gw:host-gateway', '--add-host', 'db:10.9.9.9', 'fixture:3layers', 'cat', '/etc/resolv.conf', '/etc/hosts']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^search example\.test\nnameserver 10\.0\.0\.53\noptions ndots:2\n/m);
    expect(r.stdout).toMatch(/^10\.93\.3\.1\tgw$/m);
    expect(r.stdout).toMatch(/^10\.9\.9\.9\tdb$/m);
    const bad = run(['container', 'run', '--rm', '--network', 'none', '--add-host', 'gw:host-gateway', 'fixture:3layers', 'true']);
    expect(bad.stderr).toMatch(/host-gateway needs a bridge network/);
  });
});
