import { describe, expect, it } from 'vitest';
import { applyChanges } from '../../src/image/commit.js';

describe('commit --change', () => {
  it('applies Dockerfile instructions to the image config', () => {
    const config = applyChanges({ Cmd: ['sh'], Env: ['A=1', 'B=2'] }, [
      'CMD ["echo", "hi"]', 'ENTRYPOINT /start.sh', 'ENV B=3 C="x y"', 'ENV D four', 'LABEL team=web',
      'WORKDIR /srv', 'USER app', 'STOPSIGNAL SIGQUIT', 'EXPOSE 80 53/udp', 'VOLUME ["/data"]',
    ]);
    expect(config).toEqual({
      Cmd: ['echo', 'hi'], Entrypoint: ['/bin/sh', '-c', '/start.sh'], Env: ['A=1', 'B=3', 'C=x y', 'D=four'],
      Labels: { team: 'web' }, WorkingDir: '/srv', User: 'app', StopSignal: 'SIGQUIT',
      ExposedPorts: { '80/tcp': {}, '53/udp': {} }, Volumes: { '/data': {} },
    });
  });
  it('rejects unknown instructions and bad JSON', () => {
    expect(() => applyChanges({}, ['RUN apt-get update'])).toThrow('RUN is not one of');
    expect(() => applyChanges({}, ['CMD ["unterminated'])).toThrow('not a JSON array of strings');
  });
});
