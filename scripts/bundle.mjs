// Bundles the CLI for bin/ts-runc (issue 14): `make build` runs it after tsc.
//
//   node scripts/bundle.mjs     writes dist/bundle/entry.cjs, main.js and its chunks, and light.cjs,
//                               delete.cjs and container.cjs
//
// Why: Node's ES module loader pays per file (resolve, package-scope look-ups, read,
// compile, link), and `create` loaded 156 files, 95 of them zod's. Bundled, main is one
// file and each verb one or two more: the `import()` of a verb (cli/command.ts LOADERS)
// and of a sub-verb stay lazy, as esbuild's code splitting keeps every dynamic
// import a separate chunk.
//
// What stays outside the bundle, loaded from node_modules as before:
// - koffi: a native addon (.node) that libc.ts require()s;
// - tar-stream: a CommonJS package that require()s Node's built-ins, which an ES module
//   bundle cannot do (esbuild: "Dynamic require is not supported"); it loads only for images.
//
// dist/bundle/ is two levels below the checkout (or lib/ts-runc/ once installed), as
// dist/process/ is, so paths relative to import.meta.url still lead to the same files:
// ../../build/ts-runc-init (process/init-process.ts) and node_modules (sys/libc.ts,
// image/pax.ts). The tsc output in dist/ stays for the tests and benchmarks that import it.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const repo = join(import.meta.dirname, '..');
const out = join(repo, 'dist/bundle');
rmSync(out, { recursive: true, force: true });
await build({
  absWorkingDir: repo,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  external: ['koffi', 'tar-stream'],
  chunkNames: 'chunk-[hash]',
  logLevel: 'warning',
  plugins: [buildCommit(), lazyBuiltins()],
});
// The CommonJS bundles' common options: import.meta.url, which CommonJS lacks, becomes the
// file's own URL.
const COMMONJS = {
  absWorkingDir: repo,
  outdir: out,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node24',
  banner: { js: 'var __import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  define: { 'import.meta.url': '__import_meta_url' },
  logLevel: 'warning',
};
// entry.cjs, what the launchers run: one CommonJS file (route.ts and code-cache.ts in it),
// so that Node's CommonJS loader starts it (Node's ES module loader costs ~5 ms more to
// resolve, link and evaluate an entry and the chunks it shared with main.js).
await build({ ...COMMONJS, entryPoints: { entry: 'src/cli/entry.ts' }, plugins: [lazyBuiltins()] });
// light.cjs, delete.cjs, container.cjs and engine.cjs: main with only some verbs (src/cli/route.ts), each
// in one file without splitting, so those verbs load two files, not 12-40. CommonJS, for
// entry.ts to run them as a vm.Script with a code cache of their own (src/cli/code-cache.ts
// says why).
for (const [name, verbs] of [['light', 'light-verbs.ts'], ['delete', 'delete-verbs.ts'], ['container', 'container-verbs.ts'], ['engine', 'engine-verbs.ts']]) {
  await build({
    ...COMMONJS,
    entryPoints: { [name]: 'src/cli/main.ts' },
    external: ['koffi', 'tar-stream'],
    plugins: [buildCommit(), verbsFrom(verbs), lazyBuiltins({ dynamicToo: true }), requiredExternals()],
  });
  // A vm.Script has no import() without --experimental-vm-modules: none may be left.
  const text = readFileSync(join(out, `${name}.cjs`), 'utf8');
  const left = /\bimport\((?!\))/.exec(text);
  if (left) throw new Error(`dist/bundle/${name}.cjs still has an import(): ${text.slice(left.index, left.index + 60)}`);
  // ASCII, so that code-cache.ts can read it as latin1, without UTF-8 decoding (~2 ms for
  // engine.cjs). esbuild escapes non-ASCII characters in strings but leaves them in regular
  // expressions and comments, where an escape means the same: \u2026 matches "…".
  writeFileSync(join(out, `${name}.cjs`), text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
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

/**
 * Node's built-in modules, loaded on first use instead of at the bundle's start (issue 14).
 *
 * An ES module's `import { readFileSync } from 'node:fs'` makes Node build the module's
 * ESM facade, which reads every export, lazy getters included: `fs.promises` and
 * `fs.ReadStream` load fs/promises, readline and all of Node's streams, 35 modules that
 * `ts-runc state` never uses (3 ms of CPU for that import alone, measured against an empty
 * module). And a static import of node:child_process or node:net costs its 20-odd modules
 * even on the paths that never spawn or connect.
 *
 * So each `node:X` import becomes a small CommonJS module: an object with no properties of
 * its own whose prototype has a getter per export (the names are read at build time; the
 * same Node 26 runs the build and the CLI) that fetches `process.getBuiltinModule('node:X')`
 * the first time any of them is read. esbuild's interop (`__toESM`, once per importing
 * module) makes an object with the same prototype and copies the own properties, of which
 * there are none, and every use site reads the property at the time of the call: a
 * built-in is loaded when, and only when, it is first used, and importing it costs nothing.
 * (Getters as own properties worked too, but `__toESM` then copied ~100 of them for each
 * of the ~60 modules importing node:fs: 3 ms.) The tsc output (dist/, used by the tests)
 * keeps the plain imports.
 */
function lazyBuiltins({ dynamicToo = false } = {}) {
  return {
    name: 'lazy-builtins',
    setup(build) {
      // A dynamic import() stays Node's own in the split ES module bundle: it is lazy
      // already, and esbuild would hand the importer a chunk whose namespace has only
      // `default`. In a one-file CommonJS bundle it becomes a require() of the shim
      // (`dynamicToo`), whose named exports esbuild's interop keeps.
      // Only named imports: a default or namespace import would get the lazy object, which
      // is not callable (node:events' default is a class), so the build refuses one.
      build.onResolve({ filter: /^node:/ }, (args) => {
        if (args.kind === 'dynamic-import' && !dynamicToo) return { path: args.path, external: true };
        const source = readFileSync(args.importer, 'utf8');
        const whole = new RegExp(`import\\s+(\\*\\s+as\\s+\\w+|\\w+)\\s*(,[^;]*)?from\\s+['"]${args.path}['"]`);
        if (whole.test(source)) {
          return { errors: [{ text: `${args.importer}: import named exports of ${args.path} (scripts/bundle.mjs lazyBuiltins)` }] };
        }
        return { path: args.path, namespace: 'lazy-builtin' };
      });
      build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => {
        const { builtinModules } = await import('node:module');
        const id = args.path;
        if (!builtinModules.includes(id.slice('node:'.length)) && !builtinModules.includes(id)) {
          throw new Error(`${id} is not one of Node's built-in modules`);
        }
        const names = Object.getOwnPropertyNames(process.getBuiltinModule(id)).filter((n) => n !== 'default');
        return {
          loader: 'js',
          contents: [
            `let m; const load = () => (m ??= process.getBuiltinModule(${JSON.stringify(id)}));`,
            'const lazy = {};',
            `for (const name of ${JSON.stringify(names)}) Object.defineProperty(lazy, name, { get: () => load()[name] });`,
            'module.exports = Object.create(lazy);',
          ].join('\n'),
        };
      });
    },
  };
}

/**
 * In a one-file CommonJS bundle, `await import('tar-stream')` becomes a require() of the
 * package, through a one-line module esbuild wraps as it does any CommonJS module: it is a
 * CommonJS package, and a vm.Script (src/cli/code-cache.ts) cannot import().
 */
function requiredExternals() {
  return {
    name: 'required-externals',
    setup(build) {
      build.onResolve({ filter: /^(tar-stream|koffi)$/ }, (args) => (args.kind === 'dynamic-import'
        ? { path: args.path, namespace: 'required-external' }
        : undefined));
      build.onLoad({ filter: /.*/, namespace: 'required-external' }, (args) => ({
        loader: 'js',
        contents: `module.exports = require(${JSON.stringify(args.path)});`,
      }));
    },
  };
}
