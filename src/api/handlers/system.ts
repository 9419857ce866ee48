/**
 * The system group: /_ping, /version, /info, /auth, /events, /system/df (Engine API
 * "System"). /_ping is what every client asks first: docker CLI reads API-Version from it
 * to negotiate, docker-py's from_env reads /version's ApiVersion.
 */
import { cpus, hostname, release, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { detectMode } from '../../cgroups/hierarchy.js';
import { readEventsFrom, type EngineEvent } from '../../engine/events.js';
import { errorMessage } from '../../errors.js';
import { ImageStore } from '../../image/store.js';
import { hostPlatform } from '../../image/registry/platform.js';
import { BUILD_COMMIT, TS_RUNC_VERSION } from '../../version.js';
import { ApiError, badRequest, readJson, sendJson, type Filters } from '../http.js';
import { API_VERSION, MIN_API_VERSION, type Call, type Router } from '../router.js';
import { containerCounts } from './containers.js';
import { diskUsage as engineDiskUsage } from '../../engine/system/df.js';

const BUILD_TIME = new Date().toISOString();

export function systemRoutes(router: Router): void {
  router
    .add('GET', '/_ping', ping)
    .add('HEAD', '/_ping', ping)
    .add('GET', '/version', version)
    .add('GET', '/info', info)
    .add('POST', '/auth', auth)
    .add('GET', '/events', events)
    .add('GET', '/system/df', diskUsage);
}

function pingHeaders(): Record<string, string> {
  return {
    'API-Version': API_VERSION,
    'OSType': 'linux',
    'Docker-Experimental': 'false',
    // 1: the classic builder's POST /build (buildkit's session protocol is not served)
    'Builder-Version': '1',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    'Pragma': 'no-cache',
  };
}

function ping({ req, res }: Call): void {
  const body = req.method === 'HEAD' ? '' : 'OK';
  res.writeHead(200, { ...pingHeaders(), 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function osName(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

function cgroupVersion(): '1' | '2' {
  return detectMode() === 'unified' ? '2' : '1';
}

function version({ res }: Call): void {
  const arch = hostPlatform().architecture;
  const details = {
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    Arch: arch,
    Os: 'linux',
    KernelVersion: release(),
    GitCommit: BUILD_COMMIT,
    GoVersion: `node ${process.version}`,
    BuildTime: BUILD_TIME,
    Experimental: 'false',
  };
  sendJson(res, 200, {
    Platform: { Name: 'ts-runc' },
    Components: [
      { Name: 'Engine', Version: TS_RUNC_VERSION, Details: details },
      { Name: 'ts-runc', Version: TS_RUNC_VERSION, Details: { GitCommit: BUILD_COMMIT } },
    ],
    Version: TS_RUNC_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: BUILD_COMMIT,
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: arch,
    KernelVersion: release(),
    BuildTime: BUILD_TIME,
  });
}

async function info({ res, ctx }: Call): Promise<void> {
  const counts = containerCounts(ctx);
  const images = new ImageStore(ctx.storage).list();
  const v = cgroupVersion();
  sendJson(res, 200, {
    ID: ctx.engineId,
    Containers: counts.total,
    ContainersRunning: counts.running,
    ContainersPaused: counts.paused,
    ContainersStopped: counts.stopped,
    Images: images.length,
    Driver: 'overlay2',
    DriverStatus: [['Backing Filesystem', 'overlayfs'], ['Supports d_type', 'true']],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'none'], Authorization: null, Log: ['json-file', 'none'] },
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: true,
    Debug: false,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: v,
    NEventsListener: 0,
    KernelVersion: release(),
    OperatingSystem: osName(),
    OSVersion: '',
    OSType: 'linux',
    Architecture: process.arch === 'x64' ? 'x86_64' : process.arch,
    IndexServerAddress: '',
    RegistryConfig: { InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: {}, Mirrors: [] },
    NCPU: cpus().length,
    MemTotal: totalmem(),
    GenericResources: null,
    DockerRootDir: ctx.storage,
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: TS_RUNC_VERSION,
    Runtimes: { 'ts-runc': { path: 'ts-runc' } },
    DefaultRuntime: 'ts-runc',
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: 'ts-runc-init',
    ContainerdCommit: { ID: '', Expected: '' },
    RuncCommit: { ID: BUILD_COMMIT, Expected: BUILD_COMMIT },
    InitCommit: { ID: BUILD_COMMIT, Expected: BUILD_COMMIT },
    SecurityOptions: ['name=seccomp,profile=builtin', ...(v === '2' ? ['name=cgroupns'] : [])],
    Warnings: null,
  });
}

/**
 * POST /auth: whether the registry takes these credentials. GET /v2/ of the registry,
 * answering its challenge (Basic, or a Bearer token from its realm) with them; 200 means
 * they work (distribution spec "API Version Check").
 */
async function auth({ req, res }: Call): Promise<void> {
  const body = await readJson(req);
  const username = body.username;
  const password = body.password;
  const server = body.serveraddress;
  if (typeof username !== 'string' || typeof password !== 'string') throw badRequest('auth: username and password must be strings');
  if (typeof server !== 'string' || server === '') throw badRequest('auth: serveraddress (the registry host) is required: ts-runc has no default registry');
  const host = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  const [{ RegistryClient }, { isLoopback }] = await Promise.all([import('../../image/registry/client.js'), import('../../image/registry/endpoint.js')]);
  const scheme = server.startsWith('http://') || isLoopback(host) ? 'http' : 'https';
  const client = new RegistryClient(host, { username, password });
  try {
    await client.request(`${scheme}://${host}/v2/`, { scope: 'registry:catalog:*' });
  } catch (error) {
    throw new ApiError(401, `login to ${host} failed: ${errorMessage(error)}`);
  }
  sendJson(res, 200, { Status: 'Login Succeeded', IdentityToken: '' });
}

/** since/until: a Unix time in seconds (with a fraction) or an RFC 3339 date, as docker sends them. */
function eventTime(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1e9;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw badRequest(`${name}: ${JSON.stringify(text)} is neither a Unix time nor an RFC 3339 date`);
  return ms * 1e6;
}

function eventMatches(event: EngineEvent, filters: Filters): boolean {
  const want = (name: string, value: string | undefined) => !filters.has(name) || (value !== undefined && filters.get(name).includes(value));
  const attrs = event.Actor.Attributes;
  if (!want('type', event.Type) || !want('event', event.Action.split(':')[0])) return false;
  if (filters.has('container') && !(event.Type === 'container' && filters.get('container').some((c) => event.Actor.ID.startsWith(c) || attrs.name === c))) return false;
  if (filters.has('image') && !filters.get('image').some((i) => attrs.image === i || event.Actor.ID === i)) return false;
  if (filters.has('network') && !(event.Type === 'network' && filters.get('network').some((n) => event.Actor.ID.startsWith(n) || attrs.name === n))) return false;
  if (filters.has('volume') && !(event.Type === 'volume' && filters.get('volume').includes(event.Actor.ID))) return false;
  return filters.matchLabels(attrs);
}

/**
 * GET /events: the events since `since` (default: from now), then the new ones as they are
 * appended, one JSON object per line, until `until` or the client goes away. The file is
 * polled, since appends come from other processes too.
 */
async function events({ req, res, query, ctx }: Call): Promise<void> {
  const filters = query.filters().only(['type', 'event', 'container', 'image', 'network', 'volume', 'label', 'label!', 'daemon', 'scope']);
  const since = eventTime(query.str('since'), 'since');
  const until = eventTime(query.str('until'), 'until');
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  let offset = 0;
  const startNs = Date.now() * 1e6;
  const from = since ?? startNs;
  let closed = false;
  req.on('close', () => {
    closed = true;
  });
  res.on('close', () => {
    closed = true;
  });
  for (;;) {
    const { events: batch, next } = readEventsFrom(ctx.storage, offset);
    offset = next;
    for (const event of batch) {
      if (event.timeNano < from) continue;
      if (until !== undefined && event.timeNano > until) continue;
      if (eventMatches(event, filters)) res.write(`${JSON.stringify(event)}\n`);
    }
    if (closed) return;
    if (until !== undefined && Date.now() * 1e6 >= until) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  res.end();
}

/** GET /system/df: views' diskUsage (what `system df` reads), narrowed by ?type= as dockerd. */
async function diskUsage({ res, ctx, query }: Call): Promise<void> {
  const types = query.params.getAll('type');
  const want = (t: string) => types.length === 0 || types.includes(t);
  const usage = await engineDiskUsage(ctx.storage);
  sendJson(res, 200, {
    LayersSize: usage.LayersSize,
    Images: want('image') ? usage.Images : [],
    Containers: want('container') ? usage.Containers : [],
    Volumes: want('volume') ? usage.Volumes : [],
    BuildCache: [],
  });
}
