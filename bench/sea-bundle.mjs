// Bundles dist/ into one CommonJS file for a Node single executable application (SEA), so
// bench/startup.mjs can compare its start-up with the installed launcher's. A prototype for
// measuring only: koffi stays external (its .node file would have to be written to disk and
// dlopen()ed at start), so verbs that call libc do not work in it; --version and state do.
//
//   node bench/sea-bundle.mjs OUT.cjs [--snapshot]
//
// --snapshot: the bundle, run by `node --build-sea` with "useSnapshot", loads every module
// at build time and leaves main() to run when the snapshot is deserialized
// (v8.startupSnapshot.setDeserializeMainFunction).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
// rolldown is in node_modules as vitest's bundler (a devDependency of a devDependency).
import { rolldown } from 'rolldown';

const repo = join(import.meta.dirname, '..');
const [out, mode] = process.argv.slice(2);
if (!out) throw new Error('usage: node bench/sea-bundle.mjs OUT.cjs [--snapshot]');
const snapshot = mode === '--snapshot';

// main.js imports a verb's module by name (`import(\`./commands/${verb}.js\`)`), which a
// bundler cannot follow: a table of literal imports takes its place.
const verbs = readdirSync(join(repo, 'dist/cli/commands')).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3));
const table = `({${verbs.map((v) => `${JSON.stringify(v)}: () => import('./commands/${v}.js')`).join(', ')}})[verb]()`;
const start = 'main(process.argv.slice(2)).then(';

const bundle = await rolldown({
  input: join(repo, 'dist/cli/main.js'),
  platform: 'node',
  external: ['koffi'],
  plugins: [{
    name: 'sea',
    transform(code, id) {
      if (!id.endsWith('/cli/main.js')) return null;
      let next = code.replace('import(`./commands/${verb}.js`)', table);
      if (next === code || !next.includes(start)) throw new Error('dist/cli/main.js: the verb import or the main() call moved');
      if (snapshot) {
        const at = next.indexOf(start);
        next = `import { startupSnapshot } from 'node:v8';\n${next.slice(0, at)}const run = () => {\n${next.slice(at)}\n};\n` +
          `if (startupSnapshot.isBuildingSnapshot()) startupSnapshot.setDeserializeMainFunction(run); else run();\n`;
      }
      return next;
    },
  }],
});
await bundle.write({ file: out, format: 'cjs', codeSplitting: false });
