import { describe, expect, it } from 'vitest';
import { encodeFields } from '../../src/plan/encode.js';
import { MSG, MessageReader, decodeError, decodeFields, encodeConfig, frame } from '../../src/process/protocol.js';
import { stepError } from '../../src/process/init-process.js';

describe('the sync protocol with native/init/', () => {
  it('frames messages as type, length, payload (little-endian)', () => {
    const bytes = frame(MSG.PID, encodeFields(['1234']));
    expect([...bytes.subarray(0, 8)]).toEqual([2, 0, 0, 0, 12, 0, 0, 0]);
    expect(decodeFields(bytes.subarray(8))).toEqual(['1234']);
  });

  it('reassembles messages split across reads, and several in one read', () => {
    const a = frame(MSG.READY, encodeFields([]));
    const b = frame(MSG.PID, encodeFields(['42']));
    const all = Buffer.concat([a, b]);
    const reader = new MessageReader();
    expect(reader.push(all.subarray(0, 5))).toEqual([]);
    const messages = reader.push(all.subarray(5));
    expect(messages.map((m) => m.type)).toEqual([MSG.READY, MSG.PID]);
    expect(decodeFields(messages[1]!.payload)).toEqual(['42']);
  });

  it('encodes CONFIG as key/value pairs, joins repeated', () => {
    const fields = decodeFields(encodeConfig({
      cloneFlags: 0x20000, join: [{ type: 'user', path: '/proc/1/ns/user' }, { type: 'net', path: '/run/netns/x' }],
      foreground: true, consoleSocket: '', preserveFds: 2,
      barrier: { startFifo: '/run/ts-runc/web/start.fifo', reportFifo: '/run/ts-runc/web/report.fifo' },
    }));
    expect(fields).toEqual([
      'clone-flags', '131072', 'foreground', '1', 'console-socket', '',
      'start-fifo', '/run/ts-runc/web/start.fifo', 'report-fifo', '/run/ts-runc/web/report.fifo', 'preserve-fds', '2', 'join', 'user:/proc/1/ns/user', 'join', 'net:/run/netns/x',
    ]);
  });

  it('lists the bind sources stage 0 opens for a new user namespace, one mount-source each', () => {
    const fields = decodeFields(encodeConfig({
      cloneFlags: 0x10020000, join: [], foreground: false, consoleSocket: '', preserveFds: 0,
      mountSources: ['/srv/data', '/dev/null'],
    }));
    expect(fields.slice(-4)).toEqual(['mount-source', '/srv/data', 'mount-source', '/dev/null']);
  });

  it('turns an ERROR into a sentence naming the step, its place in the plan and the errno', () => {
    const failure = decodeError(encodeFields(['1', 'mount', '1', 'mount(proc, /proc): Operation not permitted']));
    const error = stepError({ steps: [
      { op: 'bind-rootfs', rootfs: '/r' },
      { op: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: [], propagation: [], data: '', create: 'dir' },
    ] }, failure);
    expect(error.message).toBe('step 2/2 mount proc proc on /proc: EPERM: mount(proc, /proc): Operation not permitted');
    expect(error.code).toBe('EPERM');
  });
});
