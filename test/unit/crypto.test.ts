/**
 * src/crypto.ts: the JavaScript sha256 gives node:crypto's digest, and no module but
 * crypto.ts imports node:crypto (a static import would load it, ~7 ms of CPU, in every
 * create, run, exec and delete: see crypto.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomBytes as kernelRandomBytes, randomInt, sha256Hex } from '../../src/crypto.js';

const SRC = resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('sha256Hex', () => {
  it('gives the FIPS 180-4 test vectors', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))
      .toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('agrees with node:crypto on every length across block boundaries, and on UTF-8 text', () => {
    for (let length = 0; length < 300; length++) {
      const text = randomBytes(length).toString('latin1');
      expect(sha256Hex(text), `length ${length}`).toBe(createHash('sha256').update(text).digest('hex'));
    }
    for (const text of ['/var/lib/ts-runc', '/tmp/ünïcödé/root', '/root/\u{1F600}/x', 'a'.repeat(1000)]) {
      expect(sha256Hex(text)).toBe(createHash('sha256').update(text).digest('hex'));
    }
  });
});

describe('randomBytes and randomInt (from /dev/urandom)', () => {
  it('give the length asked for, bytes that differ from call to call, and integers in range, each value reached', () => {
    expect(kernelRandomBytes(32)).toHaveLength(32);
    expect(kernelRandomBytes(32).equals(kernelRandomBytes(32))).toBe(false);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const value = randomInt(7);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(7);
      seen.add(value);
    }
    expect(seen.size).toBe(7);
  });
});

describe('node:crypto', () => {
  it('is imported by src/crypto.ts alone', () => {
    const importers = sourceFiles(SRC).filter((file) => relative(SRC, file) !== 'crypto.ts' && /from ['"](node:)?crypto['"]|import\(['"](node:)?crypto['"]\)/.test(readFileSync(file, 'utf8')));
    expect(importers.map((file) => relative(SRC, file))).toEqual([]);
  });
});
