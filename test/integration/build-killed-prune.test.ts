/**
 * A builder SIGKILLed in the middle of a RUN leaves its RUN container (overlay mount, hold
 * on the base image) for the next build to undo; `image prune` and `system prune` must
 * undo it too, so a killed build leaves nothing that prune cannot remove (issue 13, item 5).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, TS_RUNC, haveFixture, isRoot, mountsMentioning, sandbox, type Sandbox } from './helpers.js';

const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');
const suite = isRoot && haveFixture && existsSync(IMAGE_TAR) ? describe : describe.skip;

suite('a killed image build and prune', { timeout: 180_000 }, () => {
  let box: Sandbox;
  beforeEach(() => {
    box = sandbox();
    const loaded = box.run(['image', 'load', '-i', IMAGE_TAR]);
    if (loaded.status !== 0) throw new Error(`image load: ${loaded.stderr}`);
  });
  afterEach(() => box.cleanup());

  async function killBuildMidRun(): Promise<void> {
    const context = join(box.dir, 'ctx');
    mkdirSync(context, { recursive: true });
    writeFileSync(join(context, 'Dockerfile'), 'FROM fixture:3layers\nRUN echo sta""rted && sleep 60\n');
    const builder = spawn(TS_RUNC, ['--root', box.root, '--storage', box.storage, 'image', 'build', '-t', 'killed:1', context], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    builder.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const deadline = Date.now() + 90_000;
    while (!output.includes('started')) {
      if (Date.now() > deadline) throw new Error(`the RUN never started: ${output}`);
      await sleep(50);
    }
    builder.kill('SIGKILL');
    await new Promise((resolve) => builder.once('exit', resolve));
    expect(mountsMentioning(box.storage).length).toBeGreaterThan(0); // the RUN's overlay, left
  }

  for (const verb of [['image', 'prune', '-a', '-f'], ['system', 'prune', '-a', '-f']]) {
    it(`${verb.join(' ')} undoes it: the base image goes, no mount, no build directory`, async () => {
      await killBuildMidRun();
      const pruned = box.run(verb, { timeout: 120_000 });
      expect(pruned.stderr).toBe('');
      expect(pruned.status).toBe(0);
      expect(box.run(['image', 'ls', '-q']).stdout.trim()).toBe('');
      expect(mountsMentioning(box.storage)).toEqual([]);
      const builds = join(box.storage, 'build');
      expect(existsSync(builds) ? readdirSync(builds) : []).toEqual([]);
    });
  }
});
