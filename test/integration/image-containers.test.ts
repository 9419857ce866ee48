/**
 * Containers made from images, as root through the CLI: the overlay rootfs (shared lower
 * layers, a private upper layer removed on delete), image config → config.json, `bundle
 * --image`, `export` and `commit`. Each test loads the fixture's OCI archive
 * (rootfs-fixtures/out/image.tar: three layers that add, modify and delete files) into its
 * own --storage; the deep image is built with the store's API.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageStore } from '../../src/image/store.js';
import { MEDIA_TYPES, type ImageConfig, type Manifest } from '../../src/image/types.js';
import { REPO, TS_RUNC, cgroupDirsFor, haveFixture, isRoot, mountsMentioning, sandbox, type Sandbox } from './helpers.js';

const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');
const haveImage = existsSync(IMAGE_TAR);
const suite = isRoot && haveFixture && haveImage ? describe : describe.skip;

/** `image load` of the fixture's OCI archive (fixture:3layers) into the sandbox's storage. */
function loadFixture(box: Sandbox): ImageStore {
  const loaded = box.run(['image', 'load', '-i', IMAGE_TAR]);
  if (loaded.status !== 0) throw new Error(`image load: ${loaded.stderr}`);
  return new ImageStore(box.storage);
}

/** A tar of small files, in memory. */
async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const { pack } = await import('tar-stream');
  const p = pack();
  for (const [name, content] of Object.entries(files)) p.entry({ name, mode: 0o644 }, content);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** fixture:3layers plus `extra` layers, each adding /deep/<n> and rewriting /deep/top. */
async function deepImage(store: ImageStore, extra: number, name: string): Promise<void> {
  const base = store.resolve('fixture:3layers');
  const config: ImageConfig = structuredClone(base.config);
  const manifest: Manifest = structuredClone(base.manifest);
  for (let i = 0; i < extra; i++) {
    const layer = await store.addLayer(await tarOf({ [`deep/${i}`]: `${i}\n`, 'deep/top': `${i}\n` }));
    config.rootfs.diff_ids.push(layer.diffId);
    manifest.layers.push({ mediaType: layer.mediaType, digest: layer.digest, size: layer.size });
  }
  const configBlob = await store.blobs.put(Buffer.from(JSON.stringify(config)));
  manifest.config = { mediaType: MEDIA_TYPES.ociConfig, digest: configBlob.digest, size: configBlob.size };
  const manifestBlob = await store.blobs.put(Buffer.from(JSON.stringify(manifest)));
  await store.addImage(manifestBlob.digest, [name]);
}

/** The lowerdir parameters of the overlay mounted on `target` (mountinfo super options). */
function lowerdirs(target: string): string[] {
  const line = mountsMentioning(target).find((l) => l.split(' ')[4] === target);
  if (!line) throw new Error(`no mount on ${target}`);
  const options = line.split(' - ')[1]!.split(' ')[2]!;
  return options.split(',').filter((o) => o.startsWith('lowerdir'));
}

suite('containers from images', () => {
  let box: Sandbox;
  let store: ImageStore;
  beforeEach(() => {
    box = sandbox();
    store = loadFixture(box);
  });
  afterEach(() => {
    // A failed test may leave a bundle --image mount behind: undo it before the rm.
    for (const line of mountsMentioning(box.dir)) spawnSync('umount', ['-l', line.split(' ')[4]!]);
    box.cleanup();
  });

  const run = (args: string[], options?: Parameters<Sandbox['run']>[1]) => box.run(['run', '--image', 'fixture:3layers', '--network', 'none', ...args], options);

  /** Nothing of container `id` is left: no state, no mount, no storage directory, no hold. */
  function expectGone(id: string): void {
    expect(box.run(['list', '-q']).stdout).not.toContain(id);
    expect(mountsMentioning(join(box.storage, 'containers', id))).toEqual([]);
    expect(existsSync(join(box.storage, 'containers', id))).toBe(false);
    expect(store.holders()).toEqual({});
  }

  it('runs the three-layer image with the files of its top layer', () => {
    const r = run(['three', '--', 'sh', '-c', 'cat /etc/fixture-version; ls /etc/fixture-added; ls /etc/fixture-removed 2>&1; hostname']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('2\n/etc/fixture-added\nls: /etc/fixture-removed: No such file or directory\nthree\n');
    expect(r.status).toBe(0);
    expectGone('three');
  });

  it('the image config makes config.json: Cmd, Env, labels, exposed ports, -e/-w/-u/--hostname', () => {
    const r = run(['-e', 'GREETING=hi', '-w', '/made/here', '-u', 'tester', '--hostname', 'box1', 'cfg', '--', 'sh', '-c', 'echo $GREETING $PWD $HOME; id; hostname']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi /made/here /home/tester\nuid=1000(tester) gid=1000(tester)\nbox1\n');
    const dir = join(box.dir, 'b');
    const spec = JSON.parse(box.run(['bundle', '--image', 'fixture:3layers', dir]).stdout) as { process: { args: string[] }; annotations: Record<string, string> };
    expect(spec.process.args).toEqual(['sh']);
    expect(spec.annotations).toMatchObject({ 'org.example.fixture': '3layers', 'io.ts-runc.image.exposed-ports': '80/tcp' });
    expect(box.run(['bundle', '--remove', dir]).status).toBe(0);
  });

  // 'two containers share the lower layers and do not see each other's writes' moved to
  // library.test.ts, where the handles say it more plainly.

  it('create --image then start: the overlay stays mounted until delete', () => {
    const created = box.run(['create', '--image', 'fixture:3layers', '--network', 'none', '--', 'sh', '-c', 'echo out > /out']);
    expect(created.stderr).toBe('');
    const id = created.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    expect(box.run(['start', id]).status).toBe(0);
    const root = join(box.storage, 'containers', id, 'rootfs');
    for (let i = 0; i < 100 && !box.run(['state', id]).stdout.includes('"stopped"'); i++) spawnSync('sleep', ['0.05']);
    expect(readFileSync(join(root, 'out'), 'utf8')).toBe('out\n');
    expect(box.run(['delete', id]).status).toBe(0);
    expectGone(id);
  });

  it('delete --force removes the image bundle of a container whose state is gone (create killed, --root wiped)', () => {
    const created = box.run(['create', '--image', 'fixture:3layers', '--network', 'none', 'orphan', '--', 'true']);
    expect(created.stderr).toBe('');
    const pid = JSON.parse(box.run(['state', 'orphan']).stdout).pid as number;
    process.kill(pid, 'SIGKILL');
    // As a reboot would: no process, no cgroups, no state; the bundle in --storage remains.
    rmSync(join(box.root, 'orphan'), { recursive: true });
    for (const dir of cgroupDirsFor(box.cgroupLeaf('orphan')).sort((a, b) => b.length - a.length)) {
      for (let i = 0; i < 100; i++) {
        try {
          rmdirSync(dir);
          break;
        } catch {
          spawnSync('sleep', ['0.05']); // EBUSY until the killed process has left
        }
      }
    }
    expect(mountsMentioning(join(box.storage, 'containers', 'orphan'))).toHaveLength(1);
    expect(box.run(['image', 'rm', 'fixture:3layers']).status, 'the orphan still holds the image').not.toBe(0);
    const deleted = box.run(['delete', '--force', 'orphan']);
    expect(deleted.stderr).toBe('');
    expect(deleted.status).toBe(0);
    expectGone('orphan');
    expect(cgroupDirsFor(box.cgroupLeaf('orphan'))).toEqual([]);
  });

  it('a failed create leaves nothing behind: bad command, bad user, bad image', () => {
    const badCommand = run(['bad1', '--', '/no/such/program']);
    expect(badCommand.status).not.toBe(0);
    expect(badCommand.stderr).toContain('/no/such/program');
    expectGone('bad1');
    const badUser = run(['-u', 'ghost', 'bad2', '--', 'true']);
    expect(badUser.status).toBe(1);
    expect(badUser.stderr).toBe('ts-runc: unable to find user ghost: no matching entries in /etc/passwd\n');
    expectGone('bad2');
    const badImage = box.run(['run', '--image', 'nope:1', '--network', 'none', 'bad3', '--', 'true']);
    expect(badImage.stderr).toBe('ts-runc: image nope:1 not found\n');
    expectGone('bad3');
    expect(readdirSync(join(box.storage, 'containers'))).toEqual([]);
  });

  it('an image of 160+ layers mounts (one fsconfig lowerdir+ per layer) and runs', async () => {
    await deepImage(store, 160, 'deep:1');
    const r = box.run(['run', '--image', 'deep:1', '--network', 'none', '-d', 'deep', '--', 'sleep', '60']);
    expect(r.stderr).toBe('');
    expect(lowerdirs(join(box.storage, 'containers/deep/rootfs'))).toHaveLength(163);
    const out = box.run(['exec', 'deep', 'sh', '-c', 'cat /deep/top /deep/0 /etc/fixture-version; ls /deep | wc -l']);
    expect(out.stdout.split(/\s+/).filter(Boolean)).toEqual(['159', '0', '2', '161']);
    expect(box.run(['delete', '--force', 'deep']).status).toBe(0);
    expectGone('deep');
  });

  it('the mount(2) fallback for kernels before 6.8 mounts shallow and deep images (symlink farm)', async () => {
    await deepImage(store, 160, 'deep:1');
    const legacy = { env: { ...process.env, TS_RUNC_OVERLAY_LEGACY: '1' } };
    const r = box.run(['run', '--image', 'deep:1', '--network', 'none', 'legacy', '--', 'cat', '/deep/top', '/deep/7'], legacy);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('159\n7\n');
    expectGone('legacy');
    // a shallow image fits in one option string: plain mount(2)
    const shallow = run(['shallow', '--', 'cat', '/etc/fixture-version'], legacy);
    expect(shallow.stderr).toBe('');
    expect(shallow.stdout).toBe('2\n');
    expectGone('shallow');
  });

  it('export writes the merged filesystem', () => {
    expect(run(['-d', 'ex', '--', 'sh', '-c', 'echo new > /new-file; rm /etc/fixture-added; sleep 60']).status).toBe(0);
    const root = join(box.storage, 'containers/ex/rootfs');
    for (let i = 0; i < 100 && !existsSync(join(root, 'new-file')); i++) spawnSync('sleep', ['0.05']);
    const tarFile = join(box.dir, 'ex.tar');
    expect(box.run(['export', '-o', tarFile, 'ex']).status).toBe(0);
    const listing = spawnSync('tar', ['-tvf', tarFile], { encoding: 'utf8' }).stdout;
    expect(listing).toMatch(/ new-file\n/);
    expect(listing).toMatch(/ bin\/busybox\n/);
    expect(listing).toMatch(/ etc\/fixture-version\n/);
    expect(listing).not.toContain('fixture-added');
    expect(listing).not.toContain('fixture-removed');
    expect(listing).not.toContain('.wh.');
    const version = spawnSync('tar', ['-xOf', tarFile, 'etc/fixture-version'], { encoding: 'utf8' }).stdout;
    expect(version).toBe('2\n');
  });

  it('export freezes a running container while it reads its files (no symlink-swap race), and thaws it after', async () => {
    expect(run(['-d', 'live', '--', 'sleep', '60']).status).toBe(0);
    const statusOf = () => (JSON.parse(box.run(['state', 'live']).stdout) as { status: string }).status;
    // stdout is not read yet: the rootfs (MBs) fills the pipe, so export waits mid-walk.
    const exporting = spawn(TS_RUNC, ['--root', box.root, '--storage', box.storage, 'export', 'live'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let status = statusOf();
    for (let i = 0; i < 100 && status !== 'paused'; i++) {
      await sleep(50);
      status = statusOf();
    }
    expect(status).toBe('paused');
    exporting.stdout.resume();
    const [code] = (await once(exporting, 'exit')) as [number];
    expect(code).toBe(0);
    expect(statusOf()).toBe('running');
  });

  it('commit makes an image with the change and the deletion; its USER and STOPSIGNAL apply', async () => {
    const script = [
      'echo 3 > /etc/fixture-version', 'rm /etc/fixture-added', 'mkdir -p /home/app',
      'echo app:x:1234:1234:app:/home/app:/bin/sh >> /etc/passwd', 'echo app:x:1234: >> /etc/group', 'echo extra:x:77:app >> /etc/group',
    ].join('; ');
    expect(run(['--keep', 'base', '--', 'sh', '-c', script]).status).toBe(0);
    const committed = box.run(['commit', '-c', 'USER app', '-c', 'STOPSIGNAL SIGUSR1', '-c', 'CMD ["id"]', 'base', 'committed:1']);
    expect(committed.stderr).toBe('');
    expect(committed.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(box.run(['delete', 'base']).status).toBe(0);

    const image = store.resolve('committed:1');
    expect(image.id).toBe(committed.stdout.trim());
    expect(image.layers).toHaveLength(4);
    expect(image.config.history?.at(-1)?.created_by).toBe('ts-runc commit base');

    const id = box.run(['run', '--image', 'committed:1', '--network', 'none', 'user']);
    expect(id.stderr).toBe('');
    expect(id.stdout).toBe('uid=1234(app) gid=1234(app) groups=77(extra)\n');
    const files = box.run(['run', '--image', 'committed:1', '--network', 'none', 'files', '--', 'sh', '-c', 'cat /etc/fixture-version; ls /etc/fixture-added 2>&1']);
    expect(files.stdout).toBe('3\nls: /etc/fixture-added: No such file or directory\n');

    // `kill` without a signal sends the image's StopSignal: pid 1 ignores SIGTERM it has no
    // handler for, so only SIGUSR1 (trapped) ends this one.
    expect(box.run(['run', '--image', 'committed:1', '--network', 'none', '-d', 'stop', '--', 'sh', '-c', 'trap "exit 0" USR1; while :; do sleep 0.1; done']).status).toBe(0);
    spawnSync('sleep', ['0.3']);
    expect(box.run(['kill', 'stop']).status).toBe(0);
    for (let i = 0; i < 100 && !box.run(['state', 'stop']).stdout.includes('"stopped"'); i++) spawnSync('sleep', ['0.05']);
    expect(box.run(['state', 'stop']).stdout).toContain('"stopped"');
  });

  it('bundle --image, then run -b DIR; bundle --remove cleans up and may be repeated', () => {
    const dir = join(box.dir, 'web');
    const made = box.run(['bundle', '--image', 'fixture:3layers', dir, '--', 'sh', '-c', 'cat /etc/fixture-version; echo hi > /written']);
    expect(made.stderr).toBe('');
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual(JSON.parse(made.stdout));
    expect(mountsMentioning(join(dir, 'rootfs'))).toHaveLength(1);
    expect(store.holders()).toEqual({ [`bundle:${dir}`]: store.resolve('fixture:3layers').id });
    const r = box.run(['run', '-b', dir, 'fromdir']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('2\n');
    // delete of the container leaves the user's bundle alone
    expect(readFileSync(join(dir, 'rootfs/written'), 'utf8')).toBe('hi\n');
    expect(box.run(['bundle', '--remove', dir]).status).toBe(0);
    expect(mountsMentioning(dir)).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    expect(store.holders()).toEqual({});
    expect(box.run(['bundle', '--remove', dir]).status).toBe(0);

    // A directory that already has a rootfs is refused and left as it was.
    const taken = join(box.dir, 'taken');
    mkdirSync(join(taken, 'rootfs'), { recursive: true });
    writeFileSync(join(taken, 'rootfs/keep'), 'mine');
    const refused = box.run(['bundle', '--image', 'fixture:3layers', taken]);
    expect(refused.stderr).toBe(`ts-runc: ${taken}/rootfs already exists: choose an empty or new directory\n`);
    expect(readdirSync(taken)).toEqual(['rootfs']);
    expect(readFileSync(join(taken, 'rootfs/keep'), 'utf8')).toBe('mine');
    expect(store.holders()).toEqual({});
  });

  it('volumes: a host directory with -v, and the image\'s Volumes seeded and removed with the container', async () => {
    const host = join(box.dir, 'hostdir');
    mkdirSync(host);
    writeFileSync(join(host, 'from-host'), 'h\n');
    expect(run(['--keep', 'seed', '--', 'sh', '-c', 'mkdir -p /data && echo seeded > /data/f']).status).toBe(0);
    expect(box.run(['commit', '-c', 'VOLUME ["/data"]', 'seed', 'vol:1']).status).toBe(0);
    expect(box.run(['delete', 'seed']).status).toBe(0);
    const r = box.run(['run', '--image', 'vol:1', '--network', 'none', '-v', `${host}:/mnt/host`, '-v', 'cache:/cache', '-d', 'vols', '--', 'sh', '-c', 'echo kept > /cache/k; echo back > /mnt/host/to-host; sleep 60']);
    expect(r.stderr).toBe('');
    for (let i = 0; i < 100 && !existsSync(join(host, 'to-host')); i++) spawnSync('sleep', ['0.05']);
    expect(readFileSync(join(host, 'to-host'), 'utf8')).toBe('back\n');
    // the image's VOLUME is an anonymous volume of the store (64 hex), the only one besides "cache"
    const anonymous = readdirSync(join(box.storage, 'volumes')).filter((n) => /^[0-9a-f]{64}$/.test(n));
    expect(anonymous).toHaveLength(1);
    const volume = join(box.storage, 'volumes', anonymous[0]!);
    expect(readFileSync(join(volume, '_data/f'), 'utf8')).toBe('seeded\n');
    expect(box.run(['delete', '--force', 'vols']).status).toBe(0);
    expect(existsSync(volume)).toBe(false);
    // a named volume outlives its container
    expect(readFileSync(join(box.storage, 'volumes/cache/_data/k'), 'utf8')).toBe('kept\n');
    expect(statSync(join(box.storage, 'volumes')).mode & 0o777, 'host users cannot reach volumes').toBe(0o700);
    expect(readFileSync(join(host, 'from-host'), 'utf8')).toBe('h\n');
  });
});
