/**
 * One build stage, instruction by instruction, as the classic builder runs it: each
 * instruction is first turned into its result's description (the new config, the history
 * text, the cache key), then either found in the cache or performed (a RUN container, a
 * COPY into an overlay), and ends as the step's image.
 *
 * Variables: the instructions that allow substitution see the build args declared so far
 * (ARG, with --build-arg overriding the default) and the image's Env, ENV winning over ARG.
 * RUN sees the same in its environment; only ENV is saved in the image.
 */
import { posix } from 'node:path';
import { RuntimeError } from '../errors.js';
import type { ImageStore } from '../image/store.js';
import { BuildCache, cacheKey } from './cache.js';
import type { BuildContext } from './context/context.js';
import { containerConfig, imageFromStore, shortId, writeStepImage, type BuilderConfig, type StageImage } from './image-state.js';
import type { BuildOutput } from './output.js';
import { DockerfileError, splitInstruction } from './parser/lines.js';
import { parseInstruction, type Instruction } from './parser/instructions.js';
import { processWord, processWords } from './parser/shell-lex.js';
import { planCopy } from './steps/copy.js';
import { ensureDirInRoot } from './steps/copy-files.js';
import { commandArgs, exposedPorts, goQuoteList, healthConfig, healthcheckText, nopCreatedBy, setEnv } from './steps/metadata.js';
import { fileStep, mountImage, type StepLayer } from './steps/rootfs-step.js';
import { runStep } from './steps/run.js';
import type { WorkDir } from './workdir.js';

/** Docker's predefined ARGs: usable without an ARG line, and kept out of history and cache keys. */
export const PROXY_ARGS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

export interface BuildSession {
  storage: string;
  store: ImageStore;
  cache: BuildCache;
  work: WorkDir;
  context: BuildContext;
  output: BuildOutput;
  escape: string;
  noCache: boolean;
  network: 'none' | 'host' | 'default';
  buildArgs: ReadonlyMap<string, string>;
  /** build args some ARG declared (for the "not consumed" warning) */
  consumed: Set<string>;
  /** the global ARGs (before the first FROM) with their values */
  metaArgs: ReadonlyMap<string, string | undefined>;
  /** a stage's image by name or index, and any other image (pulled if needed) */
  imageFor(ref: string): Promise<StageImage>;
  signal?: AbortSignal;
}

export class StageRun {
  /** ARGs declared in this stage: name → value (undefined: declared without a value) */
  private readonly args = new Map<string, string | undefined>();
  private shell: string[];
  private cmdSet = false;

  constructor(private readonly session: BuildSession, public image: StageImage) {
    this.shell = containerConfig(image).Shell ?? DEFAULT_SHELL;
  }

  private say(text: string): void {
    this.session.output.event({ type: 'stream', text });
  }

  /** The base image's ONBUILD triggers, run first (and not passed on to this image). */
  async runTriggers(file: string, line: number): Promise<void> {
    const triggers = containerConfig(this.image).OnBuild ?? [];
    if (triggers.length === 0) return;
    const cleared: BuilderConfig = { ...containerConfig(this.image), OnBuild: null };
    this.image = { ...this.image, config: { ...this.image.config, config: cleared } };
    this.say(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
    for (const trigger of triggers) {
      const raw = splitInstruction(trigger, this.session.escape, file, line, line);
      await this.dispatch(parseInstruction(raw, this.session.escape, file));
    }
  }

  /** The variables substitution sees: declared ARGs with a value, then Env over them. */
  private env(): Map<string, string> {
    const env = new Map<string, string>();
    for (const [key, value] of this.args) if (value !== undefined) env.set(key, value);
    for (const entry of containerConfig(this.image).Env ?? []) {
      const eq = entry.indexOf('=');
      env.set(eq < 0 ? entry : entry.slice(0, eq), eq < 0 ? '' : entry.slice(eq + 1));
    }
    return env;
  }

  private word(text: string): string {
    return processWord(text, this.env(), this.session.escape);
  }

  /** Runs one instruction (with its line in any error). */
  async dispatch(instruction: Instruction): Promise<void> {
    if (this.session.signal?.aborted) throw new RuntimeError('build interrupted');
    try {
      await this.step(instruction);
    } catch (error) {
      if (error instanceof DockerfileError) throw error;
      // System call failures (EACCES, ENOSPC…) as well: the user needs the line either way.
      if (error instanceof Error) throw new DockerfileError(instruction.file, instruction.line, error.message);
      throw error;
    }
  }

  private async step(instruction: Instruction): Promise<void> {
    const config: BuilderConfig = structuredClone(containerConfig(this.image));
    const nop = (text: string) => nopCreatedBy(this.shell, text);
    switch (instruction.kind) {
      case 'FROM':
        throw new RuntimeError('FROM inside a stage');
      case 'ENV': {
        const env = this.env();
        const pairs = instruction.pairs.map(({ key, value }): [string, string] => [processWord(key, env, this.session.escape), processWord(value ?? '', env, this.session.escape)]);
        setEnv(config, pairs);
        return this.commit(config, nop(`ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`));
      }
      case 'LABEL': {
        const env = this.env();
        const pairs = instruction.pairs.map(({ key, value }): [string, string] => [processWord(key, env, this.session.escape), processWord(value ?? '', env, this.session.escape)]);
        config.Labels = { ...(config.Labels ?? {}), ...Object.fromEntries(pairs) };
        return this.commit(config, nop(`LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`));
      }
      case 'MAINTAINER':
        return this.commit(config, nop(`MAINTAINER ${instruction.value}`), { author: instruction.value });
      case 'ARG': {
        const texts: string[] = [];
        for (const arg of instruction.args) {
          const fallback = arg.value !== undefined ? this.word(arg.value) : this.session.metaArgs.get(arg.key);
          const given = this.session.buildArgs.get(arg.key);
          if (given !== undefined) this.session.consumed.add(arg.key);
          this.args.set(arg.key, given ?? fallback);
          texts.push(arg.value !== undefined ? `${arg.key}=${fallback}` : arg.key);
        }
        return this.commit(config, nop(`ARG ${texts.join(' ')}`));
      }
      case 'CMD':
        config.Cmd = commandArgs(instruction.command, this.shell);
        this.cmdSet = true;
        return this.commit(config, nop(`CMD ${goQuoteList(config.Cmd)}`));
      case 'ENTRYPOINT':
        config.Entrypoint = commandArgs(instruction.command, this.shell);
        // Docker: an ENTRYPOINT drops the Cmd inherited from the base image (not one set here).
        if (!this.cmdSet) config.Cmd = null;
        return this.commit(config, nop(`ENTRYPOINT ${goQuoteList(config.Entrypoint)}`));
      case 'SHELL':
        config.Shell = instruction.shell;
        this.shell = instruction.shell;
        return this.commit(config, nopCreatedBy(this.shell, `SHELL ${goQuoteList(instruction.shell)}`));
      case 'EXPOSE': {
        const ports = exposedPorts(instruction.ports.flatMap((p) => processWords(p, this.env(), this.session.escape)));
        config.ExposedPorts = { ...(config.ExposedPorts ?? {}), ...Object.fromEntries(ports.map((p) => [p, {}])) };
        return this.commit(config, nop(`EXPOSE ${ports.join(' ')}`));
      }
      case 'VOLUME': {
        const paths = instruction.paths.map((p) => this.word(p));
        if (paths.some((p) => p.trim() === '')) throw new RuntimeError('VOLUME specified can not be an empty string');
        config.Volumes = { ...(config.Volumes ?? {}), ...Object.fromEntries(paths.map((p) => [p, {}])) };
        return this.commit(config, nop(`VOLUME [${paths.join(' ')}]`));
      }
      case 'USER':
        config.User = this.word(instruction.value);
        return this.commit(config, nop(`USER ${config.User}`));
      case 'STOPSIGNAL': {
        const signal = this.word(instruction.value);
        if (!/^(SIG)?[A-Z0-9+-]+$/i.test(signal)) throw new RuntimeError(`STOPSIGNAL ${signal}: not a signal name or number`);
        config.StopSignal = signal;
        return this.commit(config, nop(`STOPSIGNAL ${signal}`));
      }
      case 'HEALTHCHECK': {
        const health = healthConfig(instruction.healthcheck);
        config.Healthcheck = health;
        return this.commit(config, nop(healthcheckText(health)));
      }
      case 'ONBUILD':
        config.OnBuild = [...(config.OnBuild ?? []), instruction.trigger];
        return this.commit(config, nop(`ONBUILD ${instruction.trigger}`));
      case 'WORKDIR': {
        const path = this.word(instruction.value);
        config.WorkingDir = posix.resolve(config.WorkingDir || '/', path);
        const dir = config.WorkingDir;
        return this.commit(config, nop(`WORKDIR ${dir}`), {
          files: () => fileStep(this.session.store, this.session.work, this.image, async (rootfs) => { ensureDirInRoot(rootfs, dir); }),
        });
      }
      case 'RUN':
        return this.run(instruction, config);
      case 'COPY':
      case 'ADD':
        return this.copy(instruction, config);
    }
  }

  private async run(instruction: Extract<Instruction, { kind: 'RUN' }>, config: BuilderConfig): Promise<void> {
    const argv = commandArgs(instruction.command, this.shell);
    const env = new Set((config.Env ?? []).map((e) => e.slice(0, e.indexOf('='))));
    // The build args in effect that ENV does not override: declared ones, and the proxies given.
    const declared = [...this.args].filter(([k, v]) => v !== undefined && !env.has(k)).map(([k, v]) => `${k}=${v}`);
    const proxies = PROXY_ARGS.filter((k) => !this.args.has(k) && !env.has(k) && this.session.buildArgs.has(k));
    for (const k of proxies) this.session.consumed.add(k);
    const runEnv = [...declared, ...proxies.map((k) => `${k}=${this.session.buildArgs.get(k)}`)];
    const createdBy = runEnv.length > 0 ? [`|${declared.length}`, ...[...declared].sort(), ...argv].join(' ') : argv.join(' ');
    const network = (instruction.network ?? this.session.network) as 'none' | 'host' | 'default';
    await this.commit(config, createdBy, {
      keyExtra: network,
      files: async () => {
        const result = await runStep({
          store: this.session.store, storage: this.session.storage, work: this.session.work, image: this.image,
          args: argv, env: runEnv, network, ...(this.session.signal ? { signal: this.session.signal } : {}),
          write: (chunk) => this.say(chunk.toString('utf8')),
          started: (id) => this.say(` ---> Running in ${id.slice(0, 12)}\n`),
        });
        if (result.status !== 0) {
          const shown = argv.join(' ');
          throw new RuntimeError(`RUN returned exit code ${result.status}: The command '${shown}' returned a non-zero code: ${result.status}`);
        }
        this.say(`Removing intermediate container ${result.id.slice(0, 12)}\n`);
        return result.layer;
      },
    });
  }

  private async copy(instruction: Extract<Instruction, { kind: 'COPY' | 'ADD' }>, config: BuilderConfig): Promise<void> {
    const env = this.env();
    const expand = (text: string) => processWord(text, env, this.session.escape);
    const sources = instruction.sources.map(expand);
    const from = instruction.from !== undefined ? await this.session.imageFor(expand(instruction.from)) : undefined;
    const mounted = from ? mountImage(this.session.work, from) : undefined;
    try {
      const plan = await planCopy({
        kind: instruction.kind, sources, dest: expand(instruction.dest),
        ...(instruction.chown !== undefined ? { chown: expand(instruction.chown) } : {}),
        ...(instruction.chmod !== undefined ? { chmod: expand(instruction.chmod) } : {}),
        workdir: config.WorkingDir ?? '/',
        from: mounted && from ? { rootfs: mounted.rootfs, id: from.id ?? 'scratch' } : { context: this.session.context },
        scratch: this.session.work.next('copy'),
      });
      await this.commit(config, nopCreatedBy(this.shell, plan.createdBy).replace('#(nop)  ', '#(nop) '), {
        keyExtra: plan.keyExtra,
        files: () => fileStep(this.session.store, this.session.work, this.image, (rootfs) => plan.apply(rootfs)),
      });
    } finally {
      mounted?.release();
    }
  }

  /**
   * The step's image: from the cache when its key is known, else made (`files` performs the
   * file changes, giving a layer or none). Prints " ---> Using cache" and " ---> <id>".
   */
  private async commit(
    config: BuilderConfig,
    createdBy: string,
    extra: { author?: string; keyExtra?: string; files?: () => Promise<StepLayer> } = {},
  ): Promise<void> {
    const { store, cache } = this.session;
    const key = cacheKey(this.image.id, createdBy, extra.keyExtra);
    const hit = this.session.noCache ? undefined : cache.lookup(key);
    if (hit !== undefined) {
      this.say(' ---> Using cache\n');
      this.image = imageFromStore(store, hit);
    } else {
      const layer = extra.files ? await extra.files() : undefined;
      const parent = this.image.id;
      this.image = await writeStepImage(store, this.image, { config, createdBy, ...(extra.author !== undefined ? { author: extra.author } : {}), ...(layer ? { layer } : {}) });
      if (layer) this.session.work.clearPending();
      cache.record(key, this.image.id!, parent);
    }
    this.say(` ---> ${shortId(this.image.id!)}\n`);
  }
}
