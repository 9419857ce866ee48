/**
 * `ts-runc image build`, as root through the CLI, on the fixture image (fixture:3layers,
 * loaded into each test's own --storage): a multi-stage Dockerfile using every
 * instruction builds, and a container from it has the files, owners, modes, env, user,
 * workdir and command the Dockerfile says; the cache; .dockerignore; ONBUILD; and a failed
 * or killed build leaves nothing behind. ADD of a URL fetches from busybox httpd in a
 * network namespace of the test's own, where the build runs (nsenter --net).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, TS_RUNC, haveFixture, isRoot, mountsMentioning, sandbox, type Result, type Sandbox } from './helpers.js';
import { makeNetns, type Netns } from './netns.js';
import { PORT, writeContext } from './build-context.js';

const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');
const haveTools = ['tar', 'gzip', 'bzip2', 'xz', 'busybox', 'nsenter'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);
const haveRegistry = spawnSync('sh', ['-c', 'command -v docker-registry']).status === 0;
const suite = isRoot && haveFixture && existsSync(IMAGE_TAR) && haveTools ? describe : describe.skip;

function expectOk(r: Result): Result {
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

suite('image build', () => {
  let box: Sandbox;
  let ns: Netns;
  let context: string;
  let web = '';

  /** `ts-runc image build` inside the test's network namespace (for the URL). */
  const build = (args: string[], input?: string): Result => {
    const r = spawnSync('nsenter', [`--net=${ns.path}`, '--', TS_RUNC, '--root', box.root, '--storage', box.storage, 'image', 'build', ...args],
      { encoding: 'utf8', timeout: 300_000, ...(input !== undefined ? { input } : {}) });
    return { status: r.status ?? 128, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const run = (image: string, script: string, user?: string) =>
    box.run(['run', '--image', image, '--network', 'none', ...(user ? ['-u', user] : []), '--entrypoint', '/bin/sh', `c${Date.now()}`, '--', '-c', script], { timeout: 60_000 });
  const config = (image: string) => {
    const r = expectOk(box.run(['image', 'inspect', image]));
    return (JSON.parse(r.stdout) as { config: { config: Record<string, unknown>; author?: string; history: { created_by: string; empty_layer?: boolean }[] } }[])[0]!.config;
  };
  /** Nothing of a build is left: no mount, no runtime state, no container bundle, no work dir. */
  const expectNothingLeft = () => {
    expect(mountsMentioning(box.dir)).toEqual([]);
    expect(existsSync(box.root) ? readdirSync(box.root) : []).toEqual([]);
    expect(readdirSync(join(box.storage, 'containers')).length).toBe(0);
    expect(readdirSync(join(box.storage, 'build'))).toEqual([]);
  };

  beforeAll(() => {
    box = sandbox();
    expectOk(box.run(['image', 'load', '-i', IMAGE_TAR]));
    mkdirSync(join(box.storage, 'containers'), { recursive: true });
    ns = makeNetns('tsr-build');
    ns.run('ip', ['link', 'set', 'lo', 'up']);
    const www = join(box.dir, 'www');
    mkdirSync(www);
    writeFileSync(join(www, 'remote.txt'), 'fetched over http\n');
    ns.spawn('busybox', ['httpd', '-f', '-p', `127.0.0.1:${PORT}`, '-h', www]);
    for (let i = 0; i < 100 && ns.exec('busybox', ['wget', '-q', '-O-', `http://127.0.0.1:${PORT}/remote.txt`]).status !== 0; i++) spawnSync('sleep', ['0.1']);
    context = join(box.dir, 'context');
    writeContext(context);
  }, 60_000);

  afterAll(() => {
    for (const line of mountsMentioning(box.dir)) spawnSync('umount', ['-l', line.split(' ')[4]!]);
    ns?.remove();
    box?.cleanup();
  });

  it('builds a multi-stage Dockerfile using every instruction, printing the classic builder\'s lines', () => {
    const r = expectOk(build(['-t', 'web:1', '--build-arg', 'HTTP_PROXY=http://proxy.invalid:3128', '--label', 'built.by=test', context]));
    const out = r.stdout;
    // The stage "unused" is not built: 7 steps of "builder", 26 of "runtime" and the --label step.
    expect(out).toMatch(/^Step 1\/34 : FROM \$\{BASE\} AS builder$/m);
    expect(out).toMatch(/^Step 8\/34 : FROM \$\{BASE\} AS runtime$/m);
    expect(out).not.toContain('exit 3');
    expect(out).toMatch(/^Step 34\/34 : LABEL "built.by"="test"$/m);
    expect(out).toMatch(/^ ---> Running in [0-9a-f]{12}$/m);
    expect(out).toMatch(/^Removing intermediate container [0-9a-f]{12}$/m);
    expect(out).toMatch(/^Successfully built [0-9a-f]{12}$/m);
    expect(out).toMatch(/^Successfully tagged web:1$/m);
    web = /Successfully built ([0-9a-f]{12})/.exec(out)![1]!;
    expectNothingLeft();
  }, 300_000);

  it('gives the image the config the Dockerfile says', () => {
    const c = config('web:1');
    expect(c.author).toBe('Jane Doe <jane@example.com>');
    expect(c.config).toMatchObject({
      User: 'tester',
      WorkingDir: '/home/app/work',
      Entrypoint: ['/opt/app/bin/run.sh'],
      Cmd: ['--serve'],
      ExposedPorts: { '8080/tcp': {}, '80/tcp': {}, '9000/udp': {} },
      Volumes: { '/data': {} },
      StopSignal: 'SIGQUIT',
      Labels: { 'org.example.name': 'web app', 'org.example.version': '2', empty: '', 'built.by': 'test' },
      Healthcheck: { Test: ['CMD-SHELL', 'wget -q -O- localhost:8080 || exit 1'], Interval: 30e9, Timeout: 5e9, StartPeriod: 1e9, Retries: 3 },
      OnBuild: ['RUN echo triggered > /tmp/onbuild'],
      Shell: ['/bin/sh', '-e', '-c'],
    });
    expect(c.config.Env).toEqual(['PATH=/opt/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=hello world', 'SPACED=a b']);
    // ARGs and the proxy are not saved; history as the classic builder writes it
    const history = c.history.map((h) => h.created_by);
    expect(history).toContain('/bin/sh -e -c #(nop)  CMD ["--serve"]');
    expect(history).toContain('/bin/sh -c #(nop)  MAINTAINER Jane Doe <jane@example.com>');
    expect(history).toContain('/bin/sh -e -c #(nop)  ENTRYPOINT ["/opt/app/bin/run.sh"]');
    expect(history.some((h) => /^\|1 VERSION=2 \/bin\/sh -e -c echo "\$GREETING/.test(h))).toBe(true);
    expect(history.some((h) => /^\/bin\/sh -e -c #\(nop\) COPY file:[0-9a-f]{64} in \/opt\/app\/bin\/run.sh $/.test(h))).toBe(true);
    expect(c.history.find((h) => h.created_by.includes('EXPOSE'))).toMatchObject({ created_by: '/bin/sh -e -c #(nop)  EXPOSE 8080/tcp 9000/udp', empty_layer: true });
  });

  it('runs a container with the files, owners, modes, env, user and workdir the build made', () => {
    const r = expectOk(run('web:1', [
      'cd /; for f in /srv/version /srv/exec /srv/src/lib/util.txt /opt/app/bin/run.sh /etc/app/a.conf /etc/app/b.conf /opt/gz/data/file.txt /opt/bz2/data/file.txt /opt/xz/data/file.txt /opt/plain/plain.txt.gz /opt/remote/remote.txt; do',
      '  echo "$f $(stat -c "%u:%g %a" $f) $(head -c 40 $f | tr -d "\\0\\n\\037\\213" | head -c 20)"; done',
      'cat /opt/app/env.txt /tmp/uid /tmp/pwd; ls /data; ls /etc/app',
    ].join('\n'), '0'));
    const lines = r.stdout.split('\n');
    expect(lines).toContain('/srv/version 0:0 640 version 1');
    expect(lines).toContain('/srv/exec 1000:1000 644 exec form'); // --from keeps owners
    expect(lines).toContain('/srv/src/lib/util.txt 0:0 600 util');
    expect(lines).toContain('/opt/app/bin/run.sh 1000:1000 750 #!/bin/shecho "run.s');
    expect(lines).toContain('/etc/app/a.conf 0:0 644 a');
    for (const kind of ['gz', 'bz2', 'xz']) expect(lines).toContain(`/opt/${kind}/data/file.txt 123:456 604 from the archive`);
    expect(lines.find((l) => l.startsWith('/opt/plain/plain.txt.gz 0:0 644'))).toBeDefined();
    expect(lines).toContain('/opt/remote/remote.txt 1000:1000 600 fetched over http');
    // ARG and the predefined proxy arg reach RUN; the VOLUME's contents written by RUN are not kept
    expect(lines).toContain('hello world/2/a b/http://proxy.invalid:3128');
    expect(lines).toContain('1000');
    expect(lines).toContain('/home/app/work');
    expect(r.stdout).not.toContain('lost');
    expect(lines).toContain('a.conf');
    const as = expectOk(run('web:1', 'echo "user=$(id -u):$(id -g) pwd=$(pwd) greeting=$GREETING"'));
    expect(as.stdout).toBe('user=1000:1000 pwd=/home/app/work greeting=hello world\n');
    // the image's own entrypoint and cmd
    const own = expectOk(box.run(['run', '--image', 'web:1', '--network', 'none', `own${Date.now()}`], { timeout: 60_000 }));
    expect(own.stdout).toBe('run.sh --serve as 1000:1000 in /home/app/work greeting=hello world\n');
  });

  it('uses the cache for every step of a second build of the same context', () => {
    const r = expectOk(build(['-t', 'web:1', '--build-arg', 'HTTP_PROXY=http://proxy.invalid:3128', '--label', 'built.by=test', context]));
    const steps = r.stdout.split(/^Step /m).slice(1).filter((s) => !/^\d+\/\d+ : FROM /.test(s));
    expect(steps.length).toBe(32);
    for (const step of steps) expect(step, step).toContain(' ---> Using cache');
    expect(r.stdout).not.toContain('Running in');
    expect(r.stdout).toContain(`Successfully built ${web}`);
    // image ls leaves out the nameless images steps were built on; -a shows them. As with
    // docker, the last image of the "builder" stage (nothing was built on it) stays listed.
    const shown = expectOk(box.run(['image', 'ls', '-q'])).stdout.trim().split('\n');
    const all = expectOk(box.run(['image', 'ls', '-a', '-q'])).stdout.trim().split('\n');
    expect(shown.length).toBe(3);
    expect(shown).toContain(web);
    expect(shown).toContain(expectOk(box.run(['image', 'ls', '-q', 'fixture'])).stdout.trim());
    expect(all.length).toBeGreaterThan(30);
  }, 300_000);

  it('rebuilds from the COPY of a changed file on, and prints only the id with -q', () => {
    writeFileSync(join(context, 'b.conf'), 'b changed\n');
    const r = expectOk(build(['-t', 'web:2', '--build-arg', 'HTTP_PROXY=http://proxy.invalid:3128', '--label', 'built.by=test', context]));
    const steps = r.stdout.split(/^Step /m).slice(1);
    const changed = steps.findIndex((s) => s.startsWith('17/34 : COPY *.conf'));
    expect(changed).toBe(16);
    for (const step of steps.slice(1, changed)) if (!/ : FROM /.test(step)) expect(step, step).toContain('Using cache');
    for (const step of steps.slice(changed)) expect(step, step).not.toContain('Using cache');
    expect(expectOk(run('web:2', 'cat /etc/app/b.conf')).stdout).toBe('b changed\n');
    const quiet = expectOk(build(['-q', context]));
    expect(quiet.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expectNothingLeft();
  }, 300_000);

  it('keeps what .dockerignore names out of COPY, with ! exceptions', () => {
    const dir = join(box.dir, 'ignore-ctx');
    mkdirSync(join(dir, 'ignored'), { recursive: true });
    writeFileSync(join(dir, 'Dockerfile'), 'FROM fixture:3layers\nCOPY . /ctx/\n');
    writeFileSync(join(dir, '.dockerignore'), '*.key\nignored\n!ignored/keep.txt\nDockerfile\n');
    for (const f of ['a.txt', 'secret.key', 'ignored/x', 'ignored/keep.txt']) writeFileSync(join(dir, f), `${f}\n`);
    expectOk(build(['-t', 'ignore:1', dir]));
    expect(expectOk(run('ignore:1', 'cd /ctx && find . | sort')).stdout).toBe('.\n./.dockerignore\n./a.txt\n./ignored\n./ignored/keep.txt\n');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM fixture:3layers\nCOPY secret.key /\n');
    const missing = build(['-t', 'ignore:2', dir]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('Dockerfile:2: COPY failed: file not found in build context or excluded by .dockerignore: stat secret.key');
  }, 300_000);

  it('runs the ONBUILD triggers when a child image is built FROM it', () => {
    const dir = join(box.dir, 'child');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM web:1\nUSER root\n');
    const r = expectOk(build(['-t', 'child:1', dir]));
    expect(r.stdout).toContain('# Executing 1 build trigger\n');
    expect(expectOk(run('child:1', 'cat /tmp/onbuild')).stdout).toBe('triggered\n');
    expect(config('child:1').config.OnBuild ?? null).toBeNull();
  }, 300_000);

  it('reads a tar context or a lone Dockerfile from stdin, and refuses URL contexts', () => {
    const lone = build(['-t', 'lone:1', '-'], 'FROM fixture:3layers\nRUN echo lone > /lone\n');
    expectOk(lone);
    expect(expectOk(run('lone:1', 'cat /lone')).stdout).toBe('lone\n');
    const dir = join(box.dir, 'tarctx');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM fixture:3layers\nCOPY hello.txt /\n');
    writeFileSync(join(dir, 'hello.txt'), 'from a tar\n');
    const packed = spawnSync('tar', ['-C', dir, '-czf', '-', '.'], { maxBuffer: 1 << 24 });
    const viaTar = spawnSync('nsenter', [`--net=${ns.path}`, '--', TS_RUNC, '--root', box.root, '--storage', box.storage, 'image', 'build', '-t', 'tar:1', '-'],
      { input: packed.stdout, timeout: 120_000 });
    expect(viaTar.status, String(viaTar.stderr)).toBe(0);
    expect(expectOk(run('tar:1', 'cat /hello.txt')).stdout).toBe('from a tar\n');
    const git = build(['https://github.com/example/repo.git']);
    expect(git.status).toBe(1);
    expect(git.stderr).toMatch(/git and URL contexts are not supported/);
  }, 300_000);

  it('names the line of a failing RUN and leaves nothing behind', () => {
    const dir = join(box.dir, 'fail');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM fixture:3layers\nRUN echo before > /before\n\nRUN echo output of the failure; exit 7\nRUN echo never\n');
    const before = JSON.parse(expectOk(box.run(['image', 'ls', '--format', 'json'])).stdout) as unknown[];
    const r = build(['-t', 'fail:1', dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('output of the failure');
    expect(r.stderr).toContain("Dockerfile:4: RUN returned exit code 7: The command '/bin/sh -c echo output of the failure; exit 7' returned a non-zero code: 7");
    expectNothingLeft();
    const after = JSON.parse(expectOk(box.run(['image', 'ls', '--format', 'json'])).stdout) as { names: string[] }[];
    expect(after.some((i) => i.names.includes('fail:1'))).toBe(false);
    // only the successful step's image (the cache) was added
    expect(after.length).toBe(before.length + 1);
  }, 300_000);

  it('leaves nothing once the next build has run after a builder killed mid-RUN', async () => {
    const dir = join(box.dir, 'killed');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM fixture:3layers\nRUN echo started; sleep 300\n');
    const child = spawn(TS_RUNC, ['--root', box.root, '--storage', box.storage, 'image', 'build', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    for (let i = 0; i < 600 && !/^started$/m.test(out); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(out).toMatch(/^started$/m);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    expect(mountsMentioning(box.storage).length).toBeGreaterThan(0);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM fixture:3layers\n');
    expectOk(build([dir]));
    expectNothingLeft();
  }, 300_000);

  it('stops at SIGINT during a RUN and leaves nothing behind', async () => {
    const dir = join(box.dir, 'interrupted');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM fixture:3layers\nRUN echo started; sleep 300\n');
    const child = spawn(TS_RUNC, ['--root', box.root, '--storage', box.storage, 'image', 'build', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    for (let i = 0; i < 600 && !/^started$/m.test(out); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGINT');
    const status = await new Promise((resolve) => child.on('exit', resolve));
    expect(status).toBe(1);
    expect(err).toContain('Dockerfile:2: build interrupted');
    expectNothingLeft();
  }, 300_000);

  it('drops the build cache with pruneBuildCache (what image prune calls), keeping named images', async () => {
    const [{ pruneBuildCache }, { ImageStore }] = await Promise.all([import('../../src/build/cache.js'), import('../../src/image/store.js')]);
    const store = new ImageStore(box.storage);
    const before = store.list();
    expect(before.filter((i) => i.names.length === 0).length).toBeGreaterThan(10);
    const removed = await pruneBuildCache(box.storage, store);
    expect(removed.length).toBeGreaterThan(10);
    expect(store.list().every((i) => i.names.length > 0)).toBe(true);
    expect(existsSync(join(box.storage, 'build-cache'))).toBe(false);
    expect(expectOk(run('web:1', 'cat /etc/app/a.conf', '0')).stdout).toBe('a\n');
    const again = expectOk(build(['--build-arg', 'HTTP_PROXY=http://proxy.invalid:3128', '--label', 'built.by=test', context]));
    expect(again.stdout).not.toContain('Using cache');
  }, 300_000);

  it('never writes through a symlink of the image or the context to the host', () => {
    const dir = join(box.dir, 'symlinks');
    const marker = `ts-runc-build-escape-${process.pid}`;
    mkdirSync(join(dir, 'tree'), { recursive: true });
    writeFileSync(join(dir, 'a.txt'), 'inside\n');
    symlinkSync('/etc', join(dir, 'tree/etc-link'));
    symlinkSync('/etc/hostname', join(dir, 'outside'));
    writeFileSync(join(dir, 'Dockerfile'), [
      'FROM fixture:3layers',
      'RUN ln -s / /escape && ln -s ../../../../../../../tmp /rel && ln -s /tmp/' + marker + '-file /tmp/dangling',
      `COPY a.txt /escape/tmp/${marker}-abs`,
      `COPY a.txt /rel/${marker}-rel`,
      'COPY a.txt /tmp/dangling',
      `WORKDIR /escape/tmp/${marker}-wd`,
      'COPY tree/ /tree/',
      '',
    ].join('\n'));
    expectOk(build(['-t', 'links:1', dir]));
    for (const name of [`${marker}-abs`, `${marker}-rel`, `${marker}-wd`, `${marker}-file`]) expect(existsSync(join('/tmp', name)), name).toBe(false);
    const r = expectOk(run('links:1', `cat /tmp/${marker}-abs /tmp/${marker}-rel /tmp/${marker}-file; ls -d /tmp/${marker}-wd; readlink /tree/etc-link`, '0'));
    expect(r.stdout).toBe(`inside\ninside\ninside\n/tmp/${marker}-wd\n/etc\n`);
    // a context symlink is resolved inside the context: /etc/hostname there does not exist
    writeFileSync(join(dir, 'Dockerfile'), 'FROM fixture:3layers\nCOPY outside /x\n');
    const out = build([dir]);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('Dockerfile:2: COPY failed: file not found in build context');
  }, 300_000);

  it.skipIf(!haveRegistry)('pulls a base image that is not in the store when its name has a registry host (docker-registry in the test\'s netns)', () => {
    const registry = join(box.dir, 'registry');
    mkdirSync(registry);
    writeFileSync(join(registry, 'config.yml'), ['version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${registry}/data`,
      'http:', '  addr: 127.0.0.1:5099', ''].join('\n'));
    ns.spawn('docker-registry', ['serve', join(registry, 'config.yml')]);
    const inNs = (args: string[], storage = box.storage) => {
      const r = spawnSync('nsenter', [`--net=${ns.path}`, '--', TS_RUNC, '--root', box.root, '--storage', storage, ...args], { encoding: 'utf8', timeout: 120_000 });
      return { status: r.status ?? 128, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    };
    let pushed = inNs(['image', 'push', 'fixture:3layers', '127.0.0.1:5099/base/fixture:1']);
    for (let i = 0; i < 100 && pushed.status !== 0; i++) {
      spawnSync('sleep', ['0.2']);
      pushed = inNs(['image', 'push', 'fixture:3layers', '127.0.0.1:5099/base/fixture:1']);
    }
    expectOk(pushed);
    const dir = join(box.dir, 'pull');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM 127.0.0.1:5099/base/fixture:1\nRUN cat /etc/fixture-version > /v\n');
    const storage = join(box.dir, 'storage-pull');
    const r = expectOk(inNs(['image', 'build', '-t', 'pulled:1', dir], storage));
    expect(r.stdout).toContain('Pulling 127.0.0.1:5099/base/fixture:1');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM nothere/fixture:1\n');
    const missing = inNs(['image', 'build', dir], storage);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('Dockerfile:1: image nothere/fixture:1 is not in the store');
  }, 300_000);

  it('keeps the mount points the runtime creates for RUN (/proc, /dev, /sys, /etc/hosts…) out of the layer', () => {
    const dir = join(box.dir, 'targets');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM fixture:3layers AS base\nFROM scratch\nCOPY --from=base /bin /bin\nRUN ["/bin/true"]\nRUN ["/bin/sh", "-c", "echo x > /made"]\n');
    expectOk(build(['-t', 'targets:1', dir]));
    const inspect = JSON.parse(expectOk(box.run(['image', 'inspect', 'targets:1'])).stdout) as { manifest: { layers: { digest: string }[] }; config: { history: { empty_layer?: boolean }[] } }[];
    const { manifest, config: image } = inspect[0]!;
    expect(manifest.layers.length).toBe(2); // COPY and the second RUN; /bin/true changed nothing
    expect(image.history.map((h) => h.empty_layer === true)).toEqual([false, true, false]);
    const last = manifest.layers[1]!.digest.replace('sha256:', '');
    const listing = spawnSync('tar', ['-tf', join(box.storage, 'images/blobs/sha256', last)], { encoding: 'utf8' });
    expect(listing.stdout).toBe('made\n');
  }, 300_000);

  it('keeps hardlinks within a COPY, and refuses a base image of another platform', () => {
    const dir = join(box.dir, 'hardlinks');
    mkdirSync(join(dir, 'd'), { recursive: true });
    writeFileSync(join(dir, 'd/a'), 'same\n');
    spawnSync('ln', ['-f', join(dir, 'd/a'), join(dir, 'd/b')]);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM fixture:3layers\nCOPY d /d/\n');
    expectOk(build(['-t', 'hardlinks:1', dir]));
    const r = expectOk(run('hardlinks:1', 'stat -c "%h %i" /d/a /d/b', '0'));
    const [a, b] = r.stdout.trim().split('\n');
    expect(a).toMatch(/^2 /);
    expect(a).toBe(b);
    const other = build(['--platform', 'linux/s390x', dir]);
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/Dockerfile:1: FROM fixture:3layers: the image is linux\/\w+, not the requested linux\/s390x/);
  }, 300_000);
});
