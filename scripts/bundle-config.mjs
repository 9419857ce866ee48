// Edits an OCI bundle's config.json in place, without jq:
//
//   node scripts/bundle-config.mjs CONFIG [--terminal=false] [--hostname=NAME]
//        [--root=PATH] [--readonly=true|false] [--args=JSON-ARRAY]
//
// Used by rootfs-fixtures/build.sh (terminal off, so containers run without a tty)
// and by `make demo` (its own args and hostname).
import { readFileSync, writeFileSync } from 'node:fs';

const [file, ...opts] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: bundle-config.mjs CONFIG [--key=value]...\n');
  process.exit(2);
}
const config = JSON.parse(readFileSync(file, 'utf8'));
config.process ??= {};
config.root ??= {};

for (const opt of opts) {
  const m = /^--([a-z]+)=(.*)$/s.exec(opt);
  if (!m) throw new Error(`bundle-config: bad option ${opt}`);
  const [, key, value] = m;
  switch (key) {
    case 'terminal': config.process.terminal = value === 'true'; break;
    case 'hostname': config.hostname = value; break;
    case 'root': config.root.path = value; break;
    case 'readonly': config.root.readonly = value === 'true'; break;
    case 'args': config.process.args = JSON.parse(value); break;
    default: throw new Error(`bundle-config: unknown option --${key}`);
  }
}
writeFileSync(file, JSON.stringify(config, null, 2) + '\n');
