/**
 * ts-runc's builder against a peer: the same context (build-context.ts, without the ADD of
 * a URL) built by `buildah bud` (Debian's buildah, runc as its runtime, vfs storage in a
 * temporary directory, RUN with --network none; the base image is the fixture's OCI archive)
 * and by `ts-runc image build`. Both images' file trees are read from a mount of each
 * (`buildah mount`, `ts-runc bundle --image`) and compared entry by entry: path, type,
 * permission bits, owner, link target and content (not times); then the configs.
 * Where the two builders differ by design, the difference is listed here and in the README.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKERFILE, writeContext } from './build-context.js';
import { call, containersConf, explain, installed, killPids, missingForClients, pidsMentioning, removeCgroupTree, tempDir, unmountAllUnder } from './clients.js';
import { REPO, TS_RUNC, haveFixture, isRoot } from './helpers.js';

const BUILDAH = installed('buildah');
const RUNC = installed('runc');
const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');
const missing = missingForClients([['buildah', 'buildah'], ['runc', 'runc']]);
const suite = isRoot && haveFixture && missing.length === 0 ? describe : describe.skip;

/** The shared Dockerfile without the URL (no server here). */
const PEER_DOCKERFILE = DOCKERFILE.split('\n').filter((line) => !line.includes('http://')).join('\n');

interface Entry {
  type: string;
  mode: string;
  owner: string;
  link?: string;
  sha?: string;
}

/** Every entry of a tree (not its root), by path. */
function tree(root: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = `${rel}/${name}`;
      const host = join(root, path);
      const s = lstatSync(host);
      const type = s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : s.isFile() ? 'file' : s.isCharacterDevice() ? 'char' : s.isBlockDevice() ? 'block' : s.isFIFO() ? 'fifo' : 'other';
      entries.set(path, {
        type, mode: (s.mode & 0o7777).toString(8), owner: `${s.uid}:${s.gid}`,
        ...(s.isSymbolicLink() ? { link: readlinkSync(host) } : {}),
        ...(s.isFile() ? { sha: createHash('sha256').update(readFileSync(host)).digest('hex').slice(0, 16) } : {}),
      });
      if (s.isDirectory()) walk(path);
    }
  };
  walk('');
  return entries;
}

/** Differences between two trees, as readable lines. */
function differences(ours: Map<string, Entry>, theirs: Map<string, Entry>): string[] {
  const lines: string[] = [];
  for (const path of new Set([...ours.keys(), ...theirs.keys()])) {
    const a = ours.get(path);
    const b = theirs.get(path);
    if (!a) lines.push(`only buildah: ${path} ${JSON.stringify(b)}`);
    else if (!b) lines.push(`only ts-runc: ${path} ${JSON.stringify(a)}`);
    else if (JSON.stringify(a) !== JSON.stringify(b)) lines.push(`differs: ${path} ts-runc ${JSON.stringify(a)} buildah ${JSON.stringify(b)}`);
  }
  return lines.sort();
}

suite('image build against buildah bud', () => {
  let dir = '';
  let env: NodeJS.ProcessEnv = {};
  const buildah = (args: string[]) => call([BUILDAH!, '--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--storage-driver', 'vfs', ...args], { env, timeout: 300_000 });
  const tsrunc = (args: string[]) => call([TS_RUNC, '--root', join(dir, 'state'), '--storage', join(dir, 'storage'), ...args], { timeout: 300_000 });

  beforeAll(() => {
    dir = tempDir('build-peer');
    for (const sub of ['run', 'tmp', 'cni']) mkdirSync(join(dir, sub));
    writeFileSync(join(dir, 'containers.conf'), containersConf(dir));
    env = { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf'), TMPDIR: join(dir, 'tmp') };
    writeContext(join(dir, 'context'), PEER_DOCKERFILE);
    const loaded = tsrunc(['image', 'load', '-i', IMAGE_TAR]);
    if (loaded.status !== 0) throw new Error(explain(loaded));
  }, 120_000);

  afterAll(() => {
    if (!dir) return;
    buildah(['rm', '--all']);
    buildah(['rmi', '--all', '--force']);
    call([TS_RUNC, '--storage', join(dir, 'storage'), 'bundle', '--remove', join(dir, 'bundle')]);
    call([TS_RUNC, '--storage', join(dir, 'storage2'), 'bundle', '--remove', join(dir, 'bundle2')]);
    killPids(pidsMentioning(dir));
    unmountAllUnder(dir);
    removeCgroupTree(`/${dir.split('/').pop()}`);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('makes the same file tree and config as buildah from the same Dockerfile', () => {
    const theirs = buildah(['bud', '--runtime', RUNC!, '--isolation', 'oci', '--network', 'none', '--format', 'docker', '--pull=never',
      `--cgroup-parent=/${dir.split('/').pop()}`, '--build-arg', `BASE=oci-archive:${IMAGE_TAR}`, '--build-arg', 'HTTP_PROXY=http://proxy.invalid:3128',
      '-t', 'localhost/peer:buildah', join(dir, 'context')]);
    expect(theirs.status, explain(theirs)).toBe(0);
    const ours = tsrunc(['image', 'build', '--build-arg', 'HTTP_PROXY=http://proxy.invalid:3128', '-t', 'peer:ts-runc', join(dir, 'context')]);
    expect(ours.status, explain(ours)).toBe(0);

    // buildah's image is exported and mounted the same way as ours (`buildah from` would
    // run its ONBUILD trigger): an OCI archive, loaded into a second store, `bundle --image`.
    const pushed = buildah(['push', 'localhost/peer:buildah', `oci-archive:${join(dir, 'peer.tar')}`]);
    expect(pushed.status, explain(pushed)).toBe(0);
    const other = (args: string[]) => call([TS_RUNC, '--root', join(dir, 'state'), '--storage', join(dir, 'storage2'), ...args], { timeout: 300_000 });
    const loaded = other(['image', 'load', '-i', join(dir, 'peer.tar')]);
    expect(loaded.status, explain(loaded)).toBe(0);
    const theirBundle = other(['bundle', '--image', loaded.stdout.trim().replace(/^Loaded image( ID)?: /, ''), join(dir, 'bundle2')]);
    expect(theirBundle.status, explain(theirBundle)).toBe(0);
    const bundle = tsrunc(['bundle', '--image', 'peer:ts-runc', join(dir, 'bundle')]);
    expect(bundle.status, explain(bundle)).toBe(0);

    const diff = differences(tree(join(dir, 'bundle/rootfs')), tree(join(dir, 'bundle2/rootfs')));
    // Where the classic builder (and so ts-runc) and buildah 1.28 differ by design:
    expect(diff).toEqual([
      // WORKDIR after USER: the classic builder creates the directory as root
      // (moby ContainerCreateWorkdir: SetupWorkingDirectory(RootPair)); buildah, like
      // BuildKit, gives it to the USER
      'differs: /home/app/work ts-runc {"type":"dir","mode":"755","owner":"0:0"} buildah {"type":"dir","mode":"755","owner":"1000:1000"}',
    ]);

    const inspect = buildah(['inspect', '--type', 'image', 'localhost/peer:buildah']);
    const theirConfig = (JSON.parse(inspect.stdout) as { Docker: { config: Record<string, unknown>; author?: string } }).Docker;
    const ourConfig = (JSON.parse(tsrunc(['image', 'inspect', 'peer:ts-runc']).stdout) as { config: { config: Record<string, unknown>; author?: string } }[])[0]!.config;
    const pick = (c: Record<string, unknown>) => Object.fromEntries(['User', 'Env', 'Entrypoint', 'Cmd', 'WorkingDir', 'ExposedPorts', 'Volumes', 'Labels', 'StopSignal', 'Healthcheck', 'OnBuild', 'Shell'].map((k) => [k, c[k] ?? null]));
    // buildah stamps its own version as a label; nothing else may differ
    const theirs2 = pick(theirConfig.config) as { Labels: Record<string, string> };
    expect(theirs2.Labels['io.buildah.version']).toBeDefined();
    delete theirs2.Labels['io.buildah.version'];
    expect(pick(ourConfig.config)).toEqual(theirs2);
    expect(ourConfig.author).toBe(theirConfig.author);
  }, 600_000);

  it('agrees with buildah on deletions, replaced directories, links and merges into existing directories', () => {
    const context = join(dir, 'context2');
    writeContext(context, [
      'ARG BASE=fixture:3layers',
      'FROM ${BASE}',
      // a deleted file and a deleted directory made again: OCI whiteouts and an opaque directory
      'RUN rm /etc/fixture-added && rm -rf /usr && mkdir -p /usr/local && echo new > /usr/local/x',
      'RUN mkdir -p /opt/a/b && echo 1 > /opt/a/b/f && ln -s b /opt/a/link && ln /opt/a/b/f /opt/a/hard && chmod 4755 /opt/a/b/f',
      // a directory merged into an existing one, wildcards, a relative WORKDIR
      'COPY src/ /opt/a/',
      'COPY *.conf /opt/confs/',
      'WORKDIR rel/dir',
      'RUN touch here && mkfifo fifo',
      'ADD archive.tar.gz /opt/a/',
      // a directory replaced by a file
      'RUN rm -rf /opt/a/b && echo file > /opt/a/b',
      '',
    ].join('\n'));
    const theirs = buildah(['bud', '--runtime', RUNC!, '--isolation', 'oci', '--network', 'none', '--format', 'docker', '--pull=never',
      `--cgroup-parent=/${dir.split('/').pop()}`, '--build-arg', `BASE=oci-archive:${IMAGE_TAR}`, '-t', 'localhost/peer2:buildah', context]);
    expect(theirs.status, explain(theirs)).toBe(0);
    const ours = tsrunc(['image', 'build', '-t', 'peer2:ts-runc', context]);
    expect(ours.status, explain(ours)).toBe(0);
    const pushed = buildah(['push', 'localhost/peer2:buildah', `oci-archive:${join(dir, 'peer2.tar')}`]);
    expect(pushed.status, explain(pushed)).toBe(0);
    const other = (args: string[]) => call([TS_RUNC, '--root', join(dir, 'state'), '--storage', join(dir, 'storage2'), ...args], { timeout: 300_000 });
    const loaded = other(['image', 'load', '-i', join(dir, 'peer2.tar')]);
    expect(loaded.status, explain(loaded)).toBe(0);
    expect(other(['bundle', '--image', loaded.stdout.trim().replace(/^Loaded image( ID)?: /, ''), join(dir, 'bundle2b')]).status).toBe(0);
    expect(tsrunc(['bundle', '--image', 'peer2:ts-runc', join(dir, 'bundle1b')]).status).toBe(0);
    try {
      const ourTree = tree(join(dir, 'bundle1b/rootfs'));
      expect(ourTree.has('/etc/fixture-added')).toBe(false);
      expect(ourTree.get('/opt/a/b')?.type).toBe('file');
      expect(ourTree.get('/opt/a/link')).toMatchObject({ type: 'symlink', link: 'b' });
      expect([...ourTree.keys()].filter((p) => p.startsWith('/usr/'))).toEqual(['/usr/local', '/usr/local/x']);
      expect(ourTree.get('/rel/dir/fifo')?.type).toBe('fifo');
      expect(differences(ourTree, tree(join(dir, 'bundle2b/rootfs')))).toEqual([]);
    } finally {
      call([TS_RUNC, '--storage', join(dir, 'storage'), 'bundle', '--remove', join(dir, 'bundle1b')]);
      call([TS_RUNC, '--storage', join(dir, 'storage2'), 'bundle', '--remove', join(dir, 'bundle2b')]);
    }
  }, 600_000);
});
