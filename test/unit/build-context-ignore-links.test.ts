/**
 * .dockerignore keeps a file out of the build, also when a COPY names a symlink to it
 * (docker never sends an ignored file, so such a link finds nothing), and below a
 * directory reached through a link the rules of its real path apply.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { directoryContext, resolveSources } from '../../src/build/context/context.js';

describe('COPY sources through symlinks and .dockerignore', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function context(): string {
    const dir = mkdtempSync(join(tmpdir(), 'ts-runc-ctx-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(join(dir, '.dockerignore'), 'secret.txt\nkeys/private.pem\n');
    writeFileSync(join(dir, 'secret.txt'), 'password\n');
    mkdirSync(join(dir, 'keys'));
    writeFileSync(join(dir, 'keys', 'private.pem'), 'key\n');
    writeFileSync(join(dir, 'keys', 'public.pem'), 'pub\n');
    symlinkSync('secret.txt', join(dir, 'innocent'));
    symlinkSync('/secret.txt', join(dir, 'absolute'));
    symlinkSync('keys', join(dir, 'certs'));
    return dir;
  }

  it('refuses a link to an ignored file, relative or absolute', () => {
    const ctx = directoryContext(context());
    expect(() => resolveSources(ctx, ['innocent'], 'COPY')).toThrow(/excluded by \.dockerignore/);
    expect(() => resolveSources(ctx, ['absolute'], 'COPY')).toThrow(/excluded by \.dockerignore/);
    expect(() => resolveSources(ctx, ['certs/private.pem'], 'COPY')).toThrow(/excluded by \.dockerignore/);
  });

  it('a directory reached through a link is walked under its real path, so its ignored files stay out', () => {
    const ctx = directoryContext(context());
    const [source] = resolveSources(ctx, ['certs'], 'COPY');
    expect(source!.rel).toBe('keys');
    expect(ctx.ignore.ignores(`${source!.rel}/private.pem`)).toBe(true);
    expect(ctx.ignore.ignores(`${source!.rel}/public.pem`)).toBe(false);
    // a link to a file that is not ignored is still fine
    writeFileSync(join(ctx.root, 'ok.txt'), 'ok\n');
    symlinkSync('ok.txt', join(ctx.root, 'ok-link'));
    expect(resolveSources(ctx, ['ok-link'], 'COPY')).toEqual([{ rel: 'ok-link', host: join(ctx.root, 'ok.txt') }]);
  });
});
