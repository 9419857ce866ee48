import { describe, expect, it } from 'vitest';
import { blobUrl, isLoopback, localName, manifestUrl, remoteRef, uploadTarget, uploadUrl } from '../../src/image/registry/endpoint.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('reference → registry URLs', () => {
  it('uses plain HTTP for a loopback registry and maps tag, blob and upload URLs', () => {
    const ref = remoteRef('127.0.0.1:5000/team/app:1.0');
    expect(ref).toMatchObject({ registry: '127.0.0.1:5000', repository: 'team/app', tag: '1.0', base: 'http://127.0.0.1:5000' });
    expect(manifestUrl(ref, ref.tag!)).toBe('http://127.0.0.1:5000/v2/team/app/manifests/1.0');
    expect(blobUrl(ref, DIGEST)).toBe(`http://127.0.0.1:5000/v2/team/app/blobs/${DIGEST}`);
    expect(uploadUrl(ref)).toBe('http://127.0.0.1:5000/v2/team/app/blobs/uploads/');
  });

  it('defaults the tag to latest and keeps a digest reference as a digest', () => {
    expect(remoteRef('localhost:5000/busybox')).toMatchObject({ repository: 'busybox', tag: 'latest', base: 'http://localhost:5000' });
    const byDigest = remoteRef(`localhost:5000/busybox@${DIGEST}`);
    expect(byDigest.digest).toBe(DIGEST);
    expect(byDigest.tag).toBeUndefined();
    expect(localName(byDigest)).toBe(`localhost:5000/busybox@${DIGEST}`);
    expect(localName(remoteRef('localhost:5000/busybox'))).toBe('localhost:5000/busybox:latest');
  });

  it('uses HTTPS for other hosts unless TLS verification is turned off', () => {
    expect(remoteRef('registry.example.com/app:1').base).toBe('https://registry.example.com');
    expect(remoteRef('registry.example.com:8443/app:1', { tlsVerify: false }).base).toBe('http://registry.example.com:8443');
  });

  it('refuses a name without a registry host (there is no default registry)', () => {
    expect(() => remoteRef('busybox:1.36')).toThrow(/names no registry.*127\.0\.0\.1:5000\/busybox:1\.36/);
  });

  it('knows the loopback names', () => {
    for (const host of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000']) expect(isLoopback(host)).toBe(true);
    for (const host of ['10.0.0.1:5000', 'example.com', 'localhost.example.com', '[::2]:5000']) expect(isLoopback(host)).toBe(false);
  });
});

describe('the upload Location a registry answers a POST with', () => {
  const start = 'http://127.0.0.1:5000/v2/app/blobs/uploads/';

  it('resolves a path against the request URL and adds the digest', () => {
    expect(uploadTarget('/v2/app/blobs/uploads/u-1', start, DIGEST))
      .toBe(`http://127.0.0.1:5000/v2/app/blobs/uploads/u-1?digest=${encodeURIComponent(DIGEST)}`);
  });

  it('keeps an absolute Location on another host as it is', () => {
    expect(uploadTarget('https://upload.example/x/u-2', start, DIGEST)).toBe(`https://upload.example/x/u-2?digest=${encodeURIComponent(DIGEST)}`);
  });

  it('keeps the query the registry put in the Location (its upload state) and appends the digest', () => {
    const target = new URL(uploadTarget('http://127.0.0.1:5000/v2/app/blobs/uploads/u-3?_state=abc%3D%3D&x=1', start, DIGEST));
    expect(target.pathname).toBe('/v2/app/blobs/uploads/u-3');
    expect([...target.searchParams]).toEqual([['_state', 'abc=='], ['x', '1'], ['digest', DIGEST]]);
  });

  it('says so when the registry sent no Location', () => {
    expect(() => uploadTarget(null, start, DIGEST)).toThrow('sent no Location header');
  });
});
