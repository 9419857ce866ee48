/**
 * The first module the launcher runs (bin/ts-runc runs its bundled copy, dist/bundle/entry.js).
 *
 * It only switches on V8's on-disk code cache, then loads main. In ES modules every static
 * import is compiled before the first line runs, so enableCompileCache() inside main.ts came
 * too late for main and the dozen modules it imports; here nothing but this file is compiled
 * without the cache (node:module, "Module compile cache").
 */
import { enableCompileCache } from 'node:module';

enableCompileCache();
await import('./main.js');
