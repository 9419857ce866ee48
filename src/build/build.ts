/**
 * `buildImage`: a Dockerfile and its context → an image in the store, as Docker's classic
 * builder makes it (`DOCKER_BUILDKIT=0 docker build`). The library entry point that both
 * `ts-runc image build` and the Engine API's POST /build call.
 *
 *   1. clean up after builds whose builder died (workdir.ts), make this build's work dir
 *   2. read the context (a directory, or a tar stream) and parse the Dockerfile
 *   3. pick the stages: the target (--target, default the last) and those it needs
 *      (FROM <stage>, COPY --from=<stage>); the others are not built
 *   4. run each needed stage (stage.ts), printing Step N/M as it goes
 *   5. name the target's image (-t) and report it; remove the work dir
 *
 * Anything that fails leaves no container, mount or upper layer; the images of the steps
 * that succeeded stay, untagged, as the cache.
 */
import { join } from 'node:path';
import { RuntimeError, errorMessage } from '../errors.js';
import { ImageStore } from '../image/store.js';
import { parseReference } from '../image/reference.js';
import { BuildCache } from './cache.js';
import { directoryContext, streamContext, type BuildContext } from './context/context.js';
import { imageFromStore, scratchImage, shortId, type StageImage } from './image-state.js';
import type { BuildOutput } from './output.js';
import { DockerfileError } from './parser/lines.js';
import { parseDockerfile, type Dockerfile, type Stage } from './parser/parse.js';
import { parseInstruction } from './parser/instructions.js';
import { processWord } from './parser/shell-lex.js';
import { PROXY_ARGS, StageRun, type BuildSession } from './stage.js';
import { WorkDir, cleanDeadBuilds } from './workdir.js';

export interface BuildOptions {
  /** a directory (with -f relative to the current directory), or a tar (or lone Dockerfile) stream */
  context: { dir: string; dockerfile?: string } | { stream: NodeJS.ReadableStream; dockerfile?: string };
  /** -t name:tag, any number */
  tags?: string[];
  /** --build-arg K=V */
  buildArgs?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  /** --label k=v: LABEL steps added at the end of the target stage, as the classic builder does */
  labels?: Record<string, string>;
  /** RUN's network when RUN --network does not say: none (the default here), host or default */
  network?: 'none' | 'host' | 'default';
  /** os/arch of FROM scratch and the check of stored base images */
  platform?: string;
  /** the runtime --root of the RUN containers (default: inside the build's work dir) */
  root?: string;
  /** aborts between steps (and the RUN container gets the signal from the caller) */
  signal?: AbortSignal;
}

export interface BuildResult {
  /** the image id, "sha256:…" */
  id: string;
  tags: string[];
}

export async function buildImage(storage: string, options: BuildOptions, output: BuildOutput): Promise<BuildResult> {
  try {
    return await build(storage, options, output);
  } catch (error) {
    output.event({ type: 'error', message: errorMessage(error) });
    throw error;
  }
}

async function build(storage: string, options: BuildOptions, output: BuildOutput): Promise<BuildResult> {
  const say = (text: string) => output.event({ type: 'stream', text });
  const tags = (options.tags ?? []).map((tag) => {
    parseReference(tag); // a bad name fails before any work
    return tag;
  });
  await cleanDeadBuilds(storage);
  const work = new WorkDir(storage, options.root);
  try {
    const context: BuildContext = 'dir' in options.context
      ? directoryContext(options.context.dir, options.context.dockerfile)
      : await streamContext(options.context.stream, join(work.dir, 'context'), options.context.dockerfile);
    const dockerfile = parseDockerfile(context.dockerfile.text, context.dockerfile.name);
    for (const warning of dockerfile.warnings) say(`[WARNING]: ${warning}\n`);
    const store = new ImageStore(storage);
    const buildArgs = new Map(Object.entries(options.buildArgs ?? {}));
    const consumed = new Set<string>();
    const metaArgs = new Map<string, string | undefined>();
    for (const arg of dockerfile.metaArgs) {
      for (const { key, value } of arg.args) {
        const given = buildArgs.get(key);
        if (given !== undefined) consumed.add(key);
        metaArgs.set(key, given ?? (value !== undefined ? processWord(value, definedOnly(metaArgs), dockerfile.escape) : undefined));
      }
    }
    const platform = parsePlatformOption(options.platform);
    const stages = neededStages(dockerfile, options.target, metaArgs);
    const target = stages[stages.length - 1]!;
    for (const [key, value] of Object.entries(options.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const raw = { keyword: 'LABEL', written: 'LABEL', flags: [], args: `${JSON.stringify(key)}=${JSON.stringify(value)}`, original: `LABEL ${JSON.stringify(key)}=${JSON.stringify(value)}`, line: target.from.line, endLine: target.from.line };
      target.commands.push(parseInstruction(raw, '\\', dockerfile.file));
    }
    const total = stages.reduce((sum, stage) => sum + 1 + stage.commands.length, 0);

    const built = new Map<number, StageImage>();
    const session: BuildSession = {
      storage, store, cache: new BuildCache(storage, store), work, context, output, escape: dockerfile.escape,
      noCache: options.noCache ?? false, network: options.network ?? 'none', buildArgs, consumed, metaArgs,
      signal: options.signal,
      imageFor: async (ref) => {
        const stage = stageByRef(dockerfile, ref);
        if (stage) {
          const image = built.get(stage.index);
          if (!image) throw new RuntimeError(`stage ${ref} is not built before it is used`);
          return image;
        }
        return baseImage(store, ref, say);
      },
    };

    let n = 0;
    let image: StageImage | undefined;
    for (const stage of stages) {
      const from = stage.from;
      say(`Step ${++n}/${total} : ${from.original}\n`);
      if (options.signal?.aborted) throw new RuntimeError('build interrupted');
      let base: StageImage;
      try {
        const name = processWord(from.image, definedOnly(metaArgs), dockerfile.escape);
        const fromStage = stageByRef(dockerfile, name);
        const wanted = from.platform !== undefined ? parsePlatformOption(processWord(from.platform, definedOnly(metaArgs), dockerfile.escape)) : platform;
        if (fromStage && fromStage.index < stage.index) base = built.get(fromStage.index)!;
        else if (name.toLowerCase() === 'scratch') base = scratchImage(wanted ?? hostPlatformOf());
        else base = await baseImage(store, name, say);
        if (wanted && base.id !== undefined && (base.config.os !== wanted.os || base.config.architecture !== wanted.architecture)) {
          throw new RuntimeError(`FROM ${name}: the image is ${base.config.os}/${base.config.architecture}, not the requested ${wanted.os}/${wanted.architecture}`);
        }
      } catch (error) {
        if (error instanceof RuntimeError && !(error instanceof DockerfileError)) throw new DockerfileError(dockerfile.file, from.line, error.message);
        throw error;
      }
      say(` ---> ${base.id ? shortId(base.id) : ''}\n`);
      const run = new StageRun(session, base);
      await run.runTriggers(dockerfile.file, from.line);
      for (const command of stage.commands) {
        say(`Step ${++n}/${total} : ${command.original}\n`);
        await run.dispatch(command);
      }
      built.set(stage.index, run.image);
      image = run.image;
    }
    const unused = [...buildArgs.keys()].filter((k) => !consumed.has(k) && !PROXY_ARGS.includes(k));
    if (unused.length > 0) say(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    if (!image?.id) throw new RuntimeError('No image was generated. Is your Dockerfile empty?');
    for (const tag of tags) store.tag(image.id, tag);
    output.event({ type: 'aux', id: image.id });
    say(`Successfully built ${shortId(image.id)}\n`);
    for (const tag of tags) say(`Successfully tagged ${familiar(tag)}\n`);
    return { id: image.id, tags };
  } finally {
    await work.remove();
  }
}

function definedOnly(map: ReadonlyMap<string, string | undefined>): Map<string, string> {
  return new Map([...map].filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** "web" → "web:latest", as Docker prints a tag. */
function familiar(tag: string): string {
  const ref = parseReference(tag);
  return ref.tag === undefined && ref.digest === undefined ? `${tag}:latest` : tag;
}

function stageByRef(dockerfile: Dockerfile, ref: string): Stage | undefined {
  if (/^\d+$/.test(ref)) {
    const stage = dockerfile.stages[Number(ref)];
    if (!stage) throw new RuntimeError(`invalid stage index ${ref}: the Dockerfile has ${dockerfile.stages.length} stages`);
    return stage;
  }
  return dockerfile.stages.find((s) => s.from.name === ref.toLowerCase());
}

/** The target stage and the stages it needs, in file order. */
export function neededStages(dockerfile: Dockerfile, target: string | undefined, metaArgs: ReadonlyMap<string, string | undefined>): Stage[] {
  let last: Stage;
  if (target !== undefined) {
    const found = dockerfile.stages.find((s) => s.from.name === target.toLowerCase());
    if (!found) throw new RuntimeError(`failed to reach build target ${target} in Dockerfile`);
    last = found;
  } else {
    last = dockerfile.stages[dockerfile.stages.length - 1]!;
  }
  const needed = new Set<number>();
  const visit = (stage: Stage) => {
    if (needed.has(stage.index)) return;
    needed.add(stage.index);
    const refs = [processWord(stage.from.image, definedOnly(metaArgs), dockerfile.escape)];
    for (const command of stage.commands) if ((command.kind === 'COPY') && command.from !== undefined) refs.push(command.from);
    for (const ref of refs) {
      const dep = /\$/.test(ref) ? undefined : safeStage(dockerfile, ref);
      if (dep && dep.index < stage.index) visit(dep);
      if (dep && dep.index >= stage.index && dep.index !== stage.index) throw new DockerfileError(dockerfile.file, stage.from.line, `stage ${ref} is defined after the stage that uses it`);
    }
  };
  visit(last);
  return dockerfile.stages.filter((s) => needed.has(s.index) && s.index <= last.index);
}

function safeStage(dockerfile: Dockerfile, ref: string): Stage | undefined {
  try {
    return stageByRef(dockerfile, ref);
  } catch {
    return undefined;
  }
}

/** A base image from the store, or pulled when the name has a registry host. */
async function baseImage(store: ImageStore, ref: string, say: (text: string) => void): Promise<StageImage> {
  try {
    return imageFromStore(store, ref);
  } catch (error) {
    if (!(error instanceof RuntimeError) || !/not found/.test(error.message)) throw error;
  }
  const parsed = parseReference(ref);
  if (parsed.registry === undefined) {
    throw new RuntimeError(`image ${ref} is not in the store; load or pull it first (ts-runc has no default registry: a name with its registry host, HOST[:PORT]/NAME:TAG, is pulled)`);
  }
  const [{ pullImage }, { Progress }] = await Promise.all([import('../image/registry/pull.js'), import('../image/registry/progress.js')]);
  say(`Pulling ${ref}\n`);
  const result = await pullImage(store, ref, { progress: Progress.forStderr(true) });
  return imageFromStore(store, result.image.id);
}

function parsePlatformOption(text: string | undefined): { os: string; architecture: string; variant?: string } | undefined {
  if (text === undefined || text === '') return undefined;
  const [os = '', architecture = '', variant] = text.split('/');
  if (!os || !architecture) throw new RuntimeError(`platform ${JSON.stringify(text)}: expected os/arch[/variant]`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

function hostPlatformOf(): { os: string; architecture: string } {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : process.arch;
  return { os: 'linux', architecture: arch };
}
