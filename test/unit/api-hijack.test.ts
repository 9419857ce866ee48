/**
 * hijack() takes over an upgraded connection (attach, exec start). Node hands some upgrades
 * over as a stream that is not a net.Socket (no setNoDelay): when docker-py's exec_run
 * sent its JSON body after the headers, hijack threw, nothing answered, and the client
 * waited forever (about one exec_run in ten).
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { hijack, setUpgrade } from '../../src/api/hijack.js';

describe('hijack', () => {
  it('takes over an upgraded connection that is a plain Duplex, and answers 101', () => {
    const written: Buffer[] = [];
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk);
        done();
      },
    });
    const req = new IncomingMessage(new Socket());
    req.headers = { connection: 'Upgrade', upgrade: 'tcp' };
    const res = new ServerResponse(req);
    res.assignSocket(stream as unknown as Socket);
    setUpgrade(req, stream as unknown as Socket, Buffer.alloc(0));
    const hijacked = hijack(req, res, true);
    expect(hijacked.upgraded).toBe(true);
    expect(Buffer.concat(written).toString()).toMatch(/^HTTP\/1\.1 101 /);
  });
});
