/**
 * node:crypto, loaded when first used, and a sha256 of short text that does not load it.
 *
 * Loading node:crypto costs ~7 ms of CPU. A static import would pay that in every create,
 * run, exec and delete: the one-file bundles (scripts/bundle.mjs) hoist every builtin
 * import of every module they inline to their top, whether that module ever runs or not
 * (issue 14). So modules call crypto() where they need it; test/unit/crypto.test.ts checks
 * that nothing else imports node:crypto.
 */

import { closeSync, openSync, readSync } from 'node:fs';

/**
 * `n` bytes from the kernel's random number generator (random(4): /dev/urandom, the source
 * node:crypto's randomBytes draws on too), read without loading node:crypto: every engine
 * container gets a random id, and that load was 7 ms of `container run` (issue 14).
 */
export function randomBytes(n: number): Buffer {
  const bytes = Buffer.alloc(n);
  let fd: number;
  try {
    fd = openSync('/dev/urandom', 'r');
  } catch {
    return crypto().randomBytes(n); // no /dev here (a minimal chroot): getrandom(2), through Node
  }
  try {
    for (let got = 0; got < n;) got += readSync(fd, bytes, got, n - got, null);
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/** A uniform integer in [0, max), as node:crypto's randomInt (rejection sampling, no modulo bias). */
export function randomInt(max: number): number {
  const limit = Math.floor(0x1_0000_0000 / max) * max;
  for (;;) {
    const value = randomBytes(4).readUInt32LE(0);
    if (value < limit) return value % max;
  }
}

/** The node:crypto module (process.getBuiltinModule: no ES module namespace to build). */
export function crypto(): typeof import('node:crypto') {
  return process.getBuiltinModule('node:crypto');
}

/** FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/**
 * The sha256 of `text` (as UTF-8), in hex: what crypto().createHash('sha256').update(text)
 * .digest('hex') gives, for the short names (cgroup leaves) that create needs one for.
 * FIPS 180-4 section 6.2, written for clarity, not for throughput.
 */
export function sha256Hex(text: string): string {
  const data = Buffer.from(text, 'utf8'); // not TextEncoder: a global Node loads on first use
  // 5.1.1 padding: a 1 bit, zeros, then the length in bits as 64 bits, to a multiple of 64 bytes
  const padded = new Uint8Array(Math.ceil((data.length + 9) / 64) * 64);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(data.length / 0x20000000));
  view.setUint32(padded.length - 4, (data.length * 8) >>> 0);
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  // Plain locals and no array per round: this runs once per create, in V8's interpreter.
  for (let block = 0; block < padded.length; block += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(block + t * 4);
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15];
      const y = w[t - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (k + S1 + ((e & f) ^ (~e & g)) + K[t] + w[t]) >>> 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      k = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
  }
  let hex = '';
  for (let i = 0; i < 8; i++) hex += h[i].toString(16).padStart(8, '0');
  return hex;
}
