/**
 * For the Engine API tests: a `ts-runc system service` of the test's own, on a socket in
 * the test's temporary directory, with its own --root and --storage, running inside a
 * network namespace the test made (so every bridge, veth and nftables rule it makes is the
 * namespace's), and the real clients pointed at it with DOCKER_HOST.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO, TS_RUNC, sandbox, type Result, type Sandbox } from './helpers.js';
import { makeNetns, type Netns } from './netns.js';

export const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');
export const FIXTURE_IMAGE = 'fixture:3layers';

/** The docker client: /usr/bin/docker (Debian's docker.io) or whichever is on PATH. */
export function dockerBinary(): string | undefined {
  if (existsSync('/usr/bin/docker')) return '/usr/bin/docker';
  const which = spawnSync('which', ['docker'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

export interface ApiService {
  box: Sandbox;
  ns: Netns;
  socket: string;
  /** DOCKER_HOST, DOCKER_CONFIG and a PATH; give to any client */
  env: NodeJS.ProcessEnv;
  process: ChildProcess;
  /** what the service logged */
  output(): string;
  /** `docker ARGS` against this service, inside the namespace */
  docker(args: string[], options?: SpawnSyncOptions): Result;
  /** any command with env, inside the namespace */
  exec(cmd: string, args: string[], options?: SpawnSyncOptions): Result;
  /** GET/POST/… on the socket: status and body */
  http(method: string, path: string, body?: string | Buffer, headers?: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>;
  /** SIGTERM the service and wait for it to end */
  stop(): Promise<void>;
  /** start it again on the same storage */
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startApiService(prefix = 'tsr-api'): Promise<ApiService> {
  const box = sandbox();
  const ns = makeNetns(prefix);
  ns.run('ip', ['link', 'set', 'lo', 'up']);
  const socket = join(box.dir, 'docker.sock');
  const dockerConfig = join(box.dir, 'docker-config');
  mkdirSync(dockerConfig, { recursive: true });
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: dockerConfig, DOCKER_CLI_HINTS: 'false', DOCKER_BUILDKIT: '0' };
  delete env.DOCKER_CONTEXT;
  let logs = '';
  let child!: ChildProcess;

  const launch = async () => {
    child = spawn('nsenter', [`--net=${ns.path}`, '--', TS_RUNC, '--root', box.root, '--storage', box.storage, 'system', 'service', '--host', `unix://${socket}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => { logs += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { logs += d.toString(); });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`system service exited ${child.exitCode}: ${logs}`);
      if (existsSync(socket)) {
        try {
          const r = await service.http('GET', '/_ping');
          if (r.status === 200) return;
        } catch {
          // not listening yet
        }
      }
      if (Date.now() > deadline) throw new Error(`system service did not answer /_ping in 30 s: ${logs}`);
      await sleep(100);
    }
  };

  const service: ApiService = {
    box,
    ns,
    socket,
    env,
    get process() {
      return child;
    },
    output: () => logs,
    exec(cmd, args, options = {}) {
      // SIGKILL at the timeout: an attached `docker run` proxies SIGTERM to its container
      // instead of exiting, and spawnSync would then wait for ever
      const r = spawnSync('nsenter', [`--net=${ns.path}`, '--', cmd, ...args], { encoding: 'utf8', env, timeout: 30_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, ...options });
      return { status: r.status ?? 128, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') + (r.error ? String(r.error) : '') };
    },
    docker(args, options = {}) {
      return service.exec(dockerBinary() ?? 'docker', args, options);
    },
    http(method, path, body, headers = {}) {
      return new Promise((resolve, reject) => {
        const req = request({ socketPath: socket, method, path, headers: { ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {}), ...headers } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.setTimeout(120_000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
        req.end(body);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
    async restart() {
      await service.stop();
      await launch();
    },
    async cleanup() {
      try {
        // every container the test left, through the service (their monitors are not its children)
        if (child.exitCode === null) {
          const list = await service.http('GET', '/containers/json?all=1').catch(() => undefined);
          if (list?.status === 200) {
            for (const c of JSON.parse(list.body) as { Id: string }[]) await service.http('DELETE', `/containers/${c.Id}?force=1&v=1`).catch(() => undefined);
          }
        }
        await service.stop();
      } finally {
        ns.remove();
        box.cleanup();
      }
    },
  };
  await launch();
  return service;
}

/** `image load` of the fixture into the service's storage, through the API (docker load). */
export function loadFixture(service: ApiService): void {
  const r = service.docker(['load', '-i', IMAGE_TAR]);
  if (r.status !== 0) throw new Error(`docker load: ${r.stderr}`);
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export type { SpawnSyncOptions };
