/**
 * The first module the launcher runs (bin/ts-runc runs its bundled copy, dist/bundle/entry.cjs).
 *
 * It picks the bundle that holds the command's verb (route.ts) and runs it. For the split ES
 * module bundle it first switches on Node's compile cache: every static import is compiled
 * before main's first line runs, so enableCompileCache() inside main.ts came too late for
 * main and the dozen modules it imports (node:module, "Module compile cache").
 *
 * The light verbs load main from light.cjs, a single file, `delete` from delete.cjs, create,
 * run and exec from container.cjs, each with a code cache of its own (code-cache.ts);
 * everything else from main.js and its chunks (route.ts says why).
 */
import { enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';
import { runBundle } from './code-cache.js';
import { bundleFor, codeCacheKey } from './route.js';

// light.cjs, delete.cjs, container.cjs and engine.cjs exist only in the bundle
// (scripts/bundle.mjs); tsc's dist/cli/ has main.js alone. A computed path, so that esbuild
// leaves them as they are: each is a bundle of its own.
const argv = process.argv.slice(2);
// Once the event loop has run dry Node exits, but first frees every object of the heap and
// of its environment, one by one: 2-3 ms of a light verb, more after a large heap (issue
// 14), all of which the kernel frees at once at exit. 'beforeExit' comes exactly then, and
// never while anything is pending (a write, a child, a timer), so ending the process there
// cuts nothing short; the 'exit' listeners (code-cache.ts) still run, and the status is
// process.exitCode.
process.once('beforeExit', () => process.exit());
const main = import.meta.url.includes('/dist/bundle/') ? bundleFor(argv) : './main.js';
if (main.endsWith('.cjs')) {
  // a code cache of its own; Node's compile cache would serve nothing here (~1.5 ms to enable)
  runBundle(fileURLToPath(new URL(main, import.meta.url)), codeCacheKey(argv));
} else {
  enableCompileCache();
  void import(main); // main.ts reports its own errors; no top-level await: the bundle is CommonJS
}
