/**
 * events.ts eventsAlarm: the sleep of a container wait ends when an event is written, not
 * at its next poll (issue 14), and is a plain sleep when there is no events file to watch.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventsAlarm } from '../../src/engine/events.js';
import { eventsFile } from '../../src/engine/paths.js';

describe('eventsAlarm', () => {
  let storage: string;
  beforeEach(() => {
    storage = mkdtempSync(join(tmpdir(), 'events-alarm-'));
  });
  afterEach(() => rmSync(storage, { recursive: true, force: true }));

  it('wakes a sleep when an event is appended', async () => {
    mkdirSync(join(storage, 'engine'));
    writeFileSync(eventsFile(storage), '');
    const alarm = eventsAlarm(storage);
    try {
      const started = Date.now();
      const slept = alarm.sleep(10_000);
      setTimeout(() => appendFileSync(eventsFile(storage), '{"Action":"die"}\n'), 20);
      await slept;
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      alarm.close();
    }
  });

  it('is a plain sleep without an events file', async () => {
    const alarm = eventsAlarm(storage);
    const started = Date.now();
    await alarm.sleep(30);
    // libuv's timers count from its cached loop time: a few ms early by the wall clock
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    alarm.close();
  });
});
