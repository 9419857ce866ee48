/**
 * The user's walk through issues 4 and 5 in one go, as the README shows it: load an image,
 * make a network, run a server and a client from the image by name, publish a port and
 * fetch from it through the host's loopback, then take it all down again.
 *
 * "The host" is a network namespace of this test (ts-runc runs under `nsenter --net=`),
 * so the machine's links, routes and nftables are never touched.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIXTURE_ROOTFS, REPO, TS_RUNC, haveFixture, isRoot, mountsMentioning, sandbox, type Result, type Sandbox } from './helpers.js';
import { makeNetns, type Netns } from './netns.js';

const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');
const BUSYBOX = join(FIXTURE_ROOTFS, 'bin/busybox');
const haveNft = spawnSync('nft', ['--version']).status === 0;
const suite = isRoot && haveFixture && haveNft ? describe : describe.skip;

suite('walkthrough: an image, a network, two containers by name, a published port', () => {
  let box: Sandbox;
  let host: Netns;

  /** ts-runc inside the host netns; output through files (a detached container keeps them open) */
  const tsrunc = (args: string[]): Result => {
    const out = join(box.dir, 'walk.out');
    const err = join(box.dir, 'walk.err');
    const fds = [openSync(out, 'w'), openSync(err, 'w')];
    try {
      const r = spawnSync('nsenter', [`--net=${host.path}`, '--', TS_RUNC, '--root', box.root, '--storage', box.storage, ...args],
        { stdio: ['ignore', fds[0]!, fds[1]!], timeout: 30_000 });
      return { status: r.status ?? 128, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
  };
  const ok = (args: string[]): string => {
    const r = tsrunc(args);
    expect(r.stderr, args.join(' ')).toBe('');
    expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  beforeEach(() => {
    box = sandbox();
    host = makeNetns('tsr-walk');
    host.run('ip', ['link', 'set', 'lo', 'up']);
  });

  afterEach(() => {
    for (const id of ['db', 'web', 'page', 'plain']) tsrunc(['delete', '--force', id]);
    host.remove();
    box.cleanup();
  });

  it('runs the README example and leaves nothing behind', async () => {
    expect(ok(['image', 'load', '-i', IMAGE_TAR])).toContain('fixture:3layers');
    ok(['network', 'create', '--subnet', '10.89.0.0/24', 'appnet']);

    // A server, detached, from the image's layers; a client that finds it by name.
    ok(['run', '--image', 'fixture:3layers', '--network', 'appnet', '--name', 'db', '-d', '--', 'httpd', '-f', '-p', '80', '-h', '/etc']);
    const fetched = ok(['run', '--image', 'fixture:3layers', '--network', 'appnet', '--name', 'web', '--',
      'sh', '-c', 'for i in 1 2 3 4 5; do wget -qO- http://db/fixture-version && exit 0; sleep 0.2; done; exit 1']);
    expect(fetched.trim()).toBe('2'); // layer 2's version of the file, served over the bridge

    // A published port, reached from the host's own loopback.
    ok(['run', '--image', 'fixture:3layers', '--network', 'appnet', '--name', 'page', '-d', '-p', '8080:80', '--',
      'httpd', '-f', '-p', '80', '-h', '/etc']);
    expect(ok(['port', 'page']).trim()).toBe('80/tcp -> 0.0.0.0:8080');
    let page = '';
    for (let i = 0; i < 25 && !page; i++) {
      page = host.exec('timeout', ['3', BUSYBOX, 'wget', '-qO-', 'http://127.0.0.1:8080/fixture-added']).stdout;
      if (!page) await new Promise((r) => setTimeout(r, 200));
    }
    expect(page.trim()).toBe('added by layer 2');

    // No --network: an image container lands on the default bridge network.
    const plain = ok(['run', '--image', 'fixture:3layers', '--name', 'plain', '--', 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
    expect(plain).toMatch(/inet 10\.77\.\d+\.\d+\//);

    for (const id of ['db', 'page']) ok(['delete', '--force', id]);
    ok(['network', 'rm', 'appnet']);
    ok(['network', 'rm', 'ts-runc']);
    ok(['image', 'rm', 'fixture:3layers']);

    const links = (host.ip(['link', 'show']) as { ifname: string }[]).map((l) => l.ifname);
    expect(links).toEqual(['lo']);
    expect(mountsMentioning(box.storage)).toEqual([]);
    // the last network rm took the whole table ip ts-runc with it
    expect(host.exec('nft', ['list', 'table', 'ip', 'ts-runc']).status).not.toBe(0);
  });
});
