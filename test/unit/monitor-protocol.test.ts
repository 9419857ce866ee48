/**
 * The attach socket's frames (src/engine/monitor/protocol.ts), which native/monitor/
 * protocol.h mirrors: the numbers are checked against the header so the two cannot drift.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FRAME_HEADER,
  FRAME_MAX_IN,
  FrameDecoder,
  IN,
  OUT,
  decodeExited,
  decodeStartFailed,
  decodeStarted,
  encodeFrame,
  encodeResize,
  encodeSubscribe,
} from '../../src/engine/monitor/protocol.js';

const HEADER = readFileSync(join(import.meta.dirname, '../../native/monitor/protocol.h'), 'utf8');

function headerValue(name: string): number {
  const match = new RegExp(`\\b${name}\\s*=\\s*(\\d+)`).exec(HEADER);
  if (!match) throw new Error(`${name} not in protocol.h`);
  return Number(match[1]);
}

describe('the monitor protocol', () => {
  it('uses the frame numbers of native/monitor/protocol.h', () => {
    for (const [name, value] of Object.entries(IN)) expect([name, headerValue(`IN_${name}`)]).toEqual([name, value]);
    for (const [name, value] of Object.entries(OUT)) expect([name, headerValue(`OUT_${name}`)]).toEqual([name, value]);
    expect(HEADER).toMatch(new RegExp(`#define FRAME_HEADER ${FRAME_HEADER}\\b`));
    expect(HEADER).toContain('#define FRAME_MAX_IN (1u << 20)');
    expect(FRAME_MAX_IN).toBe(1 << 20);
  });

  it('encodes a frame as type, big-endian length, payload', () => {
    expect([...encodeFrame(IN.STDIN, 'hi')]).toEqual([1, 0, 0, 0, 2, 0x68, 0x69]);
    expect([...encodeFrame(IN.START)]).toEqual([4, 0, 0, 0, 0]);
    expect([...encodeResize(50, 300)]).toEqual([3, 0, 0, 0, 4, 0, 50, 1, 44]);
    expect([...encodeSubscribe(true, false)]).toEqual([6, 0, 0, 0, 1, 1]);
    expect([...encodeSubscribe(true, true)]).toEqual([6, 0, 0, 0, 1, 3]);
    const big = encodeFrame(OUT.STDOUT, Buffer.alloc(70000));
    expect(big.readUInt32BE(1)).toBe(70000);
  });

  it('decodes frames split anywhere across chunks, and several in one chunk', () => {
    const stream = Buffer.concat([encodeFrame(OUT.STDOUT, 'hello'), encodeFrame(OUT.STARTED, '{"pid":42}'), encodeFrame(OUT.STDERR, '')]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder();
      const frames = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(frames.map((f) => [f.type, f.payload.toString()])).toEqual([
        [OUT.STDOUT, 'hello'],
        [OUT.STARTED, '{"pid":42}'],
        [OUT.STDERR, ''],
      ]);
      expect(decoder.buffered).toBe(0);
    }
    // one byte at a time
    const decoder = new FrameDecoder();
    const frames = [...stream].flatMap((byte) => decoder.push(Buffer.from([byte])));
    expect(frames).toHaveLength(3);
  });

  it('reads the JSON payloads of STARTED, START_FAILED and EXITED', () => {
    expect(decodeStarted(Buffer.from('{"pid":1234}'))).toEqual({ pid: 1234 });
    expect(decodeStartFailed(Buffer.from('{"error":"exec: \\"x\\": not found","exitCode":127}'))).toEqual({ error: 'exec: "x": not found', exitCode: 127 });
    expect(decodeStartFailed(Buffer.from('{}'))).toEqual({ error: 'start failed', exitCode: 125 });
    expect(decodeExited(Buffer.from('{"exitCode":137,"restarting":false}'))).toEqual({ exitCode: 137, restarting: false });
    expect(decodeExited(Buffer.from('{"exitCode":1,"restarting":true}'))).toEqual({ exitCode: 1, restarting: true });
    expect(() => decodeStarted(Buffer.from('{}'))).toThrow(/without a pid/);
    expect(() => decodeExited(Buffer.from('[1]'))).toThrow(/not a JSON object/);
  });
});
