/**
 * `container run -p` on the default bridge network, and stop/start/rm keeping the network
 * whole (issue 11). Everything runs inside two network namespaces this test makes: "host"
 * (where ts-runc runs: its bridge, veths and nftables rules) and "outside" (a peer on a
 * veth), so the real host's links, routes and rules are never touched.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainerStore } from '../../src/engine/containers/store.js';
import { REPO, TS_RUNC, haveFixture, isRoot, mountsMentioning, sandbox, type Result, type Sandbox } from './helpers.js';
import { makeNetns, type Netns } from './netns.js';

const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');
const BUSYBOX = join(REPO, 'rootfs-fixtures/out/rootfs/bin/busybox');
const suite = isRoot && haveFixture && existsSync(IMAGE_TAR) && existsSync(join(REPO, 'build/ts-runc-monitor')) ? describe : describe.skip;
const HOST_ADDR = '192.0.2.1';
const OUTSIDE_ADDR = '192.0.2.2';

suite('container run -p on the default network (in a test netns)', { timeout: 120_000 }, () => {
  let box: Sandbox;
  let host: Netns;
  let outside: Netns;
  let store: ContainerStore;

  /** ts-runc … inside the "host" netns; output to files (a detached container must not hold a pipe) */
  const run = (args: string[]): Result => {
    const out = join(box.dir, 'net-stdout');
    const err = join(box.dir, 'net-stderr');
    const fds = [openSync(out, 'w'), openSync(err, 'w')];
    try {
      const r = spawnSync('nsenter', [`--net=${host.path}`, '--', TS_RUNC, '--root', box.root, '--storage', box.storage, ...args],
        { stdio: ['ignore', fds[0]!, fds[1]!], timeout: 60_000 });
      return { status: r.status ?? 128, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
  };
  /** busybox wget crashes on its own -T: `timeout` bounds it */
  const fetchFromOutside = (url: string) => outside.exec('timeout', ['3', BUSYBOX, 'wget', '-qO-', url]);
  async function until(what: string, probe: () => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!probe()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  beforeEach(() => {
    box = sandbox();
    if (box.run(['image', 'load', '-i', IMAGE_TAR]).status !== 0) throw new Error('image load failed');
    store = new ContainerStore(box.storage);
    host = makeNetns('tsr-eng-host');
    outside = makeNetns('tsr-eng-out');
    host.run('ip', ['link', 'set', 'lo', 'up']);
    outside.run('ip', ['link', 'set', 'lo', 'up']);
    host.run('ip', ['link', 'add', 'vh', 'type', 'veth', 'peer', 'name', 'vo', 'netns', outside.name]);
    host.run('ip', ['addr', 'add', `${HOST_ADDR}/24`, 'dev', 'vh']);
    host.run('ip', ['link', 'set', 'vh', 'up']);
    outside.run('ip', ['addr', 'add', `${OUTSIDE_ADDR}/24`, 'dev', 'vo']);
    outside.run('ip', ['link', 'set', 'vo', 'up']);
  });
  afterEach(() => {
    for (const record of store.list()) run(['container', 'rm', '-f', record.Id]);
    for (const line of mountsMentioning(box.dir)) spawnSync('umount', ['-l', line.split(' ')[4]!]);
    outside.remove();
    host.remove();
    box.cleanup();
  });

  it('a published port answers from outside; after stop and start it answers again; rm -f takes its rules', async () => {
    const web = run(['container', 'run', '-d', '--name', 'web', '-p', '8080:80', 'fixture:3layers', 'httpd', '-f', '-p', '80', '-h', '/etc']);
    expect(web.stderr).toBe('');
    const id = web.stdout.trim();
    const url = `http://${HOST_ADDR}:8080/hostname`;
    await until('the port from outside', () => fetchFromOutside(url).status === 0);
    expect(fetchFromOutside(url).stdout).toBe(`${id.slice(0, 12)}\n`);
    expect(store.read(id).Ports).toEqual({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] });
    const attachment = Object.values(store.read(id).Networks ?? {})[0]!;
    expect(attachment.IPAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    // Docker's MAC: 02:42 and the address's four bytes
    expect(attachment.MacAddress).toBe(`02:42:${attachment.IPAddress.split('.').map((b) => Number(b).toString(16).padStart(2, '0')).join(':')}`);

    expect(run(['container', 'stop', '-t', '1', 'web']).status).toBe(0);
    expect(fetchFromOutside(url).status).not.toBe(0);
    expect(run(['container', 'start', 'web']).stderr).toBe('');
    await until('the port again after start', () => fetchFromOutside(url).status === 0);

    expect(run(['container', 'rm', '-f', 'web']).status).toBe(0);
    const rules = host.exec('nft', ['list', 'table', 'ip', 'ts-runc']).stdout;
    expect(rules).not.toContain('8080');
  });
});
