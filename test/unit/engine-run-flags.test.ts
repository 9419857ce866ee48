import { describe, expect, it } from 'vitest';
import { parseRestart, parseRunFlags, splitShortFlags, CREATE_FLAGS, RUN_ONLY_FLAGS } from '../../src/cli/container/run-flags.js';
import { detachSequence } from '../../src/cli/container/attach-streams.js';
import { applyHostConfig, tweakCapabilities } from '../../src/engine/lifecycle/spec.js';
import { mergeConfig } from '../../src/engine/lifecycle/create.js';
import { parseDuration, parseSize } from '../../src/engine/units.js';
import { defaultSpec } from '../../src/spec/defaults.js';

describe('container run flags → CreateRequest (docker\'s grammar)', () => {
  it('flags end at the IMAGE word: the command keeps its own flags', () => {
    const { request, detach } = parseRunFlags(['-d', '--name', 'web', 'fixture:3layers', 'sh', '-c', 'ls -l', '-d'], 'run');
    expect(detach).toBe(true);
    expect(request.name).toBe('web');
    expect(request.config.Image).toBe('fixture:3layers');
    expect(request.config.Cmd).toEqual(['sh', '-c', 'ls -l', '-d']);
  });

  it('-it and -dit are the short flags together; -h is --hostname', () => {
    expect(splitShortFlags(['-dit', 'img', '-it'], [...CREATE_FLAGS, ...RUN_ONLY_FLAGS])).toEqual(['-d', '-i', '-t', 'img', '-it']);
    const { request, attach } = parseRunFlags(['-it', '-h', 'box', 'img'], 'run');
    expect(request.config).toMatchObject({ Tty: true, OpenStdin: true, StdinOnce: true, Hostname: 'box' });
    expect(attach).toEqual({ stdin: true, stdout: true, stderr: true });
  });

  it('resources, capabilities, restart, logs, healthcheck and ports land in HostConfig/Config', () => {
    const { request } = parseRunFlags([
      '-m', '512m', '--memory-swap', '1g', '--cpus', '1.5', '--cpu-shares', '512', '--cpuset-cpus', '0', '--pids-limit', '64',
      '--cap-add', 'NET_ADMIN', '--cap-drop', 'ALL', '--ulimit', 'nofile=1024:2048', '--restart', 'on-failure:3',
      '--log-opt', 'max-size=10m', '--log-opt', 'max-file=3', '--health-cmd', 'true', '--health-interval', '1m30s',
      '-p', '127.0.0.1:8080:80', '-p', '53/udp', '--expose', '9000', '--init', '--rm', '-e', 'A=1', '--label', 'k=v',
      '--stop-signal', 'SIGINT', '--stop-timeout', '5', '--sysctl', 'net.ipv4.ip_forward=1', 'img',
    ], 'run');
    expect(request.hostConfig).toMatchObject({
      Memory: 512 * 1024 ** 2, MemorySwap: 1024 ** 3, NanoCpus: 1.5e9, CpuShares: 512, CpusetCpus: '0', PidsLimit: 64,
      CapAdd: ['NET_ADMIN'], CapDrop: ['ALL'], Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 }, LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
      PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': [{ HostIp: '', HostPort: '' }] },
      Init: true, AutoRemove: true, Sysctls: { 'net.ipv4.ip_forward': '1' },
    });
    expect(request.config).toMatchObject({
      Env: ['A=1'], Labels: { k: 'v' }, StopSignal: 'SIGINT', StopTimeout: 5,
      Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 90e9 },
      ExposedPorts: { '80/tcp': {}, '53/udp': {}, '9000/tcp': {} },
    });
  });

  it('-e NAME passes our value on, or nothing when we have none', () => {
    process.env.TS_RUNC_TEST_VALUE = 'ours';
    const { request } = parseRunFlags(['-e', 'TS_RUNC_TEST_VALUE', '-e', 'TS_RUNC_TEST_UNSET_X', 'img'], 'run');
    expect(request.config.Env).toEqual(['TS_RUNC_TEST_VALUE=ours']);
  });

  it('refuses, with exit 125 and the flag named: unknown flags, docker flags ts-runc lacks, bad values, no image', () => {
    const fails = (argv: string[], text: string) => {
      let caught: unknown;
      try { parseRunFlags(argv, 'run'); } catch (error) { caught = error; }
      expect(caught).toMatchObject({ exitCode: 125 });
      expect((caught as Error).message).toContain(text);
    };
    fails(['--frobnicate', 'img'], '--frobnicate');
    fails(['--gpus', 'all', 'img'], "docker's --gpus is not supported");
    fails(['--restart', 'sometimes', 'img'], '--restart sometimes');
    fails(['--restart', 'always:3', 'img'], 'only on-failure takes');
    fails(['-m', 'lots', 'img'], '--memory');
    fails(['--health-interval', '10', 'img'], '--health-interval');
    fails(['-d'], 'an IMAGE is required');
    fails(['--no-healthcheck', '--health-cmd', 'true', 'img'], 'conflicts');
  });

  it('create never attaches; -a picks streams', () => {
    expect(parseRunFlags(['img'], 'create').detach).toBe(true);
    expect(parseRunFlags(['-a', 'STDERR', 'img'], 'run').attach).toEqual({ stdin: false, stdout: false, stderr: true });
    expect(parseRestart('unless-stopped')).toEqual({ Name: 'unless-stopped' });
  });
});

describe('units, detach keys', () => {
  it('parses docker sizes and Go durations', () => {
    expect(parseSize('64k', 'x')).toBe(65536);
    expect(parseSize('1.5g', 'x')).toBe(1.5 * 1024 ** 3);
    expect(parseDuration('1m30s', 'x')).toBe(90e9);
    expect(parseDuration('500ms', 'x')).toBe(5e8);
    expect(() => parseDuration('5', 'x')).toThrow('expected a duration');
  });

  it('turns --detach-keys into bytes', () => {
    expect(detachSequence('ctrl-p,ctrl-q')).toEqual([0x10, 0x11]);
    expect(detachSequence('a,ctrl-[')).toEqual([0x61, 0x1b]);
    expect(() => detachSequence('ctrl-1')).toThrow('is not a key');
  });
});

describe('HostConfig → config.json (engine/lifecycle/spec.ts)', () => {
  const base = () => {
    const spec = defaultSpec({ rootless: false });
    spec.process!.args = ['app'];
    spec.process!.capabilities = { bounding: ['CAP_CHOWN', 'CAP_KILL'], effective: ['CAP_CHOWN', 'CAP_KILL'], permitted: ['CAP_CHOWN', 'CAP_KILL'] };
    return spec;
  };

  it('maps memory, cpus, shares, cpuset and pids onto linux.resources', () => {
    const spec = base();
    applyHostConfig(spec, { Memory: 2 ** 30, MemoryReservation: 2 ** 29, MemorySwap: 2 ** 31, NanoCpus: 1.5e9, CpuShares: 256, CpusetCpus: '0-1', PidsLimit: 100 });
    expect(spec.linux!.resources).toMatchObject({
      memory: { limit: 2 ** 30, reservation: 2 ** 29, swap: 2 ** 31 },
      cpu: { period: 100_000, quota: 150_000, shares: 256, cpus: '0-1' },
      pids: { limit: 100 },
    });
  });

  it('--memory-swap needs -m and must cover it', () => {
    expect(() => applyHostConfig(base(), { MemorySwap: 2 ** 30 })).toThrow('--memory-swap needs --memory');
    expect(() => applyHostConfig(base(), { Memory: 2 ** 31, MemorySwap: 2 ** 30 })).toThrow('at least --memory');
  });

  it('cap-add/cap-drop with ALL, privileged, read-only, ulimits, tmpfs, init', () => {
    expect(tweakCapabilities(['CAP_CHOWN', 'CAP_KILL'], ['net_admin'], ['KILL'])).toEqual(['CAP_CHOWN', 'CAP_NET_ADMIN']);
    expect(tweakCapabilities(['CAP_CHOWN'], ['CAP_SYS_TIME'], ['ALL'])).toEqual(['CAP_SYS_TIME']);
    const spec = base();
    applyHostConfig(spec, { Privileged: true, ReadonlyRootfs: true, Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 20 }], Tmpfs: { '/run': 'size=64m' }, Init: true }, '/storage/ctr/docker-init');
    expect(spec.process!.capabilities!.bounding).toContain('CAP_SYS_ADMIN');
    expect(spec.linux!.maskedPaths).toEqual([]);
    expect(spec.root!.readonly).toBe(true);
    expect(spec.process!.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', soft: 10, hard: 20 }]);
    expect(spec.mounts!.find((m) => m.destination === '/run')).toMatchObject({ type: 'tmpfs', options: expect.arrayContaining(['size=64m']) });
    expect(spec.mounts!.find((m) => m.destination === '/sbin/docker-init')).toMatchObject({ source: '/storage/ctr/docker-init', options: expect.arrayContaining(['ro']) });
    expect(spec.process!.args).toEqual(['/sbin/docker-init', 'app']);
  });
});

describe('the image\'s config under the request\'s (engine/lifecycle/create.ts mergeConfig)', () => {
  const image = (config: Record<string, unknown>) => ({ config: { config } }) as unknown as Parameters<typeof mergeConfig>[1];

  it('keeps the image\'s Entrypoint and Cmd unless asked; a new Cmd replaces only Cmd', () => {
    const img = image({ Entrypoint: ['/entry'], Cmd: ['--serve'], Env: ['PATH=/bin', 'A=image'], WorkingDir: '/app', User: 'daemon', StopSignal: 'SIGQUIT' });
    expect(mergeConfig({ Image: 'x' }, img)).toMatchObject({ Entrypoint: ['/entry'], Cmd: ['--serve'], WorkingDir: '/app', User: 'daemon', StopSignal: 'SIGQUIT' });
    expect(mergeConfig({ Image: 'x', Cmd: ['--once'] }, img)).toMatchObject({ Entrypoint: ['/entry'], Cmd: ['--once'] });
  });

  it('--entrypoint drops the image\'s Cmd (it was written for the old entrypoint); "" clears it', () => {
    const img = image({ Entrypoint: ['/entry'], Cmd: ['--serve'] });
    expect(mergeConfig({ Image: 'x', Entrypoint: ['sh'] }, img)).toMatchObject({ Entrypoint: ['sh'], Cmd: null });
    expect(mergeConfig({ Image: 'x', Entrypoint: [''], Cmd: ['ls'] }, img)).toMatchObject({ Entrypoint: null, Cmd: ['ls'] });
  });

  it('merges Env by key (the request wins), and unions Labels and ExposedPorts', () => {
    const img = image({ Env: ['PATH=/bin', 'A=image'], Labels: { a: '1' }, ExposedPorts: { '80/tcp': {} } });
    const merged = mergeConfig({ Image: 'x', Env: ['A=mine', 'B=2'], Labels: { b: '2' }, ExposedPorts: { '443/tcp': {} } }, img);
    expect(merged.Env).toEqual(['PATH=/bin', 'A=mine', 'B=2']);
    expect(merged.Labels).toEqual({ a: '1', b: '2' });
    expect(Object.keys(merged.ExposedPorts!).sort()).toEqual(['443/tcp', '80/tcp']);
  });
});
