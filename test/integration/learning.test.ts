/**
 * README.md "Learning: a container from scratch", run as written: every `$ ` command of
 * the section, in order, in one test network namespace (so the bridge and nftables rules
 * are the test's), with `L` a scratch directory of the test and `ts-runc` the function the
 * section defines. Each command's output is checked against what the README says it shows.
 * Then the section's vitest example runs, as a file of its own, in a package that imports
 * 'ts-runc' by name. Editing a command in the README without this test failing is not possible:
 * the commands come from the README, and their number and expectations are checked here.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, haveFixture, isRoot, sandbox, type Sandbox } from './helpers.js';
import { makeNetns, type Netns } from './netns.js';

const haveTools = ['nft', 'jq', 'unshare'].every((tool) => spawnSync(tool, ['--version']).status === 0);
const suite = isRoot && haveFixture && haveTools ? describe : describe.skip;

/** The section, up to the next `## ` heading. */
function section(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Learning: a container from scratch\n');
  if (start < 0) throw new Error('README.md has no section "Learning: a container from scratch"');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** What each command's output must show, in the README's order. */
const EXPECT: [command: RegExp, output: (out: string, all: string[]) => void][] = [
  [/^readlink \/proc\/\$\$\/ns\/pid/, (out) => expect(out).toMatch(/^pid:\[\d+\]\nmnt:\[\d+\]\nuts:\[\d+\]\n$/)],
  [/^unshare --pid --mount --uts --fork/, (out, all) => {
    expect(out).toMatch(/PID COMMAND\n\s+1 sh\n/);
    expect(out.split('\n')[0]).not.toBe(all[0]!.split('\n')[0]); // another pid namespace
  }],
  [/^mkdir -p \$L\/bundle\/rootfs/, (out) => expect(out).toBe('')],
  [/^ts-runc spec -b \$L\/bundle && jq/, (out) => expect(out).toBe('')],
  [/^ts-runc explain -b \$L\/bundle demo \| grep/, (out) => {
    expect(out).toMatch(/linux\.resources\.pids\.limit → pids\.max = 32\n\s+write\(".*pids\.max", "32"\)/);
    expect(out).toMatch(/clone\(CLONE_NEWNS\|CLONE_NEWUTS\|CLONE_NEWIPC\|CLONE_NEWPID\|CLONE_NEWNET\|CLONE_NEWCGROUP\|SIGCHLD\)/);
    expect(out).toMatch(/pivot_root into the rootfs\n\s+fchdir\(newroot\)\n\s+pivot_root\("\.", "\."\)/);
  }],
  [/^ts-runc run -b \$L\/bundle demo$/, (out) => {
    expect(out).toMatch(/^PID\s+COMMAND\n\s+1 sh\n\s+\d+ ps\n/);
    expect(out).toMatch(/ \/.*\/bundle\/rootfs \/ ro,/);
    expect(out).toMatch(/\n32\n$/);
  }],
  [/^ts-runc explain --trace -b \$L\/bundle demo/, (out) => {
    expect(out).toMatch(/mount proc proc on \/proc {3}\(\d+\.\d+ (µs|ms)\)/);
    expect(out).toMatch(/pivot_root into the rootfs {3}\(\d+\.\d+ (µs|ms)\)/);
    expect(out).toMatch(/exec sh {3}\(the program ran; exit status 0\)/);
  }],
  [/^ts-runc image load/, (out) => expect(out).toBe('Loaded image: fixture:3layers\n')],
  [/^ts-runc explain --image fixture:3layers --network none web/, (out) => {
    expect(out).toMatch(/mount the overlay of fixture:3layers \(3 layers\)/);
    expect(out.match(/"lowerdir\+"/g)).toHaveLength(3);
    expect(out).toMatch(/"upperdir", ".*\/containers\/web\/\.ts-runc\/upper"/);
  }],
  [/^ts-runc run --image fixture:3layers --network none -d web/, (out) => expect(out).toBe('web\n')],
  [/^grep " \$L\/storage\/containers\/web\/rootfs "/, (out) => expect(out).toMatch(/^(lowerdir\+=\S+\n){3}upperdir=\S+\/web\/\.ts-runc\/upper\nworkdir=/)],
  [/^ts-runc exec web cat \/etc\/fixture-version$/, (out) => expect(out).toBe('2\n')],
  [/^readlink \/proc\/\$\(ts-runc state web \| jq \.pid\)\/ns\/\{pid,mnt,net\}$/, (out, all) => {
    expect(out).toMatch(/^pid:\[\d+\]\nmnt:\[\d+\]\nnet:\[\d+\]\n$/);
    const [pid, mnt] = out.split('\n');
    const host = all[0]!.split('\n');
    expect([pid, mnt]).not.toContain(host[0]);
    expect([pid, mnt]).not.toContain(host[1]);
  }],
  [/^ts-runc network create --subnet 10\.89\.0\.0\/24 appnet$/, (out) => expect(out).toBe('appnet\n')],
  [/^ts-runc explain --image fixture:3layers --network appnet -p 8080:80 site/, (out) => {
    expect(out).toMatch(/create bridge tsbr-\w+\n/);
    expect(out).toMatch(/create veth pair tsr\w+ <-> tsp\w+, the peer in the container's netns/);
    expect(out).toMatch(/address 10\.89\.0\.2\/24 on eth0 \(container\)/);
    expect(out).toMatch(/rule ip ts-runc ports tcp dport 8080 dnat to 10\.89\.0\.2:80\n$/);
  }],
  [/^ts-runc run --image fixture:3layers --network appnet -p 8080:80 -d site/, (out) => expect(out).toBe('site\n')],
  [/^ip -br link && ip -br addr show to 10\.89\.0\.0\/24$/, (out) => {
    expect(out).toMatch(/^tsr\w{12}@if2 +UP /m);
    expect(out).toMatch(/^tsbr-\w+ +\w+ +10\.89\.0\.1\/24/m);
  }],
  [/^nft list chain ip ts-runc ports$/, (out) => expect(out).toMatch(/tcp dport 8080 dnat to 10\.89\.0\.2:80 comment "ctr:site:tsr\w+"/)],
  [/busybox wget -qO- http:\/\/127\.0\.0\.1:8080\/fixture-added$/, (out) => expect(out).toBe('added by layer 2\n')],
  [/^ts-runc delete --force web site && ts-runc network rm appnet && ip -br link$/, (out) => expect(out).toMatch(/^appnet\nlo +UNKNOWN [^\n]*\n$/)],
];

suite('README: Learning, a container from scratch', () => {
  let box: Sandbox;
  let host: Netns;
  const L = () => join(box.dir, 'learn');
  const shell = (command: string) => {
    const prelude = `L=${L()}; ts-runc() { ${join(REPO, 'bin/ts-runc')} --root $L/root --storage $L/storage "$@"; }`;
    // Output through files, not pipes: a detached container inherits them and would hold a pipe open.
    const files = [join(box.dir, 'walk.out'), join(box.dir, 'walk.err')];
    const fds = files.map((file) => openSync(file, 'w'));
    try {
      const r = spawnSync('nsenter', [`--net=${host.path}`, '--', 'bash', '-c', `${prelude}\n${command}`], { cwd: REPO, stdio: ['ignore', fds[0]!, fds[1]!], timeout: 60_000 });
      return { status: r.status, stdout: readFileSync(files[0]!, 'utf8'), stderr: readFileSync(files[1]!, 'utf8') };
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
  };

  beforeEach(() => {
    box = sandbox();
    mkdirSync(L());
    host = makeNetns('tsr-learn');
    host.run('ip', ['link', 'set', 'lo', 'up']);
  });
  afterEach(() => {
    shell('ts-runc delete --force demo; ts-runc delete --force web; ts-runc delete --force site; ts-runc network rm appnet');
    host.remove();
    box.cleanup();
  });

  it('runs every command of the walk and shows what the README says', { timeout: 300_000 }, async () => {
    const commands = section().split('\n### ')[0]!.split('\n').filter((line) => line.startsWith('$ ')).map((line) => line.slice(2));
    expect(commands.length).toBe(EXPECT.length);
    const outputs: string[] = [];
    for (const [i, command] of commands.entries()) {
      const [pattern, check] = EXPECT[i]!;
      expect(command, `README command ${i + 1}`).toMatch(pattern);
      const started = Date.now();
      let r = shell(command);
      // The server may not listen yet: wait for it, no fixed sleep.
      for (let tries = 0; command.includes('wget') && r.status !== 0 && tries < 50; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        r = shell(command);
      }
      expect(r.stderr, command).toBe('');
      expect(r.status, command).toBe(0);
      outputs.push(r.stdout);
      if (process.env.LEARNING_TIMES) process.stderr.write(`${Date.now() - started} ms  ${command.slice(0, 60)}\n`);
      check(r.stdout, outputs);
    }
  });

  it('runs the library example as a vitest file of its own', { timeout: 180_000 }, () => {
    const example = /### As a library[^]*?```ts\n([^]*?)```/.exec(section())?.[1];
    expect(example).toBeDefined();
    const app = join(box.dir, 'app');
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', type: 'module', dependencies: { 'ts-runc': `file:${REPO}` } }));
    symlinkSync(REPO, join(app, 'node_modules/ts-runc'));
    symlinkSync(join(REPO, 'node_modules/vitest'), join(app, 'node_modules/vitest'));
    writeFileSync(join(app, 'example.test.ts'), example!);
    writeFileSync(join(app, 'vitest.config.mjs'), 'export default { test: { testTimeout: 60000 } };\n');
    // cwd: the checkout, where the example finds rootfs-fixtures/out/image.tar
    const tmp = join(box.dir, 'tmp'); // the example's own temporary directory, which it must remove
    mkdirSync(tmp);
    const r = spawnSync(process.execPath, [join(REPO, 'node_modules/vitest/vitest.mjs'), 'run', '--root', app, join(app, 'example.test.ts')],
      { cwd: REPO, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: '1', NO_COLOR: '1', TMPDIR: tmp } });
    expect(r.stdout + r.stderr).toMatch(/1 passed/);
    expect(r.status).toBe(0);
    expect(readdirSync(tmp).filter((name) => name.startsWith('ts-runc-'))).toEqual([]);
  });
});
