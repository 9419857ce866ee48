/**
 * Push and pull through real registries: Debian's docker-registry (distribution 2.8),
 * started by this test on 127.0.0.1 with a random port and its storage in a temporary
 * directory, and killed by pid at the end.
 *
 *  - an open registry: push, skopeo sees the same digest, a second push skips every blob
 *    (HEAD), pull by tag and by digest round-trip the digest, a manifest list gives this
 *    machine's image (or the one --platform names), a corrupted blob is refused;
 *  - a registry with token auth (`auth: token`): its realm is a token server this test runs
 *    as a separate Node process, issuing RS256 JWTs signed with a key and self-signed
 *    certificate made by openssl; the registry trusts that certificate (rootcertbundle).
 *    Anonymous tokens allow pull only; alice's credentials allow push.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_TAR, call, explain, installed, isAlive, ociArch, sleep, tempDir } from './clients.js';
import { haveFixture, isRoot, sandbox, type Result, type Sandbox } from './helpers.js';

const missing = [
  ...(isRoot ? [] : ['root']),
  ...(haveFixture && existsSync(FIXTURE_TAR) ? [] : ['a built ts-runc and its fixture (make build fixture)']),
  ...(['docker-registry', 'skopeo', 'openssl'].filter((exe) => !installed(exe)).map((exe) => `${exe} (apt-get install ${exe === 'openssl' ? 'openssl' : exe})`)),
];
const suite = missing.length === 0 ? describe : describe.skip;
if (missing.length > 0) console.warn(`registry tests skipped: need ${missing.join(', ')}`);

const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OTHER_ARCH = ociArch() === 'arm64' ? 'amd64' : 'arm64';

/** A port nobody listens on right now (the kernel picks it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts a background process with its output in `log`; returns its pid. */
function startProcess(argv: string[], log: string, cwd: string): number {
  const fd = openSync(log, 'w');
  const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', fd, fd], detached: false });
  closeSync(fd);
  child.unref();
  return child.pid!;
}

/** Polls `url` until anything answers over HTTP. */
async function waitForHttp(url: string, log: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${url} did not come up:\n${readFileSync(log, 'utf8')}`);
}

function registryConfig(storage: string, port: number, auth = ''): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: ts-runc-test',
    auth,
    '',
  ].join('\n');
}

/**
 * The token server (distribution docs/spec/auth/jwt.md): a JWT with the certificate in
 * `x5c`, issuer and audience the registry expects, and the granted actions in `access`.
 * It logs each request as a JSON line so the test can see who asked for what.
 */
const TOKEN_SERVER = `
import { createServer } from 'node:http';
import { createSign, X509Certificate, randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
const [port, keyFile, certFile, logFile] = process.argv.slice(2);
const key = readFileSync(keyFile);
const cert = new X509Certificate(readFileSync(certFile));
const b64u = (v) => Buffer.from(v).toString('base64url');
const ALICE = 'Basic ' + Buffer.from('alice:s3cret').toString('base64');
createServer((req, res) => {
  const url = new URL(req.url, 'http://token');
  const scope = url.searchParams.get('scope') ?? '';
  const [type, name, actions = ''] = scope.split(':');
  const user = req.headers.authorization === ALICE ? 'alice' : req.headers.authorization ? 'bad' : 'anonymous';
  appendFileSync(logFile, JSON.stringify({ scope, service: url.searchParams.get('service'), user }) + '\\n');
  if (user === 'bad') { res.writeHead(401); res.end('{"errors":[{"code":"UNAUTHORIZED","message":"wrong password"}]}'); return; }
  const granted = actions.split(',').filter((a) => a === 'pull' || user === 'alice');
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', x5c: [cert.raw.toString('base64')] };
  const claims = { iss: 'ts-runc-test-issuer', sub: user, aud: url.searchParams.get('service'), exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(),
    access: scope ? [{ type, name, actions: granted }] : [] };
  const input = b64u(JSON.stringify(header)) + '.' + b64u(JSON.stringify(claims));
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ token: input + '.' + b64u(createSign('RSA-SHA256').update(input).sign(key)) }));
}).listen(Number(port), '127.0.0.1');
`;

const digestOf = (r: Result) => /^Digest: (sha256:[0-9a-f]{64})$/m.exec(r.stdout)?.[1];
const count = (text: string, word: string) => text.split('\n').filter((l) => l.includes(word)).length;

suite('image push and pull through a local registry (docker-registry)', () => {
  let dir: string;
  let registry: string;
  let tokenRegistry: string;
  let tokenLog: string;
  const pids: number[] = [];
  let box: Sandbox;
  let pushed: string;

  beforeAll(async () => {
    dir = tempDir('registry');
    // The open registry.
    const port = await freePort();
    writeFileSync(join(dir, 'open.yml'), registryConfig(join(dir, 'open-data'), port));
    pids.push(startProcess(['docker-registry', 'serve', join(dir, 'open.yml')], join(dir, 'open.log'), dir));
    registry = `127.0.0.1:${port}`;

    // The token-auth registry and its token server.
    const openssl = call(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'),
      '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=ts-runc test token issuer']);
    if (openssl.status !== 0) throw new Error(explain(openssl));
    const tokenPort = await freePort();
    tokenLog = join(dir, 'tokens.log');
    writeFileSync(tokenLog, '');
    writeFileSync(join(dir, 'token-server.mjs'), TOKEN_SERVER);
    pids.push(startProcess([process.execPath, join(dir, 'token-server.mjs'), String(tokenPort), join(dir, 'key.pem'), join(dir, 'cert.pem'), tokenLog],
      join(dir, 'token-server.log'), dir));
    const authPort = await freePort();
    writeFileSync(join(dir, 'token.yml'), registryConfig(join(dir, 'token-data'), authPort, [
      'auth:',
      '  token:',
      `    realm: http://127.0.0.1:${tokenPort}/token`,
      '    service: ts-runc-test-registry',
      '    issuer: ts-runc-test-issuer',
      `    rootcertbundle: ${join(dir, 'cert.pem')}`,
    ].join('\n')));
    pids.push(startProcess(['docker-registry', 'serve', join(dir, 'token.yml')], join(dir, 'token.log'), dir));
    tokenRegistry = `127.0.0.1:${authPort}`;

    await waitForHttp(`http://${registry}/v2/`, join(dir, 'open.log'));
    await waitForHttp(`http://${tokenRegistry}/v2/`, join(dir, 'token.log'));
    await waitForHttp(`http://127.0.0.1:${tokenPort}/token`, join(dir, 'token-server.log'));
    writeFileSync(tokenLog, '');

    box = sandbox();
    const imported = box.run(['image', 'import', FIXTURE_TAR, 'test/base:1']);
    if (imported.status !== 0) throw new Error(`image import: ${imported.stderr}`);
  });

  afterAll(() => {
    box?.cleanup();
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGTERM');
    for (const pid of pids) for (let i = 0; i < 50 && isAlive(pid); i++) sleep(100);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('pushes an image: every blob, then the manifest, and skopeo sees the same digest', () => {
    const push = box.run(['image', 'push', 'test/base:1', `${registry}/test/base:1`]);
    expect(push.status, push.stderr).toBe(0);
    pushed = digestOf(push)!;
    expect(pushed).toMatch(/^sha256:/);
    expect(count(push.stderr, '  pushed')).toBe(2); // one line for the config, one for the layer
    expect(push.stderr).toContain('2 blob(s) pushed, 0 already in the registry');

    const inspect = call(['skopeo', 'inspect', '--tls-verify=false', `docker://${registry}/test/base:1`]);
    expect(inspect.status, explain(inspect)).toBe(0);
    expect(JSON.parse(inspect.stdout).Digest).toBe(pushed);
    // The manifest on the registry is byte for byte the stored one.
    const raw = call(['skopeo', 'inspect', '--raw', '--tls-verify=false', `docker://${registry}/test/base:1`]);
    expect(sha256(raw.stdout)).toBe(pushed);
  });

  it('a second push finds every blob on the registry (HEAD) and uploads nothing', () => {
    const again = box.run(['image', 'push', 'test/base:1', `${registry}/test/base:1`]);
    expect(again.status, again.stderr).toBe(0);
    expect(digestOf(again)).toBe(pushed);
    expect(count(again.stderr, 'already exists')).toBe(2);
    expect(again.stderr).toContain('0 blob(s) pushed, 2 already in the registry');
  });

  it('pulls back by tag and by digest after the local image is removed: same digest, same layers', () => {
    const before = box.run(['image', 'inspect', 'test/base:1']);
    expect(before.status, before.stderr).toBe(0);
    const layers = JSON.parse(before.stdout)[0].layers.map((l: { digest: string }) => l.digest);
    expect(box.run(['image', 'rm', 'test/base:1']).status).toBe(0);

    const byTag = box.run(['image', 'pull', `${registry}/test/base:1`]);
    expect(byTag.status, byTag.stderr).toBe(0);
    expect(digestOf(byTag)).toBe(pushed);
    const after = box.run(['image', 'inspect', `${registry}/test/base:1`]);
    expect(after.status, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout)[0].manifestDigest).toBe(pushed);
    expect(JSON.parse(after.stdout)[0].layers.map((l: { digest: string }) => l.digest)).toEqual(layers);
    // And the pulled image runs.
    const ran = box.run(['run', '--image', `${registry}/test/base:1`, '--network', 'none', '--name', 'pulled', '--', 'sh', '-c', 'echo pulled image runs; ls /bin/busybox']);
    expect(ran.status, ran.stderr).toBe(0);
    expect(ran.stdout).toBe('pulled image runs\n/bin/busybox\n');

    // By digest, into the same store: the digest is checked, and nothing is fetched twice.
    const byDigest = box.run(['image', 'pull', `${registry}/test/base@${pushed}`]);
    expect(byDigest.status, byDigest.stderr).toBe(0);
    expect(digestOf(byDigest)).toBe(pushed);
    expect(byDigest.stderr).toContain('0 blob(s) fetched, 2 already present');
    expect(box.run(['image', 'inspect', `${registry}/test/base@${pushed}`]).status).toBe(0);

    // By digest into an empty store: everything is fetched.
    const fresh = sandbox();
    try {
      const pulled = fresh.run(['image', 'pull', '-q', `${registry}/test/base@${pushed}`]);
      expect(pulled.status, pulled.stderr).toBe(0);
      expect(pulled.stderr).toBe('');
      expect(digestOf(pulled)).toBe(pushed);
      const inspected = fresh.run(['image', 'inspect', `${registry}/test/base@${pushed}`]);
      expect(JSON.parse(inspected.stdout)[0].layers.map((l: { digest: string }) => l.digest)).toEqual(layers);
    } finally {
      fresh.cleanup();
    }
  });

  it('from a manifest list, pulls the image for this machine, or the one --platform names', async () => {
    // A second "image" for another architecture: the same layer under another config, and
    // an OCI index over both, put on the registry with plain HTTP calls.
    const manifest = JSON.parse(call(['skopeo', 'inspect', '--raw', '--tls-verify=false', `docker://${registry}/test/base:1`]).stdout);
    const config = await (await fetch(`http://${registry}/v2/test/base/blobs/${manifest.config.digest}`)).json();
    const otherConfig = Buffer.from(JSON.stringify({ ...config, architecture: OTHER_ARCH }));
    const started = await fetch(`http://${registry}/v2/test/multi/blobs/uploads/`, { method: 'POST' });
    const location = new URL(started.headers.get('location')!, `http://${registry}`);
    location.searchParams.set('digest', sha256(otherConfig));
    expect((await fetch(location, { method: 'PUT', body: otherConfig })).status).toBe(201);
    // The layer and this machine's config, mounted from test/base (distribution spec
    // "Cross Repository Blob Mount"): a registry accepts a manifest only if it has its blobs.
    for (const digest of [manifest.layers[0].digest, manifest.config.digest]) {
      const mount = await fetch(`http://${registry}/v2/test/multi/blobs/uploads/?mount=${digest}&from=test/base`, { method: 'POST' });
      expect(mount.status).toBe(201);
    }
    const otherManifest = Buffer.from(JSON.stringify({ ...manifest, config: { ...manifest.config, digest: sha256(otherConfig), size: otherConfig.length } }));
    const put = (ref: string, type: string, body: Buffer) =>
      fetch(`http://${registry}/v2/test/multi/manifests/${ref}`, { method: 'PUT', headers: { 'content-type': type }, body: new Uint8Array(body) });
    expect((await put(sha256(otherManifest), manifest.mediaType, otherManifest)).status).toBe(201);
    const hostManifest = Buffer.from(call(['skopeo', 'inspect', '--raw', '--tls-verify=false', `docker://${registry}/test/base:1`]).stdout);
    expect((await put(pushed, manifest.mediaType, hostManifest)).status).toBe(201);
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: manifest.mediaType, digest: sha256(otherManifest), size: otherManifest.length, platform: { os: 'linux', architecture: OTHER_ARCH } },
        { mediaType: manifest.mediaType, digest: pushed, size: hostManifest.length, platform: { os: 'linux', architecture: ociArch() } },
      ],
    }));
    expect((await put('latest', 'application/vnd.oci.image.index.v1+json', index)).status).toBe(201);

    const fresh = sandbox();
    try {
      // The other architecture first: its config is fetched, the layer too.
      const other = fresh.run(['image', 'pull', '--platform', `linux/${OTHER_ARCH}`, `${registry}/test/multi:latest`]);
      expect(other.status, other.stderr).toBe(0);
      expect(digestOf(other)).toBe(sha256(index));
      expect(other.stderr).toContain(`linux/${OTHER_ARCH}: ${sha256(otherManifest)}`);
      expect(JSON.parse(fresh.run(['image', 'inspect', `${registry}/test/multi:latest`]).stdout)[0].manifestDigest).toBe(sha256(otherManifest));

      // This machine's: the layer is already in the store, only the config is fetched.
      const mine = fresh.run(['image', 'pull', `${registry}/test/multi:latest`]);
      expect(mine.status, mine.stderr).toBe(0);
      expect(mine.stderr).toContain(`linux/${ociArch()}: ${pushed}`);
      expect(mine.stderr).toContain('1 blob(s) fetched, 1 already present');
      expect(JSON.parse(fresh.run(['image', 'inspect', `${registry}/test/multi:latest`]).stdout)[0].manifestDigest).toBe(pushed);

      const none = fresh.run(['image', 'pull', '--platform', 'linux/s390x', `${registry}/test/multi:latest`]);
      expect(none.status).not.toBe(0);
      expect(none.stderr).toContain('no image for linux/s390x in the manifest list');
    } finally {
      fresh.cleanup();
    }
  });

  it('refuses a blob whose content does not match its digest, records no image, and keeps the good blobs for the next try', () => {
    // Corrupt the config blob in the registry's storage: same length, one byte changed.
    const manifest = JSON.parse(call(['skopeo', 'inspect', '--raw', '--tls-verify=false', `docker://${registry}/test/base:1`]).stdout);
    const hex = manifest.config.digest.slice(7);
    const file = join(dir, 'open-data/docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const good = readFileSync(file);
    writeFileSync(file, Buffer.concat([Buffer.from(' '), good.subarray(1)]));
    const fresh = sandbox();
    try {
      const bad = fresh.run(['image', 'pull', `${registry}/test/base:1`]);
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toMatch(/digest|sha256/i);
      expect(fresh.run(['image', 'inspect', `${registry}/test/base:1`]).status).not.toBe(0);
      // The registry fixed, the same pull succeeds and fetches only the blob it lacked:
      // the layer, downloaded alongside the bad config, was verified and kept.
      writeFileSync(file, good);
      const ok = fresh.run(['image', 'pull', `${registry}/test/base:1`]);
      expect(ok.status, ok.stderr).toBe(0);
      expect(digestOf(ok)).toBe(pushed);
      expect(ok.stderr).toContain('1 blob(s) fetched, 1 already present');
    } finally {
      writeFileSync(file, good);
      fresh.cleanup();
    }
  });

  it('shows the registry\'s error for an unknown tag and names the host it cannot reach', async () => {
    const unknown = box.run(['image', 'pull', `${registry}/test/base:nope`]);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain(`GET http://${registry}/v2/test/base/manifests/nope: 404 Not Found: MANIFEST_UNKNOWN: manifest unknown`);
    const closed = await freePort();
    const refused = box.run(['image', 'pull', `127.0.0.1:${closed}/test/base:1`]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(`cannot connect to 127.0.0.1:${closed}`);
    expect(refused.stderr).toContain('ECONNREFUSED');
  });

  it('works through a token-auth registry: anonymous pull-only tokens, alice may push', () => {
    const target = `${tokenRegistry}/team/base:1`;
    const denied = box.run(['image', 'push', `${registry}/test/base:1`, target]);
    expect(denied.status).not.toBe(0);
    expect(denied.stderr).toMatch(/401 Unauthorized: UNAUTHORIZED/);

    const wrong = box.run(['image', 'push', '--creds', 'alice:nope', `${registry}/test/base:1`, target]);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toContain('token server GET');
    expect(wrong.stderr).toContain('wrong password');

    writeFileSync(tokenLog, '');
    const push = box.run(['image', 'push', '--creds', 'alice:s3cret', `${registry}/test/base:1`, target]);
    expect(push.status, push.stderr).toBe(0);
    expect(digestOf(push)).toBe(pushed);
    const asked = readFileSync(tokenLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // One token for the scope, reused for every request of the push.
    expect(asked).toEqual([{ scope: 'repository:team/base:pull,push', service: 'ts-runc-test-registry', user: 'alice' }]);

    // Anonymous pull: the token server grants pull to anyone.
    const fresh = sandbox();
    try {
      writeFileSync(tokenLog, '');
      const pull = fresh.run(['image', 'pull', target]);
      expect(pull.status, pull.stderr).toBe(0);
      expect(digestOf(pull)).toBe(pushed);
      expect(readFileSync(tokenLog, 'utf8')).toContain('"scope":"repository:team/base:pull","service":"ts-runc-test-registry","user":"anonymous"');
      expect(JSON.parse(fresh.run(['image', 'inspect', target]).stdout)[0].manifestDigest).toBe(pushed);
    } finally {
      fresh.cleanup();
    }
  });
});
