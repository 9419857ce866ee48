import { describe, expect, it } from 'vitest';
import { hostPlatform, parsePlatform, selectManifest } from '../../src/image/registry/platform.js';
import { MEDIA_TYPES, type ImageIndex } from '../../src/image/types.js';

const entry = (digest: string, architecture: string, variant?: string, os = 'linux') => ({
  mediaType: MEDIA_TYPES.ociManifest, digest, size: 100, platform: variant ? { os, architecture, variant } : { os, architecture },
});
const index: ImageIndex = {
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.ociIndex,
  manifests: [
    { mediaType: MEDIA_TYPES.ociManifest, digest: 'sha256:att', size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
    entry('sha256:arm7', 'arm', 'v7'),
    entry('sha256:amd', 'amd64'),
    entry('sha256:arm64', 'arm64', 'v8'),
    entry('sha256:win', 'amd64', undefined, 'windows'),
  ],
};

describe('choosing a platform from a manifest list', () => {
  it('picks linux/amd64 and linux/arm64, skipping other OSes and attestation entries', () => {
    expect(selectManifest(index, { os: 'linux', architecture: 'amd64' }).digest).toBe('sha256:amd');
    expect(selectManifest(index, { os: 'linux', architecture: 'arm64' }).digest).toBe('sha256:arm64');
    expect(selectManifest(index, { os: 'windows', architecture: 'amd64' }).digest).toBe('sha256:win');
  });

  it('matches a variant only when one is asked for', () => {
    expect(selectManifest(index, parsePlatform('linux/arm/v7')).digest).toBe('sha256:arm7');
    expect(() => selectManifest(index, parsePlatform('linux/arm/v6'))).toThrow('no image for linux/arm/v6');
  });

  it('lists what the manifest list has when nothing matches', () => {
    expect(() => selectManifest(index, { os: 'linux', architecture: 's390x' }))
      .toThrow('no image for linux/s390x in the manifest list (it has: unknown/unknown, linux/arm/v7, linux/amd64, linux/arm64/v8, windows/amd64)');
  });

  it('names this machine with the architectures images use', () => {
    const want = { x64: 'amd64', arm64: 'arm64' }[process.arch as 'x64' | 'arm64'];
    expect(hostPlatform()).toEqual({ os: 'linux', architecture: want });
  });

  it('rejects a malformed --platform', () => {
    expect(() => parsePlatform('arm64')).toThrow('invalid platform "arm64"');
    expect(() => parsePlatform('linux/arm/v7/x')).toThrow('invalid platform');
  });
});
