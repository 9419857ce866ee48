/**
 * The first module the launcher runs (bin/ts-runc runs its bundled copy, dist/bundle/entry.js).
 *
 * It switches on V8's on-disk code cache, then loads main. In ES modules every static
 * import is compiled before the first line runs, so enableCompileCache() inside main.ts came
 * too late for main and the dozen modules it imports; here nothing but this file is compiled
 * without the cache (node:module, "Module compile cache").
 *
 * The light verbs load main from light.js, a single file; everything else from main.js and
 * its chunks (route.ts says why).
 */
import { enableCompileCache } from 'node:module';
import { isLightCommand } from './route.js';

enableCompileCache();
// light.js exists only in the bundle (scripts/bundle.mjs); tsc's dist/cli/ has main.js alone.
// A computed path, so that esbuild leaves both as they are: each is a bundle of its own.
const light = import.meta.url.includes('/dist/bundle/') && isLightCommand(process.argv.slice(2));
const main = light ? './light.js' : './main.js';
await import(main);
