/** POST /build's query → buildImage's options (src/build/api-options.ts). */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildOptionsFromQuery } from '../../src/build/api-options.js';

const body = Readable.from([]);

describe('POST /build query', () => {
  it('maps t, dockerfile, buildargs, labels, target, nocache, q, networkmode and platform', () => {
    const query = new URLSearchParams('t=web:1&t=web:latest&dockerfile=build/Dockerfile&buildargs=%7B%22V%22%3A%222%22%2C%22UNSET%22%3Anull%7D&labels=%7B%22a%22%3A%22b%22%7D&target=runtime&nocache=1&q=1&networkmode=bridge&platform=linux/amd64&rm=1&forcerm=0');
    const { options, quiet } = buildOptionsFromQuery(query, body, '/run/x');
    expect(quiet).toBe(true);
    expect(options).toMatchObject({
      context: { dockerfile: 'build/Dockerfile' }, tags: ['web:1', 'web:latest'], buildArgs: { V: '2' }, labels: { a: 'b' },
      target: 'runtime', noCache: true, network: 'default', platform: 'linux/amd64', root: '/run/x',
    });
    expect(buildOptionsFromQuery(new URLSearchParams(''), body).options).toMatchObject({ tags: [], buildArgs: {}, noCache: false, network: 'none' });
  });

  it('refuses remote contexts and malformed JSON', () => {
    expect(() => buildOptionsFromQuery(new URLSearchParams('remote=https://x/y.git'), body)).toThrow(/remote build contexts/);
    expect(() => buildOptionsFromQuery(new URLSearchParams('buildargs=nope'), body)).toThrow(/buildargs: not JSON/);
    expect(() => buildOptionsFromQuery(new URLSearchParams('labels=%5B%5D'), body)).toThrow(/labels: expected a JSON object/);
    expect(() => buildOptionsFromQuery(new URLSearchParams('networkmode=container:x'), body)).toThrow(/networkmode/);
  });
});

describe('build output as the Engine API streams it', () => {
  it('writes one JSON message per event, as the docker CLI reads them', async () => {
    const { jsonLinesOutput } = await import('../../src/build/output.js');
    const lines: string[] = [];
    const out = jsonLinesOutput((line) => lines.push(line));
    out.event({ type: 'stream', text: 'Step 1/2 : FROM x\n' });
    out.event({ type: 'aux', id: 'sha256:abc' });
    out.event({ type: 'error', message: 'Dockerfile:2: RUN returned exit code 1' });
    expect(lines).toEqual([
      '{"stream":"Step 1/2 : FROM x\\n"}\n',
      '{"aux":{"ID":"sha256:abc"}}\n',
      '{"errorDetail":{"message":"Dockerfile:2: RUN returned exit code 1"},"error":"Dockerfile:2: RUN returned exit code 1"}\n',
    ]);
  });
});
