/**
 * `network connect` acts on a running container's network namespace through ONE fd opened
 * from its pid (src/network/netns-socket.ts openNetnsOf), never our own: a pid that exited
 * and was reused by a host process must not get the container's interface configured in
 * the host's namespace.
 */
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openNetnsOf } from '../../src/network/netns-socket.js';

const isRoot = process.getuid?.() === 0;

describe('openNetnsOf', () => {
  it('refuses a pid in our own (the host\'s) network namespace', () => {
    expect(() => openNetnsOf(process.pid)).toThrow(/host's network namespace/);
  });

  it('refuses a pid that does not exist', () => {
    expect(() => openNetnsOf(2 ** 22 + 1)).toThrow(/did the container stop/);
  });

  it.skipIf(!isRoot)('opens the namespace of a process in a network namespace of its own', async () => {
    const child = spawn('unshare', ['--net', 'sleep', '30'], { stdio: 'ignore' });
    try {
      // unshare execs sleep in the new namespace: wait until the pid's namespace differs from ours
      const ours = statSync('/proc/self/ns/net').ino;
      for (let i = 0; i < 200 && statSync(`/proc/${child.pid}/ns/net`).ino === ours; i++) await new Promise((r) => setTimeout(r, 25));
      const fd = openNetnsOf(child.pid!);
      try {
        expect(fstatSync(fd).ino).toBe(statSync(`/proc/${child.pid}/ns/net`).ino);
      } finally {
        closeSync(fd);
      }
    } finally {
      child.kill('SIGKILL');
    }
  });
});
