/**
 * Which compression a layer uses, told by its first bytes rather than its media type
 * (docker archives and old registries label gzip layers as plain tar and vice versa).
 * Supported: plain tar, gzip (RFC 1952) and zstd (RFC 8878), all three OCI layer types.
 * bzip2 and xz (allowed by old Docker) are recognised and refused with a clear error.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { Transform } from 'node:stream';
import { RuntimeError } from '../errors.js';
import { MEDIA_TYPES } from './types.js';

export type Compression = 'none' | 'gzip' | 'zstd';

export function detectCompression(head: Buffer, where: string): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') throw new RuntimeError(`${where}: bzip2-compressed layers are not supported (only tar, gzip and zstd)`);
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) throw new RuntimeError(`${where}: xz-compressed layers are not supported (only tar, gzip and zstd)`);
  return 'none';
}

/** The compression of a file on disk, from its first 6 bytes. */
export function fileCompression(path: string, where: string): Compression {
  const head = Buffer.alloc(6);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 6, 0);
  } finally {
    closeSync(fd);
  }
  return detectCompression(head, where);
}

/**
 * Output chunks of 256 KiB rather than zlib's 16 KiB: each chunk costs a callback, a hash
 * update and a tar parser write, and a layer is hundreds of MB (issue 14).
 */
const CHUNK = 256 * 1024;

/** A stream that undoes `compression`; zlib is imported only when a layer needs it. */
export async function decompressor(compression: Compression): Promise<Transform | undefined> {
  if (compression === 'none') return undefined;
  const zlib = await import('node:zlib');
  return compression === 'gzip' ? zlib.createGunzip({ chunkSize: CHUNK }) : zlib.createZstdDecompress({ chunkSize: CHUNK });
}

export function layerMediaType(compression: Compression): string {
  switch (compression) {
    case 'none': return MEDIA_TYPES.ociLayer;
    case 'gzip': return MEDIA_TYPES.ociLayerGzip;
    case 'zstd': return MEDIA_TYPES.ociLayerZstd;
  }
}
