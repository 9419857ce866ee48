/**
 * The Engine API's plumbing without a socket: the router (the /v1.NN prefix, 404/405, the
 * version range), the multiplexed stream's 8-byte header, and the detach-keys scanner that
 * ends an attach on ctrl-p ctrl-q without passing those bytes to the container.
 */
import { describe, expect, it } from 'vitest';
import { frame, outputChunk } from '../../src/api/frames.js';
import { ApiError, Query } from '../../src/api/http.js';
import { API_VERSION, MIN_API_VERSION, Router, compareVersions } from '../../src/api/router.js';
import { DetachScanner, detachKeyBytes } from '../../src/api/handlers/attach.js';

const noop = () => undefined;

function router(): Router {
  return new Router().add('GET', '/containers/:id/json', noop).add('GET', '/images/:name*/json', noop).add('POST', '/containers/:id/start', noop);
}

function status(fn: () => unknown): number {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return error.status;
    throw error;
  }
  return 200;
}

describe('the router', () => {
  it('takes paths with and without a /v1.NN prefix, and image names with slashes', () => {
    const r = router();
    expect(r.match('GET', '/containers/web/json').params).toEqual({ id: 'web' });
    expect(r.match('GET', '/v1.41/containers/web/json').version).toBe('1.41');
    expect(r.match('GET', '/images/127.0.0.1:5000/team/app:v2/json').params).toEqual({ name: '127.0.0.1:5000/team/app:v2' });
    expect(r.match('HEAD', '/containers/web/json').params).toEqual({ id: 'web' });
  });

  it('answers an unknown path 404, a known path with another method 405, versions out of range 400', () => {
    const r = router();
    expect(status(() => r.match('GET', '/nope'))).toBe(404);
    expect(status(() => r.match('DELETE', '/containers/web/start'))).toBe(405);
    expect(status(() => r.match('GET', '/v1.12/containers/web/json'))).toBe(400);
    expect(status(() => r.match('GET', '/v9.99/containers/web/json'))).toBe(400);
    expect(status(() => r.match('GET', `/v${MIN_API_VERSION}/containers/web/json`))).toBe(200);
    expect(status(() => r.match('GET', `/v${API_VERSION}/containers/web/json`))).toBe(200);
    expect(compareVersions('1.9', '1.24')).toBe(-1);
  });

  it('reads filters as moby does, in both JSON shapes', () => {
    expect(new Query(new URLSearchParams('filters={"label":["a=b"]}')).filters().get('label')).toEqual(['a=b']);
    expect(new Query(new URLSearchParams('filters={"label":{"a=b":true}}')).filters().get('label')).toEqual(['a=b']);
    expect(new Query(new URLSearchParams('all=0')).bool('all')).toBe(false);
    expect(new Query(new URLSearchParams('all=1')).bool('all')).toBe(true);
  });
});

describe('streams', () => {
  it('frames stdout and stderr with the 8-byte header; a tty\'s bytes go raw', () => {
    expect([...frame('stderr', 'hi')]).toEqual([2, 0, 0, 0, 0, 0, 0, 2, 104, 105]);
    expect(outputChunk(true, 'stdout', 'hi').toString()).toBe('hi');
  });

  it('the detach keys end an attach and never reach the container; a partial sequence does', () => {
    const keys = detachKeyBytes('ctrl-p,ctrl-q');
    expect([...keys]).toEqual([16, 17]);
    const written: number[] = [];
    let detached = 0;
    const scanner = new DetachScanner(keys, (b) => written.push(...b), () => detached++);
    scanner.push(Buffer.from([97, 16, 98]));
    expect(written).toEqual([97, 16, 98]);
    scanner.push(Buffer.from([99, 16]));
    expect(written).toEqual([97, 16, 98, 99]);
    scanner.push(Buffer.from([17, 100]));
    expect(detached).toBe(1);
    expect(written).toEqual([97, 16, 98, 99]);
    expect(() => detachKeyBytes('ctrl-')).toThrow(/invalid detach keys/);
  });
});
