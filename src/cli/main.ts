/**
 * ts-runc's entry point: global flags, then one verb, imported only when it is called (every
 * CLI call pays Node's start-up; it shouldn't also pay for verbs it doesn't run).
 */
import { enableCompileCache } from 'node:module';
import { RuntimeError, errorMessage } from '../errors.js';
import { log, setupLogging } from '../log.js';
import { DEFAULT_ROOT, StateStore } from '../state/container-state.js';
import { DEFAULT_STORAGE } from '../storage.js';
import { parseFlags, str, bool, type FlagSpec } from './args.js';
import { VERBS, type Command, type Context, type Verb } from './command.js';

const VERSION = '0.1.0';
const SPEC_VERSION = '1.2.0';

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'root', type: 'string', help: `root directory for container state (default ${DEFAULT_ROOT})` },
  { name: 'storage', type: 'string', help: `directory for images, container layers and networks (default ${DEFAULT_STORAGE})` },
  { name: 'log', type: 'string', help: 'log file (default: stderr, errors only)' },
  { name: 'log-format', type: 'string', help: 'text or json' },
  { name: 'debug', type: 'bool', help: 'log debug output' },
  { name: 'systemd-cgroup', type: 'bool', help: 'accepted for compatibility; cgroups are managed through cgroupfs' },
  { name: 'rootless', type: 'string', help: 'accepted for compatibility (true|false|auto)' },
  { name: 'criu', type: 'string', help: 'accepted for compatibility; checkpoint is not supported' },
  { name: 'help', short: 'h', type: 'bool', help: 'show help' },
  { name: 'version', short: 'v', type: 'bool', help: 'print the version' },
];

function help(): string {
  return `ts-runc: an OCI container runtime in TypeScript\n\nUsage: ts-runc [global options] command [options] [arguments]\n\nCommands: ${VERBS.join(', ')}\n\nGlobal options:\n` +
    GLOBAL_FLAGS.map((f) => `   --${f.name}${f.type === 'bool' ? '' : ' value'}\t${f.help}`).join('\n') + '\n';
}

async function main(argv: string[]): Promise<number> {
  // V8's code cache on disk (in the OS temp dir) makes the verbs' modules, zod above all,
  // load ~20 ms faster on every call after the first.
  enableCompileCache();
  const globals = parseFlags(argv, GLOBAL_FLAGS, 'ts-runc');
  if (bool(globals, 'version')) {
    process.stdout.write(`ts-runc version ${VERSION}\nspec: ${SPEC_VERSION}\n`);
    return 0;
  }
  const [verb, ...rest] = globals.positionals;
  if (!verb || bool(globals, 'help')) {
    process.stdout.write(help());
    return verb ? 0 : 1;
  }
  if (!(VERBS as readonly string[]).includes(verb)) throw new RuntimeError(`unknown command ${JSON.stringify(verb)}`);
  const logFormat = str(globals, 'log-format') ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json') throw new RuntimeError(`invalid log format ${JSON.stringify(logFormat)}`);
  const logFile = str(globals, 'log');
  await setupLogging({ file: logFile, format: logFormat, debug: bool(globals, 'debug') });

  const root = str(globals, 'root') ?? DEFAULT_ROOT;
  const context: Context = {
    globals: { root, storage: str(globals, 'storage') ?? DEFAULT_STORAGE, log: logFile, logFormat, debug: bool(globals, 'debug'), systemdCgroup: bool(globals, 'systemd-cgroup') },
    store: new StateStore(root),
  };
  const module = (await import(`./commands/${verb as Verb}.js`)) as { command: Command };
  return module.command.run(context, rest);
}

main(process.argv.slice(2)).then(
  (status) => {
    log().flush();
    process.exitCode = status;
  },
  (error: unknown) => {
    const message = errorMessage(error);
    log().error(message);
    log().flush();
    process.stderr.write(`ts-runc: ${message}\n`);
    if (!(error instanceof RuntimeError) && process.env.TSRUNC_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = error instanceof RuntimeError ? error.exitCode : 1;
  },
);
