/**
 * The docker CLI driving containers through `ts-runc system service` (issue 12): run --rm,
 * run -d and logs, ps -a --format, stop/start/rm -f, inspect --format, exec (plain, -i,
 * -it under a real pty), run -it under a pty with its exit code, cp both ways, events,
 * system df, and the 400/404/409 answers a client meets.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveFixture, isRoot } from './helpers.js';
import { FIXTURE_IMAGE, IMAGE_TAR, dockerBinary, loadFixture, startApiService, waitFor, type ApiService } from './api-service.js';

const suite = isRoot && haveFixture && existsSync(IMAGE_TAR) && dockerBinary() ? describe : describe.skip;

suite('Engine API service: containers with the docker CLI', () => {
  let api: ApiService;
  beforeAll(async () => {
    api = await startApiService('tsr-apictr');
    loadFixture(api);
  }, 120_000);
  afterAll(async () => {
    await api?.cleanup();
  }, 180_000);

  /** `script -qec "docker …"`: the docker CLI on a real pty, as a person's terminal. */
  const onPty = (command: string, input = '') => {
    const file = join(api.box.dir, `pty-input-${Date.now()}`);
    writeFileSync(file, input);
    const quoted = command.replace(/'/g, `'\\''`);
    return api.exec('sh', ['-c', `script -qec '${quoted}' /dev/null < ${file}`]);
  };

  it('docker run --rm prints the output and leaves no container', () => {
    const r = api.docker(['run', '--rm', FIXTURE_IMAGE, 'echo', 'hi']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi\n');
    expect(r.status).toBe(0);
    expect(api.docker(['ps', '-aq']).stdout).toBe('');
  });

  it('passes the container\'s exit code through docker run', () => {
    expect(api.docker(['run', '--rm', FIXTURE_IMAGE, 'sh', '-c', 'exit 3']).status).toBe(3);
  });

  it('run -d: the output goes to logs, ps -a shows it, inspect --format reads it', async () => {
    const run = api.docker(['run', '-d', '--name', 'web', '--label', 'tier=front', FIXTURE_IMAGE, 'sh', '-c', 'echo out; echo err >&2; sleep 300']);
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    await waitFor('the log lines', () => api.docker(['logs', 'web']).stdout === 'out\n' || undefined);
    const logs = api.docker(['logs', 'web']);
    expect(logs.stdout).toBe('out\n');
    expect(logs.stderr).toBe('err\n');
    expect(api.docker(['logs', '--tail', '1', '-t', 'web']).stderr).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z err\n$/);
    expect(api.docker(['ps', '-a', '--format', '{{.Names}} {{.Image}} {{.Label "tier"}}']).stdout).toBe(`web ${FIXTURE_IMAGE} front\n`);
    expect(api.docker(['ps', '--filter', 'label=tier=front', '-q']).stdout.trim()).toMatch(/^[0-9a-f]{12}$/);
    expect(api.docker(['inspect', '--format', '{{.State.Status}} {{.State.Running}} {{.Name}} {{.Config.Image}}', 'web']).stdout).toBe(`running true /web ${FIXTURE_IMAGE}\n`);
  });

  it('exec: output and exit code, stdin with -i, and -it on a real pty', () => {
    const plain = api.docker(['exec', 'web', 'sh', '-c', 'echo in-exec; exit 4']);
    expect(plain.stdout).toBe('in-exec\n');
    expect(plain.status).toBe(4);
    expect(api.docker(['exec', '-i', 'web', 'cat'], { input: 'from stdin\n' }).stdout).toBe('from stdin\n');
    const tty = onPty(`${dockerBinary()} exec -it web sh -c 'tty; exit 5'`);
    if (tty.status !== 5) console.error(tty, api.output().slice(-3000), api.exec('ps', ['-eo', 'pid,ppid,stat,wchan:20,args', '--forest']).stdout.split('\n').filter((l) => /docker|script|ts-runc|_exec|sh -c/.test(l)).join('\n'));
    expect(tty.stdout).toMatch(/\/dev\/pts\/\d+\r\n/);
    expect(tty.status).toBe(5);
  });

  it('docker run -it under a pty: a terminal inside, typed input, the exit code', () => {
    const r = onPty(`${dockerBinary()} run --rm -it ${FIXTURE_IMAGE} sh`, 'echo typed-$((6*7)); exit 6\n');
    expect(r.stdout).toContain('typed-42');
    expect(r.status).toBe(6);
  });

  it('docker attach to a running -it container: typed input, its exit code; attach logs=1 replays the log', async () => {
    expect(api.docker(['run', '-dit', '--name', 'att', FIXTURE_IMAGE, 'sh']).status).toBe(0);
    const r = onPty(`${dockerBinary()} attach att`, 'echo attached-$((2*3))\nexit 4\n');
    expect(r.stdout).toContain('attached-6');
    expect(r.status).toBe(4);
    await waitFor('att exited', () => api.docker(['inspect', '--format', '{{.State.ExitCode}}', 'att']).stdout === '4\n' || undefined);
    const replay = await api.http('POST', '/containers/att/attach?logs=1&stdout=1&stderr=1');
    expect(replay.status).toBe(200);
    expect(replay.body).toContain('attached-6');
    expect(api.docker(['rm', 'att']).status).toBe(0);
  });

  it('docker cp both ways, to a running and from a stopped container', () => {
    const file = join(api.box.dir, 'to-container.txt');
    writeFileSync(file, 'copied in\n');
    expect(api.docker(['cp', file, 'web:/tmp/']).status).toBe(0);
    expect(api.docker(['exec', 'web', 'cat', '/tmp/to-container.txt']).stdout).toBe('copied in\n');
    expect(api.docker(['stop', '-t', '1', 'web']).status).toBe(0);
    const back = join(api.box.dir, 'back.txt');
    expect(api.docker(['cp', 'web:/tmp/to-container.txt', back]).status).toBe(0);
    expect(readFileSync(back, 'utf8')).toBe('copied in\n');
    const missing = api.docker(['cp', 'web:/no/such/file', back]);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/no such file/i);
  });

  it('stop, start keeps the writable layer; restart; rm of a running one is refused; rm -f removes it', async () => {
    expect(api.docker(['ps', '-a', '--format', '{{.Names}} {{.Status}}']).stdout).toMatch(/^web Exited \(137\)/);
    expect(api.docker(['start', 'web']).status).toBe(0);
    await waitFor('web running', () => api.docker(['inspect', '--format', '{{.State.Running}}', 'web']).stdout === 'true\n' || undefined);
    expect(api.docker(['exec', 'web', 'cat', '/tmp/to-container.txt']).stdout).toBe('copied in\n');
    const pid = api.docker(['inspect', '--format', '{{.State.Pid}}', 'web']).stdout;
    expect(api.docker(['restart', '-t', '1', 'web']).status).toBe(0);
    expect(api.docker(['inspect', '--format', '{{.State.Running}}', 'web']).stdout).toBe('true\n');
    expect(api.docker(['inspect', '--format', '{{.State.Pid}}', 'web']).stdout).not.toBe(pid);
    const rm = api.docker(['rm', 'web']);
    expect(rm.status).not.toBe(0);
    expect(rm.stderr).toMatch(/running/);
    expect(api.docker(['rm', '-f', 'web']).status).toBe(0);
    expect(api.docker(['ps', '-aq']).stdout).toBe('');
  });

  it('docker events shows what happened, and system df counts containers', () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    expect(api.docker(['run', '--name', 'ev', FIXTURE_IMAGE, 'true']).status).toBe(0);
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const events = api.docker(['events', '--since', since, '--until', until, '--filter', 'container=ev', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
    expect(events.stdout).toBe('container create ev\ncontainer start ev\ncontainer die ev\n');
    expect(api.docker(['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']).stdout).toContain('Containers 1');
    expect(api.docker(['rm', 'ev']).status).toBe(0);
  });

  it('kill -9 of the service leaves containers running; a new service finds them, their logs and exit codes', async () => {
    expect(api.docker(['run', '-d', '--name', 'lives', FIXTURE_IMAGE, 'sh', '-c', 'echo before; sleep 1; echo after; sleep 300']).status).toBe(0);
    expect(api.docker(['run', '--name', 'done', FIXTURE_IMAGE, 'sh', '-c', 'exit 9']).status).toBe(9);
    api.process.kill('SIGKILL');
    await new Promise((resolve) => api.process.once('exit', resolve));
    await api.restart();
    expect(api.docker(['inspect', '--format', '{{.State.Running}}', 'lives']).stdout).toBe('true\n');
    await waitFor('the line logged while no service ran', () => api.docker(['logs', 'lives']).stdout === 'before\nafter\n' || undefined);
    expect(api.docker(['inspect', '--format', '{{.State.ExitCode}}', 'done']).stdout).toBe('9\n');
    expect(api.docker(['rm', '-f', 'lives', 'done']).status).toBe(0);
  });

  it('top, stats, pause/unpause, rename, diff, commit, update, network connect/disconnect', () => {
    expect(api.docker(['run', '-d', '--name', 'v1', FIXTURE_IMAGE, 'sleep', '300']).status).toBe(0);
    expect(api.docker(['top', 'v1']).stdout).toMatch(/sleep 300/);
    expect(api.docker(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'v1']).stdout).toBe('v1 1\n');
    expect(api.docker(['pause', 'v1']).status).toBe(0);
    expect(api.docker(['ps', '--format', '{{.Status}}']).stdout).toMatch(/\(Paused\)/);
    expect(api.docker(['unpause', 'v1']).status).toBe(0);
    expect(api.docker(['rename', 'v1', 'v2']).status).toBe(0);
    expect(api.docker(['exec', 'v2', 'touch', '/new-file']).status).toBe(0);
    expect(api.docker(['diff', 'v2']).stdout).toContain('A /new-file');
    expect(api.docker(['commit', 'v2', 'committed:1']).stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(api.docker(['run', '--rm', 'committed:1', 'ls', '/new-file']).stdout).toBe('/new-file\n');
    expect(api.docker(['update', '--memory', '64m', 'v2']).status).toBe(0);
    expect(api.docker(['inspect', '--format', '{{.HostConfig.Memory}}', 'v2']).stdout).toBe(`${64 * 1024 * 1024}\n`);
    expect(api.docker(['network', 'create', 'side']).status).toBe(0);
    expect(api.docker(['network', 'connect', 'side', 'v2']).status).toBe(0);
    expect(api.docker(['inspect', '--format', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', 'v2']).stdout).toContain('side');
    expect(api.docker(['network', 'disconnect', 'side', 'v2']).status).toBe(0);
    expect(api.docker(['rm', '-f', 'v2']).status).toBe(0);
    expect(api.docker(['network', 'rm', 'side']).status).toBe(0);
  });

  it('docker build (the classic builder) makes an image from a Dockerfile context', () => {
    const context = join(api.box.dir, 'build-context');
    mkdirSync(context);
    writeFileSync(join(context, 'Dockerfile'), `FROM ${FIXTURE_IMAGE}\nCOPY greeting /greeting\nRUN echo built > /built\nCMD ["cat", "/greeting", "/built"]\n`);
    writeFileSync(join(context, 'greeting'), 'hello\n');
    const built = api.docker(['build', '-t', 'built:1', context], { env: { ...api.env, DOCKER_BUILDKIT: '0' } });
    expect(built.stdout).toMatch(/Successfully tagged built:1/);
    expect(built.status).toBe(0);
    expect(api.docker(['run', '--rm', 'built:1']).stdout).toBe('hello\nbuilt\n');
    const broken = join(api.box.dir, 'broken-context');
    mkdirSync(broken);
    writeFileSync(join(broken, 'Dockerfile'), `FROM ${FIXTURE_IMAGE}\nRUN exit 3\n`);
    const failed = api.docker(['build', broken], { env: { ...api.env, DOCKER_BUILDKIT: '0' } });
    expect(failed.status).not.toBe(0);
  });

  it('run -d -p: the published port answers on the namespace\'s 127.0.0.1', async () => {
    expect(api.docker(['run', '-d', '--name', 'httpd', '-p', '18080:80', FIXTURE_IMAGE, 'sh', '-c', 'echo page > /tmp/index.html; exec httpd -f -p 80 -h /tmp']).status).toBe(0);
    expect(api.docker(['port', 'httpd']).stdout).toContain('80/tcp -> 0.0.0.0:18080');
    await waitFor('the page', () => api.exec('curl', ['-sf', 'http://127.0.0.1:18080/index.html']).stdout === 'page\n' || undefined);
    expect(api.docker(['rm', '-f', 'httpd']).status).toBe(0);
  });

  it('100 docker run --rm at once all succeed and leave nothing', async () => {
    const { spawn } = await import('node:child_process');
    const runOne = (i: number) => new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('nsenter', [`--net=${api.ns.path}`, '--', dockerBinary()!, 'run', '--rm', '--network', 'none', FIXTURE_IMAGE, 'echo', `run${i}`], { env: api.env });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
      child.on('close', (code) => resolve({ code, out }));
    });
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => runOne(i)));
    expect(results.map((r) => r.code)).toEqual(Array(100).fill(0));
    expect(results.map((r) => r.out).sort()).toEqual(Array.from({ length: 100 }, (_, i) => `run${i}\n`).sort());
    expect(api.docker(['ps', '-aq']).stdout).toBe('');
  }, 600_000);

  it('answers a missing container with 404, a running one\'s removal with 409, a bad body with 400 (nothing made)', async () => {
    const missing = await api.http('GET', '/containers/nope/json');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).message).toContain('No such container: nope');
    const bad = await api.http('POST', '/containers/create?name=typed', JSON.stringify({ Image: FIXTURE_IMAGE, HostConfig: { Memory: '1g' } }));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).message).toContain('HostConfig.Memory');
    const noImage = await api.http('POST', '/containers/create', JSON.stringify({ Image: 'no-such-image:1' }));
    expect(noImage.status).toBe(404);
    expect(JSON.parse(noImage.body).message).toContain('No such image');
    expect(api.docker(['ps', '-aq']).stdout).toBe('');
    const twice = api.docker(['create', '--name', 'dup', FIXTURE_IMAGE, 'true']);
    expect(twice.status).toBe(0);
    const again = api.docker(['create', '--name', 'dup', FIXTURE_IMAGE, 'true']);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/Conflict/);
    expect(api.docker(['rm', 'dup']).status).toBe(0);
  });
});
