/**
 * ts-runc's entry point: global flags, then one verb, imported only when it is called (every
 * CLI call pays Node's start-up; it shouldn't also pay for verbs it doesn't run).
 */
import { RuntimeError, errorCode, errorMessage } from '../errors.js';
import { log, setupLogging } from '../log.js';
import { OCI_VERSION } from '../spec/defaults.js';
import { DEFAULT_ROOT, StateStore } from '../state/container-state.js';
import { DEFAULT_STORAGE } from '../storage.js';
import { BUILD_COMMIT, TS_RUNC_VERSION } from '../version.js';
import { HelpRequested, parseFlags, str, bool } from './args.js';
import { GLOBAL_FLAGS } from './global-flags.js';
import { EXIT_PIPE_CLOSED, type Context } from './command.js';
import { VERBS, loadVerb, type Verb } from './verbs.js';
import { columns, commandHelp, flagTable, groupHelp } from './help.js';
import { didYouMean } from './suggest.js';
import { markStdoutClosed, stdoutClosedByWrite, writeOut } from './output.js';


/**
 * After the reader of stdout went away (`ts-runc plan | head -1`) the status is 141, which
 * is 128 + SIGPIPE, the status a shell reports for `yes | head -1` and any other tool that
 * the kernel stops with SIGPIPE. Node ignores SIGPIPE, so a write fails with EPIPE instead;
 * we end quietly (no stack trace, no message: the reader chose to stop) with that status,
 * so `set -o pipefail` scripts see what they see from other tools, runc included (a Go
 * program dies of SIGPIPE on a broken stdout or stderr: os/signal, "SIGPIPE"). Not 0: the
 * output was not all written, and a caller may need to know. Not by process.exit()
 * at the failed write: a verb in the middle of something (export pauses the container)
 * still finishes and undoes what it must.
 */
let stdoutCreated = false;

function watchStdio(): void {
  whenCreated('stdout', (stream) => {
    stdoutCreated = true;
    stream.on('error', (error) => {
      if (errorCode(error) !== 'EPIPE') throw error;
      markStdoutClosed();
      process.exitCode = EXIT_PIPE_CLOSED;
    });
  });
  // Nothing useful can be said about a closed stderr, and nowhere to say it.
  whenCreated('stderr', (stream) => {
    stream.on('error', (error) => {
      if (errorCode(error) !== 'EPIPE') throw error;
    });
  });
}

/**
 * Runs attach on process.stdout (or stderr) when something first uses it, not before:
 * Node creates the stream on first use, and a verb that writes with writeOut (output.ts)
 * or not at all should not pay for it. process.stdout is a configurable getter (Node's
 * bootstrap defines it so); the wrapper puts the original back at its first call.
 */
function whenCreated(name: 'stdout' | 'stderr', attach: (stream: NodeJS.WriteStream) => void): void {
  const descriptor = Object.getOwnPropertyDescriptor(process, name);
  const get = descriptor?.get;
  if (!descriptor || !get || !descriptor.configurable) {
    attach(process[name]);
    return;
  }
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: descriptor.enumerable,
    get() {
      Object.defineProperty(process, name, descriptor);
      const stream = get.call(process) as NodeJS.WriteStream;
      attach(stream);
      return stream;
    },
  });
}

/** Whether a write to stdout failed with EPIPE (the flag is set on the stream before its 'error' event). */
function stdoutGone(): boolean {
  return stdoutClosedByWrite() || (stdoutCreated && errorCode(process.stdout.errored) === 'EPIPE');
}

async function mainHelp(): Promise<string> {
  const commands = await Promise.all(VERBS.map(async (verb): Promise<[string, string]> => [verb, (await loadVerb(verb)).summary]));
  return 'NAME:\n   ts-runc - an OCI container runtime in TypeScript\n\n' +
    'USAGE:\n   ts-runc [global options] command [command options] [arguments...]\n\n' +
    `VERSION:\n   ${TS_RUNC_VERSION}\nspec: ${OCI_VERSION}\n\n` +
    `COMMANDS:\n${columns([...commands, ['help, h', 'show the list of commands or the help of one: help VERB [SUBVERB]']])}\n` +
    `GLOBAL OPTIONS:\n${flagTable(GLOBAL_FLAGS)}`;
}

/** urfave/cli's status for an unknown command or help topic, which runc keeps. */
const EXIT_NO_SUCH_COMMAND = 3;

function knownVerb(word: string): Verb {
  if ((VERBS as readonly string[]).includes(word)) return word as Verb;
  throw new RuntimeError(`unknown command ${JSON.stringify(word)}${didYouMean(word, [...VERBS, 'help'])}; see ts-runc --help`,
    { exitCode: EXIT_NO_SUCH_COMMAND });
}

/** runc's (urfave/cli's) words for `help foo`, and its status 3. */
function noHelpTopic(topic: string, choices: readonly string[]): RuntimeError {
  return new RuntimeError(`No help topic for '${topic}'${didYouMean(topic, [...choices])}`, { exitCode: EXIT_NO_SUCH_COMMAND });
}

/** `help`, `help VERB`, `help image ls`: the same text as `VERB --help`. */
async function helpFor(words: string[]): Promise<string> {
  const [verb, sub, ...extra] = words;
  if (verb === undefined) return mainHelp();
  if (!(VERBS as readonly string[]).includes(verb)) throw noHelpTopic(verb, [...VERBS, 'help']);
  const command = await loadVerb(verb as Verb);
  if (sub === undefined) return command.subcommands ? groupHelp(verb, command) : commandHelp(verb, command);
  if (!command.subcommands || extra.length > 0) throw noHelpTopic(words.join(' '), []);
  const { resolveSubverb } = await import('./group.js');
  const name = resolveSubverb(verb, command.subcommands, sub);
  return commandHelp(`${verb} ${name}`, await command.subcommands.load(name));
}

async function main(argv: string[]): Promise<number> {
  // (Node's compile cache is entry.ts's to switch on, for the split bundle only: the
  // one-file bundles run with a code cache of their own, code-cache.ts.)
  watchStdio();
  const globals = parseFlags(argv, GLOBAL_FLAGS, 'ts-runc', 'before-args');
  if (bool(globals, 'version')) {
    // runc's lines (main.go: version, commit, spec, go, libseccomp), with Node in Go's place
    // and no libseccomp (src/seccomp/ compiles the filters). The runtime-spec version is the
    // one `spec` writes into config.json (spec/defaults.ts).
    writeOut(`ts-runc version ${TS_RUNC_VERSION}\ncommit: ${BUILD_COMMIT}\nspec: ${OCI_VERSION}\nnode: ${process.version}\n`);
    return 0;
  }
  const [verb, ...rest] = globals.positionals;
  if (verb === 'help' || verb === 'h') {
    process.stdout.write(await helpFor(rest));
    return 0;
  }
  // `--help VERB` shows the verb's help; runc (urfave/cli) shows the main help for
  // `--help` whatever follows, so an unknown word does too, and both exit 0, as does a
  // bare `ts-runc`.
  if (bool(globals, 'help')) {
    const known = verb !== undefined && (VERBS as readonly string[]).includes(verb);
    process.stdout.write(known ? await helpFor(globals.positionals) : await mainHelp());
    return 0;
  }
  if (!verb) {
    process.stdout.write(await mainHelp());
    return 0;
  }
  const command = await loadVerb(knownVerb(verb));
  const logFormat = str(globals, 'log-format') ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json') throw new RuntimeError(`invalid log format ${JSON.stringify(logFormat)}`);
  const logFile = str(globals, 'log');
  await setupLogging({ file: logFile, format: logFormat, debug: bool(globals, 'debug') });

  const root = str(globals, 'root') ?? DEFAULT_ROOT;
  const context: Context = {
    globals: { root, storage: str(globals, 'storage') ?? DEFAULT_STORAGE, log: logFile, logFormat, debug: bool(globals, 'debug'), systemdCgroup: bool(globals, 'systemd-cgroup') },
    store: new StateStore(root),
  };
  try {
    return await command.run(context, rest);
  } catch (error) {
    if (!(error instanceof HelpRequested)) throw error;
    process.stdout.write(commandHelp(verb, command));
    return 0;
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    log().flush();
    process.exitCode = stdoutGone() ? EXIT_PIPE_CLOSED : status;
  },
  (error: unknown) => {
    log().flush();
    if (stdoutGone()) {
      process.exitCode = EXIT_PIPE_CLOSED;
      return;
    }
    const message = errorMessage(error);
    log().error(message);
    log().flush();
    process.stderr.write(`ts-runc: ${message}\n`);
    if (!(error instanceof RuntimeError) && process.env.TSRUNC_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = error instanceof RuntimeError ? error.exitCode : 1;
  },
);
