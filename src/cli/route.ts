/**
 * Which bundle a command line needs (issue 14): the light verbs, which read or signal a
 * container (state, list, start, kill), run from dist/bundle/light.cjs, one file
 * holding main and those four verbs; `delete` from delete.cjs and create, run and exec from
 * container.cjs, likewise; every other command line runs the split bundle (main.js and its
 * chunks). esbuild's code splitting puts the modules main shares with the verbs into a dozen
 * separate chunks, and Node's loader pays per file; the light verbs loaded 12–17 of them to
 * read a JSON file.
 *
 * All the bundles run the same main.ts, so this only has to be right about which one is
 * enough: a word it is unsure of (any flag not in the list below, --help, --version, `--`)
 * sends the command line to the full bundle, which handles them all.
 */

/** Global flags that take a value (global-flags.ts; cli-route.test.ts checks the two agree), as `--flag value` or `--flag=value`. */
export const VALUE_FLAGS = new Set(['root', 'storage', 'log', 'log-format', 'rootless', 'criu']);
/** Global bool flags that change nothing about which verb runs. */
export const BOOL_FLAGS = new Set(['debug', 'systemd-cgroup']);
export const LIGHT_VERBS: readonly string[] = ['state', 'list', 'start', 'kill'];

/**
 * Two more one-file bundles, for the verbs that do the most (issue 14, measured in CPU
 * time against the split bundle, median of 20: create 100 -> 88 ms, run 110 -> 98, delete
 * 58 -> 48): each is main with these verbs and everything they import, lazy imports inlined
 * (delete.cjs 240 KB, container.cjs 560 KB). A large file costs V8 a pre-parse, less than
 * Node's loader costs for the 20-40 chunks these verbs load from the split bundle.
 */
export const DELETE_VERBS: readonly string[] = ['delete'];
export const CONTAINER_VERBS: readonly string[] = ['create', 'run', 'exec'];
/** And the engine's `container` verb, in engine.cjs: the monitor's hooks run it for every container. */
export const ENGINE_VERBS: readonly string[] = ['container'];

/** Whether the light bundle can run this command line (the arguments after the script). */
export function isLightCommand(argv: readonly string[]): boolean {
  return bundleFor(argv) === './light.cjs';
}

/**
 * The bundle file entry.ts loads for this command line (the arguments after the script).
 * The one-file bundles are CommonJS, run with a code cache of their own (code-cache.ts).
 */
export function bundleFor(argv: readonly string[]): './light.cjs' | './delete.cjs' | './container.cjs' | './engine.cjs' | './main.js' {
  const verb = plainVerb(argv);
  if (verb === undefined) return './main.js';
  if (LIGHT_VERBS.includes(verb)) return './light.cjs';
  if (DELETE_VERBS.includes(verb)) return './delete.cjs';
  if (CONTAINER_VERBS.includes(verb)) return './container.cjs';
  if (ENGINE_VERBS.includes(verb)) return './engine.cjs';
  return './main.js';
}

/**
 * What this command line adds to its bundle's code cache (code-cache.ts): its verb, and for
 * the engine's `container` its sub-verb too (`container run`, `container ls`), and the
 * phase of the monitor's hook (`container _hook init`): one call's cache lacks the
 * functions only another sub-verb compiles, so each adds its own once.
 */
export function codeCacheKey(argv: readonly string[]): string | undefined {
  const verb = plainVerb(argv);
  if (verb === undefined || !ENGINE_VERBS.includes(verb)) return verb;
  const rest = argv.slice(argv.indexOf(verb) + 1);
  const sub = rest[0];
  if (sub === undefined || sub.startsWith('-')) return verb;
  // container _hook <id> init|cleanup|health
  return sub === '_hook' && rest[2] !== undefined ? `${verb} ${sub} ${rest[2]}` : `${verb} ${sub}`;
}

/** The verb, when nothing but known global flags comes before it. */
export function plainVerb(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-') return arg === '-' ? undefined : arg;
    // `-flag` and `--flag` are the same to the parser (args.ts)
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    if (VALUE_FLAGS.has(name)) {
      if (eq < 0) i++;
    } else if (!BOOL_FLAGS.has(name) || eq >= 0) {
      return undefined;
    }
  }
  return undefined;
}
