/**
 * Which bundle a command line needs (issue 14): the light verbs, which read or signal a
 * container (state, list, start, kill), run from dist/bundle/light.js, one file
 * holding main and those four verbs; every other command line runs the split bundle
 * (main.js and its chunks). esbuild's code splitting puts the modules main shares with the
 * verbs into a dozen separate chunks, and Node's loader pays per file; the light verbs
 * loaded 12–17 of them to read a JSON file.
 *
 * Both bundles run the same main.ts, so this only has to be right about which one is
 * enough: a word it is unsure of (any flag not in the list below, --help, --version, `--`)
 * sends the command line to the full bundle, which handles them all.
 */

/** Global flags that take a value (global-flags.ts; cli-route.test.ts checks the two agree), as `--flag value` or `--flag=value`. */
export const VALUE_FLAGS = new Set(['root', 'storage', 'log', 'log-format', 'rootless', 'criu']);
/** Global bool flags that change nothing about which verb runs. */
export const BOOL_FLAGS = new Set(['debug', 'systemd-cgroup']);
export const LIGHT_VERBS: readonly string[] = ['state', 'list', 'start', 'kill'];

/** Whether the light bundle can run this command line (the arguments after the script). */
export function isLightCommand(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-') return LIGHT_VERBS.includes(arg);
    // `-flag` and `--flag` are the same to the parser (args.ts)
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    if (VALUE_FLAGS.has(name)) {
      if (eq < 0) i++;
    } else if (!BOOL_FLAGS.has(name) || eq >= 0) {
      return false;
    }
  }
  return false;
}
