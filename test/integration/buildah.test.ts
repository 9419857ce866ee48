/**
 * buildah drives ts-runc as it drives runc: `buildah bud --runtime <ts-runc> --isolation oci`
 * runs a Dockerfile's RUN steps through `create`/`start`/`state`/`delete` with the config
 * buildah writes (its own capabilities, seccomp profile, rlimits, no HOME in the env). The
 * same Dockerfile is built with runc first: what runc's build holds is what ts-runc's must.
 * buildah's storage, run directory and temporary files live in a temporary directory
 * (--root, --runroot, vfs, TMPDIR, a containers.conf of our own); the base image is the
 * fixture's OCI archive (`FROM oci-archive:...`), nothing is pulled, and RUN steps get no
 * network (`--network none`).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENT_RUNTIME, call, containersConf, explain, installed, killPids, missingForClients, pidsMentioning,
  removeCgroupTree, tempDir, unmountAllUnder, type Call,
} from './clients.js';
import { REPO } from './helpers.js';

const BUILDAH = installed('buildah');
const RUNC = installed('runc');
const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');

const missing = [
  ...missingForClients([['buildah', 'buildah'], ['runc', 'runc']]),
  ...(existsSync(IMAGE_TAR) ? [] : [`${IMAGE_TAR} (make fixture)`]),
];
const suite = missing.length === 0 ? describe : describe.skip;
if (missing.length > 0) console.warn(`buildah tests skipped: need ${missing.join(', ')}`);

/** Files the RUN steps write, read back from the built image. */
const OUTPUTS = ['/built.txt', '/opt/app/lines', '/opt/app/env', '/opt/app/who'];

// Shell features (&&, loops, redirection, $(...)), ENV and WORKDIR reaching the process,
// and buildah's environment (HOME is not in it: the runtime sets it from /etc/passwd).
const DOCKERFILE = `FROM oci-archive:${IMAGE_TAR}
ENV GREETING=hello
RUN echo built > /built.txt && mkdir -p /opt/app && for i in 1 2 3; do echo line$i >> /opt/app/lines; done
WORKDIR /opt/app
RUN echo "$GREETING from $(pwd)" > env
RUN sh -c 'echo "uid=$(id -u) gid=$(id -g) home=$HOME"' > /opt/app/who
`;

suite(`buildah bud --runtime ${basename(CLIENT_RUNTIME)}`, () => {
  let dir = '';
  let env: NodeJS.ProcessEnv = {};
  let cgroupParent = '';
  // buildah passes runtimes no --root: they keep their state in /run/<name>.
  const runtimeRoots = [`/run/${basename(CLIENT_RUNTIME)}`, '/run/runc'];
  let createdRuntimeRoots: string[] = [];
  let createdVarLibContainers = false;

  const buildah = (args: string[]): Call =>
    call([BUILDAH!, '--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--storage-driver', 'vfs', ...args],
      { env, timeout: 120_000 });

  /** Builds `dockerfile` with `runtime`, tagged `tag`. */
  const build = (runtime: string, tag: string, dockerfile: string): Call => {
    const context = join(dir, `context-${tag.replace(/\W/g, '-')}`);
    mkdirSync(context);
    writeFileSync(join(context, 'Dockerfile'), dockerfile);
    return buildah(['bud', '--runtime', runtime, '--isolation', 'oci', '--network', 'none', `--cgroup-parent=${cgroupParent}`,
      '--pull=never', '-t', tag, context]);
  };

  /** The files the RUN steps wrote, as the built image holds them (absent ones as null). */
  const contents = (tag: string): Record<string, string | null> => {
    const from = buildah(['from', '--pull=never', tag]);
    expect(from.status, explain(from)).toBe(0);
    const container = from.stdout.trim();
    try {
      const mounted = buildah(['mount', container]);
      expect(mounted.status, explain(mounted)).toBe(0);
      const rootfs = mounted.stdout.trim();
      return Object.fromEntries(OUTPUTS.map((file) => [file, existsSync(join(rootfs, file)) ? readFileSync(join(rootfs, file), 'utf8') : null]));
    } finally {
      buildah(['umount', container]);
      buildah(['rm', container]);
    }
  };

  beforeAll(() => {
    dir = tempDir('buildah');
    cgroupParent = `/${basename(dir)}`;
    for (const sub of ['run', 'tmp', 'cni']) mkdirSync(join(dir, sub));
    writeFileSync(join(dir, 'containers.conf'), containersConf(dir));
    env = { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf'), TMPDIR: join(dir, 'tmp') };
    createdRuntimeRoots = runtimeRoots.filter((root) => !existsSync(root));
    createdVarLibContainers = !existsSync('/var/lib/containers');
  });

  afterAll(() => {
    if (!dir) return;
    buildah(['rm', '--all']);
    buildah(['rmi', '--all', '--force']);
    // A RUN step's processes name our directory (the bundle) on their command lines.
    const stuck = killPids(pidsMentioning(dir));
    const mounts = unmountAllUnder(dir);
    const cgroups = removeCgroupTree(cgroupParent);
    rmSync(dir, { recursive: true, force: true });
    if (createdVarLibContainers) rmSync('/var/lib/containers', { recursive: true, force: true });
    for (const root of createdRuntimeRoots) {
      if (existsSync(root) && readdirSync(root).length === 0) rmdirSync(root);
    }
    expect({ stuck, mounts, cgroups }).toEqual({ stuck: [], mounts: [], cgroups: [] });
  }, 120_000);

  it('runs the RUN steps as runc does: the built image holds the same files', () => {
    const reference = build(RUNC!, 'localhost/built-by:runc', DOCKERFILE);
    expect(reference.status, explain(reference)).toBe(0);
    const expected = contents('localhost/built-by:runc');
    // What buildah and runc make of this Dockerfile, written down so a change in either shows.
    expect(expected).toEqual({
      '/built.txt': 'built\n',
      '/opt/app/lines': 'line1\nline2\nline3\n',
      '/opt/app/env': 'hello from /opt/app\n',
      '/opt/app/who': 'uid=0 gid=0 home=/root\n',
    });

    const ours = build(CLIENT_RUNTIME, 'localhost/built-by:ts-runc', DOCKERFILE);
    expect(ours.status, explain(ours)).toBe(0);
    expect(contents('localhost/built-by:ts-runc')).toEqual(expected);
  }, 180_000);

  it('a RUN step that exits non-zero fails the build with its status, as with runc', () => {
    const failing = `FROM oci-archive:${IMAGE_TAR}\nRUN echo before; exit 3\nRUN echo never\n`;
    const reference = build(RUNC!, 'localhost/fails-with:runc', failing);
    expect(reference.status, explain(reference)).not.toBe(0);
    expect(reference.stderr, explain(reference)).toContain('exit status 3');

    const ours = build(CLIENT_RUNTIME, 'localhost/fails-with:ts-runc', failing);
    expect(ours.status, explain(ours)).not.toBe(0);
    expect(ours.stderr, explain(ours)).toContain('exit status 3');
    expect(ours.stdout, explain(ours)).toContain('before');
    expect(ours.stdout, explain(ours)).not.toContain('never');
  }, 180_000);
});
