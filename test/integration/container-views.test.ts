/**
 * Looking at engine containers (issue 11 items 3, 5): ls/ps status strings and filters,
 * inspect --format with index and the network address, logs -f across rotation ending when
 * the container stops, diff, pause, stats, top, port, export, commit, rename, update, and
 * prune removing only stopped ones, on real containers of the fixture image. Containers
 * without a network run with --network none; the networked one runs with ts-runc under
 * `nsenter --net=` of a namespace this test makes, so the host's network is never touched.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, TS_RUNC, haveFixture, isRoot, sandbox, type Result, type Sandbox } from './helpers.js';
import { makeNetns, type Netns } from './netns.js';

const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');
const IMAGE = 'fixture:3layers';
const run = isRoot && haveFixture && existsSync(join(REPO, 'build/ts-runc-monitor'));

let box: Sandbox;
let ns: Netns | undefined;

/** ts-runc with the test's --root/--storage, inside the test's network namespace. */
function inNetns(args: string[]): Result {
  const out = join(box.dir, 'ns-stdout');
  const err = join(box.dir, 'ns-stderr');
  const fds = [openSync(out, 'w'), openSync(err, 'w')];
  try {
    const r = spawnSync('nsenter', [`--net=${ns!.path}`, '--', TS_RUNC, '--root', box.root, '--storage', box.storage, ...args], { stdio: ['ignore', fds[0]!, fds[1]!], timeout: 60_000 });
    return { status: r.status ?? 128, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  } finally {
    fds.forEach((fd) => closeSync(fd));
  }
}

function ok(args: string[]): string {
  const r = box.run(args, { timeout: 60_000 });
  if (r.status !== 0) throw new Error(`ts-runc ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

async function waitFor<T>(check: () => T | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const rows = (format: string, extra: string[] = []) => ok(['container', 'ls', '-a', '--format', format, ...extra]).trim().split('\n').filter(Boolean);
const status = (name: string) => ok(['container', 'inspect', '-f', '{{.State.Status}}', name]).trim();

describe.skipIf(!run)('looking at containers', () => {
  beforeAll(() => {
    box = sandbox();
    ok(['image', 'load', '-i', IMAGE_TAR]);
  });

  afterAll(() => {
    if (!box) return;
    const ids = box.run(['container', 'ls', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean);
    for (const id of ids) (ns ? inNetns : (a: string[]) => box.run(a))(['container', 'rm', '-f', id]);
    ns?.remove();
    box.cleanup();
  });

  it('ls -a shows Up, Exited (code) and Created, and filters by status, exited, name, label, ancestor', async () => {
    ok(['container', 'run', '-d', '--name', 'sleeper', '--label', 'role=worker', '--network', 'none', IMAGE, 'sleep', '1000']);
    ok(['container', 'create', '--name', 'fresh', '--network', 'none', IMAGE, 'true']);
    box.run(['container', 'run', '--name', 'failer', '--network', 'none', IMAGE, 'sh', '-c', 'exit 3']);
    await waitFor(() => status('failer') === 'exited', 'failer to exit');
    const all = Object.fromEntries(rows('{{.Names}}|{{.Status}}').map((line) => line.split('|')));
    expect(all['sleeper']).toMatch(/^Up (Less than a second|\d+ seconds?)$/);
    expect(all['failer']).toMatch(/^Exited \(3\) (Less than a second|\d+ seconds?) ago$/);
    expect(all['fresh']).toBe('Created');
    // without -a only the running one
    expect(ok(['container', 'ls', '--format', '{{.Names}}']).trim()).toBe('sleeper');
    expect(rows('{{.Names}}', ['--filter', 'status=exited'])).toEqual(['failer']);
    expect(rows('{{.Names}}', ['--filter', 'exited=3'])).toEqual(['failer']);
    expect(rows('{{.Names}}', ['--filter', 'exited=0'])).toEqual([]);
    expect(rows('{{.Names}}', ['-f', 'name=^/sl'])).toEqual(['sleeper']);
    expect(rows('{{.Names}}', ['--filter', 'label=role=worker'])).toEqual(['sleeper']);
    expect(rows('{{.Names}}', ['--filter', `ancestor=${IMAGE}`]).sort()).toEqual(['failer', 'fresh', 'sleeper']);
    expect(rows('{{.Names}}', ['--filter', 'status=created', '--filter', 'status=running']).sort()).toEqual(['fresh', 'sleeper']);
    // -q: 12-hex ids; -n 1 / -l: the newest of any state
    expect(ok(['container', 'ls', '-aq']).trim().split('\n').every((id) => /^[0-9a-f]{12}$/.test(id))).toBe(true);
    expect(ok(['container', 'ls', '-l', '--format', '{{.Names}}']).trim()).toBe('failer');
    const table = ok(['container', 'ls', '-a']).split('\n');
    expect(table[0]).toMatch(/^CONTAINER ID {3}IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$/);
    expect(table.find((l) => l.endsWith('sleeper'))).toContain('"sleep 1000"');
    const bad = box.run(['container', 'ls', '--filter', 'status=up']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("invalid filter 'status=up'");
  });

  it('a healthcheck shows in STATUS and the health filter; -s adds SIZE', async () => {
    ok(['container', 'run', '-d', '--name', 'checked', '--network', 'none', '--health-cmd', 'true', '--health-interval', '1s', IMAGE, 'sleep', '1000']);
    await waitFor(() => rows('{{.Names}} {{.Status}}', ['--filter', 'name=checked'])[0]?.endsWith('(healthy)'), 'the healthcheck to pass');
    expect(rows('{{.Names}}', ['--filter', 'health=healthy'])).toEqual(['checked']);
    expect(rows('{{.Names}}', ['--filter', 'health=none', '--filter', 'status=running'])).toEqual(['sleeper']);
    const sized = ok(['container', 'ls', '-s', '--filter', 'name=checked']).split('\n');
    expect(sized[0]).toMatch(/NAMES +SIZE$/);
    expect(sized[1]).toMatch(/checked +\d+(\.\d+)?[kM]?B \(virtual [\d.]+[kM]?B\)$/);
    ok(['container', 'rm', '-f', 'checked']);
  });

  it('inspect --format reaches the network address with index, and the JSON has Docker\'s fields', () => {
    ns = makeNetns('tsr-views');
    const r = inNetns(['container', 'run', '-d', '--name', 'netweb', '-p', '8080:80', IMAGE, 'sleep', '1000']);
    expect(r.status, r.stderr).toBe(0);
    expect(inNetns(['container', 'port', 'netweb']).stdout).toBe('80/tcp -> 0.0.0.0:8080\n');
    expect(inNetns(['container', 'port', 'netweb', '80']).stdout).toBe('0.0.0.0:8080\n');
    expect(inNetns(['container', 'port', 'netweb', '81']).stderr).toContain("no public port '81/tcp' published");
    expect(inNetns(['container', 'ls', '--format', '{{.Ports}}', '--filter', 'name=netweb']).stdout).toBe('0.0.0.0:8080->80/tcp\n');
    const ip = inNetns(['container', 'inspect', '-f', '{{(index .NetworkSettings.Networks "ts-runc").IPAddress}}', 'netweb']).stdout.trim();
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const inside = inNetns(['container', 'exec', 'netweb', 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
    expect(inside.stdout).toContain(`inet ${ip}/`);
    expect(inNetns(['container', 'inspect', '-f', '{{.NetworkSettings.IPAddress}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}', 'netweb']).stdout.trim()).toBe(`${ip} ts-runc`);
    // Go's template lexer refuses a dash in a field name, as docker's does
    const dash = inNetns(['container', 'inspect', '-f', '{{.NetworkSettings.Networks.ts-runc.IPAddress}}', 'netweb']);
    expect(dash.status).not.toBe(0);
    expect(dash.stderr).toContain("bad character U+002D '-'");
    const [inspect] = JSON.parse(inNetns(['container', 'inspect', 'netweb']).stdout) as Array<Record<string, unknown>>;
    for (const key of ['Id', 'Created', 'Path', 'Args', 'State', 'Image', 'ResolvConfPath', 'HostnamePath', 'HostsPath', 'LogPath', 'Name', 'RestartCount', 'Driver', 'Platform', 'HostConfig', 'GraphDriver', 'Mounts', 'Config', 'NetworkSettings']) {
      expect(inspect, key).toHaveProperty(key);
    }
    expect(inspect!['Name']).toBe('/netweb');
    expect((inspect!['State'] as { Running: boolean; Pid: number }).Running).toBe(true);
    expect((inspect!['GraphDriver'] as { Data: Record<string, string> }).Data['UpperDir']).toMatch(/layer\/upper$/);
    // several references: the missing one is named, the others printed, exit 1
    const two = box.run(['container', 'inspect', '-f', '{{.Name}}', 'sleeper', 'nosuch']);
    expect(two.status).toBe(1);
    expect(two.stdout).toBe('/sleeper\n');
    expect(two.stderr).toContain('no such container: nosuch');
  });

  it('logs -f follows the log across rotation and ends when the container stops', async () => {
    ok(['container', 'run', '-d', '--name', 'chatty', '--network', 'none', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=4', IMAGE,
      'sh', '-c', 'i=0; while [ $i -lt 120 ]; do i=$((i+1)); echo "line $i"; echo "err $i" >&2; usleep 40000; done']);
    const out = join(box.dir, 'follow-out');
    const err = join(box.dir, 'follow-err');
    const fds = [openSync(out, 'w'), openSync(err, 'w')];
    const follower = spawn(TS_RUNC, ['--root', box.root, '--storage', box.storage, 'container', 'logs', '-f', 'chatty'], { stdio: ['ignore', fds[0]!, fds[1]!] });
    fds.forEach((fd) => closeSync(fd));
    const code = await new Promise<number | null>((resolve) => follower.on('exit', resolve));
    expect(code).toBe(0);
    const expected = (word: string) => Array.from({ length: 120 }, (_, i) => `${word} ${i + 1}`).join('\n') + '\n';
    expect(readFileSync(out, 'utf8')).toBe(expected('line'));
    expect(readFileSync(err, 'utf8')).toBe(expected('err'));
    const id = ok(['container', 'inspect', '-f', '{{.Id}}', 'chatty']).trim();
    const files = readdirSync(join(box.storage, 'engine/containers', id)).filter((f) => f.startsWith('container.log'));
    expect(files.length).toBeGreaterThan(1); // it did rotate
    // --tail counts entries of both streams (the last four: line/err 119, line/err 120); -t
    const tail = ok(['container', 'logs', '--tail', '4', '-t', 'chatty']);
    expect(tail).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z line 119\n\d{4}-\d\d-\d\dT[\d:.]+Z line 120\n$/);
  });

  it('diff shows added, changed and deleted paths after a change', () => {
    ok(['container', 'exec', 'sleeper', 'sh', '-c', 'echo new > /tmp/new-file && rm /bin/arch']);
    const diff = ok(['container', 'diff', 'sleeper']).split('\n');
    expect(diff).toEqual(expect.arrayContaining(['C /bin', 'D /bin/arch', 'C /tmp', 'A /tmp/new-file']));
  });

  it('pause shows Paused in ls and inspect; unpause brings it back', () => {
    ok(['container', 'pause', 'sleeper']);
    expect(rows('{{.Names}} {{.Status}}', ['--filter', 'name=sleeper'])[0]).toMatch(/^sleeper Up .* \(Paused\)$/);
    expect(ok(['container', 'inspect', '-f', '{{.State.Status}} {{.State.Paused}} {{.State.Running}}', 'sleeper']).trim()).toBe('paused true true');
    expect(rows('{{.Names}}', ['--filter', 'status=paused'])).toEqual(['sleeper']);
    const again = box.run(['container', 'pause', 'sleeper']);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already paused');
    ok(['container', 'unpause', 'sleeper']);
    expect(status('sleeper')).toBe('running');
  });

  it('stats --no-stream has docker\'s columns and the container\'s numbers; top lists its process', () => {
    const lines = ok(['container', 'stats', '--no-stream', 'sleeper']).split('\n');
    expect(lines[0]).toMatch(/^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/);
    const cells = lines[1]!.split(/ {2,}/);
    expect(cells[1]).toBe('sleeper');
    expect(cells[2]).toMatch(/^\d+\.\d\d%$/);
    expect(cells[3]).toMatch(/^[\d.]+(B|KiB|MiB) \/ [\d.]+(B|KiB|MiB|GiB|TiB)$/);
    expect(cells[3]).not.toMatch(/^0B /);
    expect(Number(cells[7])).toBeGreaterThanOrEqual(1);
    const json = JSON.parse(ok(['container', 'stats', '--no-stream', '--format', 'json', 'sleeper'])) as Record<string, string>;
    expect(Object.keys(json)).toEqual(['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']);
    const top = ok(['container', 'top', 'sleeper']);
    expect(top.split('\n')[0]).toMatch(/^UID +PID +PPID +C +STIME +TTY +TIME +CMD$/);
    expect(top).toContain('sleep 1000');
    expect(ok(['container', 'top', 'sleeper', '-o', 'pid,comm'])).toMatch(/PID +COMMAND\n\s*\d+ +sleep/);
  });

  it('export is the merged filesystem; commit makes an image with the change; rename and update', () => {
    const tar = spawnSync(TS_RUNC, ['--root', box.root, '--storage', box.storage, 'container', 'export', 'sleeper'], { maxBuffer: 64 << 20 });
    expect(tar.status, tar.stderr?.toString()).toBe(0);
    const list = spawnSync('tar', ['-t'], { input: tar.stdout, encoding: 'utf8', maxBuffer: 64 << 20 }).stdout.split('\n');
    expect(list).toEqual(expect.arrayContaining(['tmp/new-file', 'bin/sh']));
    expect(list).not.toContain('bin/arch');
    const id = ok(['container', 'commit', '-m', 'with new file', 'sleeper', 'views:committed']).trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ok(['container', 'run', '--rm', '--network', 'none', 'views:committed', 'cat', '/tmp/new-file'])).toBe('new\n');
    expect(ok(['image', 'history', '--format', '{{.Comment}}', 'views:committed']).split('\n')[0]).toBe('with new file');
    ok(['container', 'rename', 'sleeper', 'sleepy']);
    expect(rows('{{.Names}}', ['--filter', 'status=running'])).toContain('sleepy');
    expect(box.run(['container', 'rename', 'sleepy', 'failer']).stderr).toContain('already in use');
    ok(['container', 'update', '--memory', '64m', '--pids-limit', '40', 'sleepy']);
    expect(ok(['container', 'inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}', 'sleepy']).trim()).toBe('67108864 40');
  });

  it('prune removes only the stopped containers', () => {
    const before = rows('{{.Names}}');
    expect(before).toEqual(expect.arrayContaining(['fresh', 'failer', 'chatty', 'sleepy']));
    const out = ok(['container', 'prune', '-f']);
    expect(out).toMatch(/^Deleted Containers:\n([0-9a-f]{64}\n){3}\nTotal reclaimed space: /);
    const after = rows('{{.Names}}');
    expect(after).toContain('sleepy');
    expect(after).not.toEqual(expect.arrayContaining(['fresh']));
    expect(after.filter((n) => ['fresh', 'failer', 'chatty'].includes(n))).toEqual([]);
    expect(status('sleepy')).toBe('running');
  });

  it('system df counts images, containers and volumes; image prune -a keeps the images containers use', () => {
    const df = ok(['system', 'df']).split('\n');
    expect(df[0]).toMatch(/^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE$/);
    expect(df[1]).toMatch(/^Images +2 +1 +[\d.]+[kM]?B +[\d.]+[kM]?B \(\d+%\)$/);
    expect(df[2]).toMatch(/^Containers +2 +2 +/);
    expect(df.slice(3, 5).map((l) => l.split(/ {2,}/)[0])).toEqual(['Local Volumes', 'Build Cache']);
    const pruned = ok(['image', 'prune', '-a', '-f']);
    expect(pruned).toContain('untagged: views:committed:latest'.replace(':latest', ''));
    expect(pruned).toMatch(/deleted: sha256:[0-9a-f]{64}\n\nTotal reclaimed space: /);
    expect(ok(['image', 'ls', '--format', 'json'])).toContain('fixture:3layers');
  });
});
