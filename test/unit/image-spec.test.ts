import { describe, expect, it } from 'vitest';
import { EXPOSED_PORTS_ANNOTATION, STOP_SIGNAL_ANNOTATION, imageSpec, processArgs, processEnv, type ImageRunOptions } from '../../src/image/image-spec.js';
import { parseSpec } from '../../src/spec/validate.js';
import type { ContainerConfig, ImageConfig } from '../../src/image/types.js';

function image(config: ContainerConfig): { id: string; name: string; config: ImageConfig } {
  return { id: 'sha256:abc', name: 'test:1', config: { architecture: 'amd64', os: 'linux', config, rootfs: { type: 'layers', diff_ids: [] } } };
}

function options(edit: Partial<ImageRunOptions> = {}): ImageRunOptions {
  return { id: '0123456789abcdef', command: [], env: [], terminal: false, mounts: [], ...edit };
}

const ETC = { passwd: 'root:x:0:0:root:/root:/bin/sh\nweb:x:33:33:www:/var/www:/bin/sh\n', group: 'root:x:0:\nweb:x:33:\nlog:x:4:web\n' };

describe('Entrypoint and Cmd with overrides (Docker\'s rules)', () => {
  const cases: [string, string[] | null | undefined, string[] | null | undefined, Partial<ImageRunOptions>, string[]][] = [
    ['Cmd alone', undefined, ['sh'], {}, ['sh']],
    ['Entrypoint + Cmd', ['/entry', '-x'], ['serve'], {}, ['/entry', '-x', 'serve']],
    ['a command replaces Cmd', ['/entry'], ['serve'], { command: ['check', '1'] }, ['/entry', 'check', '1']],
    ['a command with no Entrypoint', null, ['sh'], { command: ['echo', 'hi'] }, ['echo', 'hi']],
    ['--entrypoint drops the image Cmd', ['/entry'], ['serve'], { entrypoint: '/bin/ls' }, ['/bin/ls']],
    ['--entrypoint with a command', ['/entry'], ['serve'], { entrypoint: '/bin/ls', command: ['-l'] }, ['/bin/ls', '-l']],
    ['--entrypoint "" clears it', ['/entry'], ['serve'], { entrypoint: '', command: ['id'] }, ['id']],
  ];
  for (const [name, entrypoint, cmd, edit, expected] of cases) {
    it(name, () => expect(processArgs(entrypoint, cmd, options(edit))).toEqual(expected));
  }
  it('nothing to run is an error', () => {
    expect(() => processArgs(undefined, undefined, options())).toThrow('no command specified');
    expect(() => processArgs(['/e'], ['x'], options({ entrypoint: '' }))).toThrow('no command specified');
  });
});

describe('environment', () => {
  it('image Env, then -e by key; -e NAME passes ours on; PATH and defaults fill gaps', () => {
    const env = processEnv(['A=1', 'B=2'], ['B=3', 'C=x=y', 'FROM_HOST', 'UNSET'], { HOME: '/root', A: 'ignored' }, { FROM_HOST: 'h' });
    expect(env).toEqual(['A=1', 'B=3', 'C=x=y', 'FROM_HOST=h', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root']);
  });
  it('the image\'s PATH is kept', () => {
    expect(processEnv(['PATH=/opt/bin'], [], {}, {})).toEqual(['PATH=/opt/bin']);
  });
  it('a malformed image Env entry is an error', () => {
    expect(() => processEnv(['=x'], [], {}, {})).toThrow('is not KEY=VALUE');
  });
});

describe('the whole config.json', () => {
  const config: ContainerConfig = {
    Cmd: ['httpd', '-f'], Env: ['PATH=/bin', 'MODE=prod'], WorkingDir: '/srv', User: 'web',
    Labels: { 'org.example.team': 'infra' }, StopSignal: 'SIGQUIT', ExposedPorts: { '80/tcp': {}, '53/udp': {}, '8080': {} },
  };

  it('is a valid spec with the image\'s process, user, annotations and a writable root', () => {
    const spec = imageSpec(image(config), options({ env: ['MODE=dev'] }), ETC, {});
    expect(() => parseSpec(JSON.parse(JSON.stringify(spec)))).not.toThrow();
    expect(spec.process).toMatchObject({
      args: ['httpd', '-f'], cwd: '/srv', terminal: false,
      user: { uid: 33, gid: 33, additionalGids: [4] },
      env: ['PATH=/bin', 'MODE=dev', 'HOSTNAME=0123456789ab', 'HOME=/var/www'],
    });
    expect(spec.root).toEqual({ path: 'rootfs', readonly: false });
    expect(spec.hostname).toBe('0123456789ab');
    expect(spec.annotations).toMatchObject({
      'org.example.team': 'infra', [STOP_SIGNAL_ANNOTATION]: 'SIGQUIT', [EXPOSED_PORTS_ANNOTATION]: '53/udp,80/tcp,8080/tcp',
      'io.ts-runc.image.id': 'sha256:abc', 'io.ts-runc.image.name': 'test:1',
    });
  });

  it('flags override user, workdir and hostname; -t adds a terminal and TERM', () => {
    const spec = imageSpec(image(config), options({ user: '1000:1000', workdir: '/tmp', hostname: 'web1', terminal: true }), ETC, {});
    expect(spec.process).toMatchObject({ user: { uid: 1000, gid: 1000 }, cwd: '/tmp', terminal: true });
    expect(spec.process!.env).toContain('TERM=xterm');
    expect(spec.hostname).toBe('web1');
  });

  it('volumes come after the default mounts', () => {
    const mount = { destination: '/data', type: 'bind', source: '/x', options: ['rbind', 'rprivate', 'rw'] };
    const spec = imageSpec(image(config), options({ mounts: [mount] }), ETC, {});
    expect(spec.mounts!.at(-1)).toEqual(mount);
  });

  it('an unknown user or a relative working directory is a clear error', () => {
    expect(() => imageSpec(image({ ...config, User: 'ghost' }), options(), ETC, {})).toThrow('unable to find user ghost');
    expect(() => imageSpec(image(config), options({ workdir: 'rel' }), ETC, {})).toThrow('"rel" is not an absolute path');
  });
});
