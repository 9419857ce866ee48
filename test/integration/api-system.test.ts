/**
 * The Engine API service (issue 12) as clients meet it first: the socket, /_ping and
 * /version with curl, versioned paths, errors as {"message"}, the lock on --storage, and
 * the docker CLI's version, info, images, load/save/tag/rmi, networks and system df.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TS_RUNC, haveFixture, isRoot } from './helpers.js';
import { FIXTURE_IMAGE, IMAGE_TAR, dockerBinary, loadFixture, startApiService, type ApiService } from './api-service.js';

const suite = isRoot && haveFixture && existsSync(IMAGE_TAR) && dockerBinary() ? describe : describe.skip;

suite('Engine API service: versioning, errors, images, networks', () => {
  let api: ApiService;
  beforeAll(async () => {
    api = await startApiService('tsr-apisys');
  }, 60_000);
  afterAll(async () => {
    await api?.cleanup();
  }, 120_000);

  it('listens on a unix socket of mode 0660 owned by root', () => {
    const st = statSync(api.socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
    expect(st.uid).toBe(0);
  });

  it('answers curl --unix-socket on /_ping (GET and HEAD) and /version, with and without a /v1.NN prefix', () => {
    const curl = (args: string[]) => api.exec('curl', ['-sS', '--unix-socket', api.socket, ...args]);
    const ping = curl(['-i', 'http://localhost/_ping']);
    expect(ping.status).toBe(0);
    expect(ping.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(ping.stdout).toMatch(/\r\nAPI-Version: 1\.\d+\r\n/i);
    expect(ping.stdout).toMatch(/\r\nOSType: linux\r\n/i);
    expect(ping.stdout).toMatch(/\r\nDocker-Experimental: false\r\n/i);
    expect(ping.stdout.endsWith('\r\n\r\nOK')).toBe(true);
    const head = curl(['-I', 'http://localhost/_ping']);
    expect(head.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(head.stdout).toMatch(/Content-Length: 0/i);
    for (const path of ['/version', '/v1.24/version', '/v1.41/version', '/v1.47/version']) {
      const r = curl([`http://localhost${path}`]);
      const v = JSON.parse(r.stdout) as { ApiVersion: string; MinAPIVersion: string; Os: string; Components: { Name: string }[] };
      expect(v.Os).toBe('linux');
      expect(v.MinAPIVersion).toBe('1.24');
      expect(v.Components.map((c) => c.Name)).toContain('ts-runc');
    }
  });

  it('refuses an API version outside its range and an unknown path, each with a JSON message naming it', async () => {
    const old = await api.http('GET', '/v1.12/version');
    expect(old.status).toBe(400);
    expect(JSON.parse(old.body).message).toMatch(/1\.12 is too old/);
    const unknown = await api.http('GET', '/v1.41/no/such/endpoint');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).message).toContain('/no/such/endpoint');
    const search = await api.http('GET', '/images/search?term=x');
    expect(search.status).toBe(501);
    expect(JSON.parse(search.body).message).toContain('/images/search');
  });

  it('refuses a second service on the same --storage', () => {
    const r = spawnSync('nsenter', [`--net=${api.ns.path}`, '--', TS_RUNC, '--root', api.box.root, '--storage', api.box.storage, 'system', 'service', '--host', `unix://${join(api.box.dir, 'other.sock')}`], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/already serving --storage/);
    expect(existsSync(join(api.box.dir, 'other.sock'))).toBe(false);
  });

  it('--group gives the socket to a group; --host tcp:// listens only when asked, with a warning', async () => {
    const { spawn } = await import('node:child_process');
    const { setTimeout: sleep } = await import('node:timers/promises');
    const dir = join(api.box.dir, 'second');
    const sock = join(dir, 'g.sock');
    const child = spawn('nsenter', [`--net=${api.ns.path}`, '--', TS_RUNC, '--root', join(dir, 'root'), '--storage', join(dir, 'storage'), 'system', 'service',
      '--host', `unix://${sock}`, '--group', 'daemon', '--pid-file', join(dir, 'pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    for (let i = 0; i < 300 && !existsSync(join(dir, 'pid')); i++) await sleep(100);
    const gid = Number(spawnSync('getent', ['group', 'daemon'], { encoding: 'utf8' }).stdout.split(':')[2]);
    expect(statSync(sock).gid).toBe(gid);
    expect(statSync(sock).mode & 0o777).toBe(0o660);
    expect(readFileSync(join(dir, 'pid'), 'utf8').trim()).toBe(String(child.pid));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    const tcp = spawn('nsenter', [`--net=${api.ns.path}`, '--', TS_RUNC, '--root', join(dir, 'root'), '--storage', join(dir, 'storage'), 'system', 'service',
      '--host', 'tcp://127.0.0.1:23750'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let tcpErr = '';
    tcp.stderr!.on('data', (d: Buffer) => { tcpErr += d.toString(); });
    let ping = '';
    for (let i = 0; i < 300 && ping !== 'OK'; i++) {
      ping = api.exec('curl', ['-s', 'http://127.0.0.1:23750/_ping']).stdout;
      if (ping !== 'OK') await sleep(100);
    }
    expect(ping).toBe('OK');
    expect(tcpErr).toMatch(/no authentication; anyone who can connect to it has root/);
    const tcpExited = new Promise((resolve) => tcp.once('exit', resolve));
    tcp.kill('SIGTERM');
    await tcpExited;
    void err;
  });

  it('docker version and docker info talk to it (API negotiated down)', () => {
    const version = api.docker(['version', '--format', '{{.Server.APIVersion}} {{.Server.Os}} {{.Client.APIVersion}}']);
    expect(version.stderr).toBe('');
    expect(version.status).toBe(0);
    const [server, os, client] = version.stdout.trim().split(' ');
    expect(os).toBe('linux');
    expect(client).toBe(server);
    const info = api.docker(['info', '--format', '{{.Driver}} {{.OSType}} {{.NCPU}} {{.ServerVersion}} {{.CgroupVersion}}']);
    expect(info.status).toBe(0);
    expect(info.stdout).toMatch(/^overlay2 linux \d+ \S+ [12]\n$/);
  });

  it('docker load, images, inspect, tag, history, save and rmi', () => {
    loadFixture(api);
    const images = api.docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
    expect(images.status).toBe(0);
    expect(images.stdout).toMatch(/^fixture:3layers [0-9a-f]{12}\n$/);
    const inspect = api.docker(['image', 'inspect', FIXTURE_IMAGE, '--format', '{{.Os}} {{len .RootFS.Layers}} {{index .Config.Labels "org.example.fixture"}}']);
    expect(inspect.stdout).toBe('linux 3 3layers\n');
    expect(api.docker(['tag', FIXTURE_IMAGE, 'copy:v1']).status).toBe(0);
    expect(api.docker(['images', '-q', 'copy']).stdout.trim()).toMatch(/^[0-9a-f]{12}$/);
    const history = api.docker(['history', '-q', 'copy:v1']);
    expect(history.status).toBe(0);
    const saved = join(api.box.dir, 'saved.tar');
    expect(api.docker(['save', '-o', saved, 'copy:v1']).status).toBe(0);
    expect(statSync(saved).size).toBeGreaterThan(100_000);
    const rmi = api.docker(['rmi', 'copy:v1']);
    expect(rmi.status).toBe(0);
    expect(rmi.stdout).toContain('Untagged: copy:v1');
    const missing = api.docker(['image', 'inspect', 'copy:v1']);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/No such image: copy:v1/);
    // and back from the saved archive
    const load = api.docker(['load', '-i', saved]);
    expect(load.stdout).toContain('copy:v1');
    expect(api.docker(['rmi', 'copy:v1']).status).toBe(0);
  });

  it('docker network create (with subnet and labels), ls with a label filter, inspect, rm', () => {
    const created = api.docker(['network', 'create', '--subnet', '10.99.7.0/24', '--label', 'team=a', 'appnet']);
    expect(created.stderr).toBe('');
    expect(created.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    const again = api.docker(['network', 'create', 'appnet']);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/already exists/);
    expect(api.docker(['network', 'ls', '--filter', 'label=team=a', '--format', '{{.Name}}']).stdout).toBe('appnet\n');
    const inspect = api.docker(['network', 'inspect', 'appnet', '--format', '{{(index .IPAM.Config 0).Subnet}} {{.Labels.team}} {{.Driver}}']);
    expect(inspect.stdout).toBe('10.99.7.0/24 a bridge\n');
    expect(api.docker(['network', 'rm', 'appnet']).status).toBe(0);
    expect(api.docker(['network', 'ls', '--format', '{{.Name}}']).stdout).not.toContain('appnet');
    const bad = api.docker(['network', 'inspect', 'appnet']);
    expect(bad.status).not.toBe(0);
  });

  it('a malformed body or a wrong-typed field is a 400 naming it, and nothing is made', async () => {
    const malformed = await api.http('POST', '/networks/create', '{"Name": ');
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body).message).toMatch(/malformed JSON/);
    const wrong = await api.http('POST', '/networks/create', JSON.stringify({ Name: 'typed', Labels: { a: 1 } }));
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.body).message).toContain('Labels');
    const list = await api.http('GET', '/networks');
    expect(list.body).not.toContain('"typed"');
  });

  it('docker volume create (with a label), ls with filters, inspect, rm', () => {
    expect(api.docker(['volume', 'create', '--label', 'team=b', 'data']).stdout).toBe('data\n');
    expect(api.docker(['volume', 'ls', '--filter', 'label=team=b', '--format', '{{.Name}} {{.Driver}}']).stdout).toBe('data local\n');
    expect(api.docker(['volume', 'inspect', 'data', '--format', '{{.Mountpoint}}']).stdout.trim()).toBe(join(api.box.storage, 'volumes', 'data', '_data'));
    const missing = api.docker(['volume', 'inspect', 'nope']);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/no such volume/i);
    expect(api.docker(['volume', 'rm', 'data']).stdout).toBe('data\n');
    expect(api.docker(['volume', 'ls', '-q']).stdout).toBe('');
  });

  it('docker system df counts the images', () => {
    const df = api.docker(['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']);
    expect(df.status).toBe(0);
    expect(df.stdout).toContain('Images 1');
  });

  it('SIGTERM closes the service cleanly: socket and pid file gone', async () => {
    await api.stop();
    expect(existsSync(api.socket)).toBe(false);
    expect(existsSync(join(api.box.storage, 'engine', 'service.pid'))).toBe(false);
    expect(api.output()).toContain('API service stopped');
    await api.restart();
    expect((await api.http('GET', '/_ping')).status).toBe(200);
    void readFileSync;
  });
});
