// Bundles the CLI for bin/ts-runc (issue 14): `make build` runs it after tsc.
//
//   node scripts/bundle.mjs     writes dist/bundle/entry.js, main.js and shared chunks, and light.js,
//                               delete.js and container.js
//
// Why: Node's ES module loader pays per file (resolve, package-scope look-ups, read,
// compile, link), and `create` loaded 156 files, 95 of them zod's. Bundled, main is one
// file and each verb one or two more: the `import()` of a verb (cli/command.ts LOADERS),
// of a sub-verb and of pino stay lazy, as esbuild's code splitting keeps every dynamic
// import a separate chunk.
//
// What stays outside the bundle, loaded from node_modules as before:
// - koffi: a native addon (.node) that libc.ts require()s;
// - pino and tar-stream: CommonJS packages that require() Node's built-ins, which an ES
//   module bundle cannot do (esbuild: "Dynamic require is not supported"); they load only
//   for --log and for images.
//
// dist/bundle/ is two levels below the checkout (or lib/ts-runc/ once installed), as
// dist/process/ is, so paths relative to import.meta.url still lead to the same files:
// ../../build/ts-runc-init (process/init-process.ts) and node_modules (sys/libc.ts,
// image/pax.ts). The tsc output in dist/ stays for the tests and benchmarks that import it.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const repo = join(import.meta.dirname, '..');
const out = join(repo, 'dist/bundle');
rmSync(out, { recursive: true, force: true });
await build({
  absWorkingDir: repo,
  entryPoints: { entry: 'src/cli/entry.ts', main: 'src/cli/main.ts' },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  external: ['koffi', 'pino', 'tar-stream'],
  chunkNames: 'chunk-[hash]',
  logLevel: 'warning',
  plugins: [buildCommit()],
});
// light.js, delete.js and container.js: main with only some verbs (src/cli/route.ts), each
// in one file without splitting, so those verbs load two files, not 12-40.
for (const [name, verbs] of [['light', 'light-verbs.ts'], ['delete', 'delete-verbs.ts'], ['container', 'container-verbs.ts']]) {
  await build({
    absWorkingDir: repo,
    entryPoints: { [name]: 'src/cli/main.ts' },
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    external: ['koffi', 'pino', 'tar-stream'],
    logLevel: 'warning',
    plugins: [buildCommit(), verbsFrom(verbs)],
  });
}

/** In a one-file bundle, main's `./verbs.js` is one of src/cli/*-verbs.ts: that bundle's verbs only. */
function verbsFrom(file) {
  return {
    name: 'verbs-from',
    setup(build) {
      build.onResolve({ filter: /^\.\/verbs\.js$/ }, (args) =>
        args.importer.endsWith(join('src', 'cli', 'main.ts')) ? { path: join(repo, 'src/cli', file) } : undefined);
    },
  };
}

/**
 * src/version.ts's BUILD_COMMIT is "unknown"; `make` writes the commit into tsc's
 * dist/version.js (scripts/write-commit.sh), and the bundle takes that file instead, so
 * `--version` names the commit without running git at run time.
 */
function buildCommit() {
  return {
    name: 'build-commit',
    setup(build) {
      build.onLoad({ filter: /[\\/]src[\\/]version\.ts$/ }, () => ({
        contents: readFileSync(join(repo, 'dist/version.js'), 'utf8'),
        loader: 'js',
      }));
    },
  };
}
