/**
 * The body of POST /containers/create → the engine's CreateRequest (src/engine/types.ts),
 * checked field by field before anything is made: a field of the wrong type is a 400 naming
 * it (`HostConfig.Memory: expected a number, got "1g"`).
 *
 * Clients send every field they know, most at their zero value (the docker CLI sends
 * `"BlkioWeight": 0`, `"MemorySwappiness": -1`, `"IpcMode": ""`…). A field ts-runc does not
 * act on is accepted at its zero value and refused otherwise, naming it: never silently
 * ignored (issue 11 item 4, issue 12 item 5).
 */
import type { ContainerConfig, CreateRequest, EndpointSettings, HostConfig, NetworkingConfig } from '../engine/types.js';
import { badRequest } from './http.js';

type Check = (value: unknown, path: string) => void;

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'string' ? JSON.stringify(v) : typeof v);
const fail = (path: string, expected: string, value: unknown): never => {
  throw badRequest(`${path}: expected ${expected}, got ${typeName(value)}`);
};

const str: Check = (v, p) => void (typeof v === 'string' || fail(p, 'a string', v));
const bool: Check = (v, p) => void (typeof v === 'boolean' || fail(p, 'a boolean', v));
const num: Check = (v, p) => void ((typeof v === 'number' && Number.isFinite(v)) || fail(p, 'a number', v));
const int: Check = (v, p) => void ((typeof v === 'number' && Number.isInteger(v)) || fail(p, 'an integer', v));
const nullable = (check: Check): Check => (v, p) => {
  if (v !== null) check(v, p);
};
const strList: Check = (v, p) => {
  if (!Array.isArray(v)) fail(p, 'a list of strings', v);
  (v as unknown[]).forEach((item, i) => str(item, `${p}[${i}]`));
};
/** Cmd and Entrypoint: a list, or a string (docker-py and old clients send one; moby's StrSlice takes both) */
const strOrList: Check = (v, p) => {
  if (typeof v !== 'string') strList(v, p);
};
const obj = (fields: Record<string, Check>, extra?: Check): Check => (v, p) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(p, 'an object', v);
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    const check = fields[key];
    if (check) {
      if (value !== undefined) check(value, `${p}.${key}`);
    } else if (extra) {
      extra(value, `${p}.${key}`);
    } else {
      unsupported(value, `${p}.${key}`);
    }
  }
};
const mapOf = (check: Check): Check => (v, p) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(p, 'an object', v);
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) check(value, `${p}.${key}`);
};
const listOf = (check: Check): Check => (v, p) => {
  if (!Array.isArray(v)) fail(p, 'a list', v);
  (v as unknown[]).forEach((item, i) => check(item, `${p}[${i}]`));
};
const anyObject: Check = (v, p) => void ((typeof v === 'object' && v !== null && !Array.isArray(v)) || fail(p, 'an object', v));

/** A zero value: what a client sends for a field it leaves unset. */
function isZero(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.every(isZero);
  if (typeof v === 'object') return Object.values(v as object).every(isZero);
  return false;
}

function unsupported(value: unknown, path: string): void {
  if (!isZero(value)) throw badRequest(`${path}: not supported by ts-runc (got ${JSON.stringify(value)})`);
}

/** Fields with a non-zero default clients send (docker CLI: MemorySwappiness -1). */
const defaultOnly = (...allowed: unknown[]): Check => (v, p) => {
  if (!isZero(v) && !allowed.some((a) => JSON.stringify(a) === JSON.stringify(v))) throw badRequest(`${p}: not supported by ts-runc (got ${JSON.stringify(v)})`);
};

const healthcheck = obj({ Test: nullable(strList), Interval: nullable(int), Timeout: nullable(int), Retries: nullable(int), StartPeriod: nullable(int), StartInterval: defaultOnly() });

const CONFIG_FIELDS: Record<string, Check> = {
  Hostname: str, Domainname: str, User: str, AttachStdin: bool, AttachStdout: bool, AttachStderr: bool,
  ExposedPorts: nullable(mapOf(anyObject)), Tty: bool, OpenStdin: bool, StdinOnce: bool, Env: nullable(strList),
  Cmd: nullable(strOrList), Healthcheck: nullable(healthcheck), Image: str, Volumes: nullable(mapOf(anyObject)),
  WorkingDir: str, Entrypoint: nullable(strOrList), NetworkDisabled: bool, Labels: nullable(mapOf(str)),
  StopSignal: str, StopTimeout: nullable(int),
  // accepted at their zero values: what clients send by default
  OnBuild: defaultOnly(), MacAddress: defaultOnly(), ArgsEscaped: defaultOnly(), Shell: defaultOnly(),
};

const HOST_FIELDS: Record<string, Check> = {
  Binds: nullable(strList),
  LogConfig: nullable(obj({ Type: str, Config: nullable(mapOf(str)) })),
  NetworkMode: str,
  PortBindings: nullable(mapOf(nullable(listOf(obj({ HostIp: str, HostPort: str }))))),
  RestartPolicy: nullable(obj({ Name: str, MaximumRetryCount: int })),
  AutoRemove: bool,
  VolumesFrom: nullable(strList),
  Mounts: nullable(listOf(obj({
    Type: str, Source: str, Target: str, ReadOnly: bool, Consistency: defaultOnly('default'),
    BindOptions: nullable(obj({ Propagation: str, NonRecursive: defaultOnly(), CreateMountpoint: defaultOnly() })),
    VolumeOptions: nullable(obj({ NoCopy: bool, Labels: nullable(mapOf(str)), DriverConfig: defaultOnly(), Subpath: defaultOnly() })),
    TmpfsOptions: nullable(obj({ SizeBytes: int, Mode: int, Options: defaultOnly() })),
  }))),
  CapAdd: nullable(strList), CapDrop: nullable(strList),
  Dns: nullable(strList), DnsOptions: nullable(strList), DnsSearch: nullable(strList), ExtraHosts: nullable(strList),
  GroupAdd: nullable(strList), Links: nullable(strList),
  Privileged: bool, PublishAllPorts: bool, ReadonlyRootfs: bool, SecurityOpt: nullable(strList),
  Tmpfs: nullable(mapOf(str)), Init: nullable(bool),
  Memory: int, MemoryReservation: int, MemorySwap: int, NanoCpus: int, CpuShares: int, CpusetCpus: str,
  PidsLimit: nullable(int),
  Ulimits: nullable(listOf(obj({ Name: str, Soft: int, Hard: int }))),
  Devices: nullable(listOf(obj({ PathOnHost: str, PathInContainer: str, CgroupPermissions: str }))),
  ShmSize: int, Sysctls: nullable(mapOf(str)),
  // accepted at their zero (or default) values
  ContainerIDFile: defaultOnly(), VolumeDriver: defaultOnly('local'), ConsoleSize: nullable(listOf(int)),
  CgroupnsMode: defaultOnly('private', 'host'), IpcMode: defaultOnly('private', 'shareable'), Cgroup: defaultOnly(),
  OomScoreAdj: defaultOnly(), PidMode: defaultOnly(), UTSMode: defaultOnly(), UsernsMode: defaultOnly(),
  Isolation: defaultOnly('default'), CgroupParent: defaultOnly(), BlkioWeight: defaultOnly(), BlkioWeightDevice: defaultOnly(),
  BlkioDeviceReadBps: defaultOnly(), BlkioDeviceWriteBps: defaultOnly(), BlkioDeviceReadIOps: defaultOnly(), BlkioDeviceWriteIOps: defaultOnly(),
  CpuPeriod: defaultOnly(), CpuQuota: defaultOnly(), CpuRealtimePeriod: defaultOnly(), CpuRealtimeRuntime: defaultOnly(),
  CpusetMems: defaultOnly(), DeviceCgroupRules: defaultOnly(), DeviceRequests: defaultOnly(), MemorySwappiness: defaultOnly(-1),
  OomKillDisable: defaultOnly(), CpuCount: defaultOnly(), CpuPercent: defaultOnly(), IOMaximumIOps: defaultOnly(),
  IOMaximumBandwidth: defaultOnly(), MaskedPaths: defaultOnly(), ReadonlyPaths: defaultOnly(), KernelMemory: defaultOnly(),
  KernelMemoryTCP: defaultOnly(), Runtime: defaultOnly('ts-runc', 'runc'), Annotations: defaultOnly(), StorageOpt: defaultOnly(),
};

const ENDPOINT_FIELDS: Record<string, Check> = {
  Aliases: nullable(strList), IPAMConfig: nullable(obj({ IPv4Address: str, IPv6Address: defaultOnly(), LinkLocalIPs: defaultOnly() })),
  Links: nullable(strList), NetworkID: str,
  MacAddress: defaultOnly(), DriverOpts: defaultOnly(), GwPriority: defaultOnly(), EndpointID: defaultOnly(), Gateway: defaultOnly(),
  IPAddress: defaultOnly(), IPPrefixLen: defaultOnly(), IPv6Gateway: defaultOnly(), GlobalIPv6Address: defaultOnly(),
  GlobalIPv6PrefixLen: defaultOnly(), DNSNames: nullable(strList),
};

const pick = <T extends object>(source: Record<string, unknown>, keys: readonly string[]): T => {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (source[key] !== undefined && source[key] !== null) out[key] = source[key];
  return out as T;
};

/** Keeps only the fields the engine acts on (the others were checked to be zero). */
const CONFIG_KEYS = ['Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'ExposedPorts', 'Tty', 'OpenStdin', 'StdinOnce', 'Env', 'Cmd', 'Healthcheck', 'Image', 'Volumes', 'WorkingDir', 'Entrypoint', 'NetworkDisabled', 'Labels', 'StopSignal', 'StopTimeout'];
const HOST_KEYS = ['Binds', 'LogConfig', 'NetworkMode', 'PortBindings', 'RestartPolicy', 'AutoRemove', 'VolumesFrom', 'Mounts', 'CapAdd', 'CapDrop', 'Dns', 'DnsOptions', 'DnsSearch', 'ExtraHosts', 'GroupAdd', 'Links', 'Privileged', 'PublishAllPorts', 'ReadonlyRootfs', 'SecurityOpt', 'Tmpfs', 'Init', 'Memory', 'MemoryReservation', 'MemorySwap', 'NanoCpus', 'CpuShares', 'CpusetCpus', 'PidsLimit', 'Ulimits', 'Devices', 'ShmSize', 'Sysctls'];

const ZERO_OMITTED = (value: unknown) => value === 0 || value === '' || value === false;

/**
 * The request, checked. `name` and `platform` are the query's. The image is named as the
 * client wrote it; the docker CLI's "docker.io/library/" is taken off by `localName`.
 */
export function parseCreateBody(body: Record<string, unknown>, name: string | undefined, platform: string | undefined, localName: (image: string) => string): CreateRequest {
  const { HostConfig: hostRaw, NetworkingConfig: netRaw, ...configRaw } = body;
  obj(CONFIG_FIELDS)(configRaw, 'Config');
  if (typeof configRaw.Image !== 'string' || configRaw.Image === '') throw badRequest('Config.Image: the image to create the container from is required');
  if (hostRaw !== undefined && hostRaw !== null) obj(HOST_FIELDS)(hostRaw, 'HostConfig');
  if (netRaw !== undefined && netRaw !== null) {
    obj({ EndpointsConfig: nullable(mapOf(nullable(obj(ENDPOINT_FIELDS)))) })(netRaw, 'NetworkingConfig');
  }
  const config = pick<ContainerConfig>(configRaw, CONFIG_KEYS);
  config.Image = localName(configRaw.Image);
  if (typeof config.Cmd === 'string') config.Cmd = ['/bin/sh', '-c', config.Cmd];
  if (typeof config.Entrypoint === 'string') config.Entrypoint = [config.Entrypoint];
  // compose sends unset healthcheck durations as null
  if (config.Healthcheck) {
    for (const key of Object.keys(config.Healthcheck) as (keyof typeof config.Healthcheck)[]) if (config.Healthcheck[key] === null) delete config.Healthcheck[key];
  }
  // An empty Entrypoint list resets the image's; null keeps it (moby's reading).
  if (Array.isArray(configRaw.Entrypoint) && configRaw.Entrypoint.length === 0) config.Entrypoint = [];
  for (const key of Object.keys(config) as (keyof ContainerConfig)[]) {
    if (key !== 'Image' && ZERO_OMITTED(config[key])) delete config[key];
  }
  const hostConfig = pick<HostConfig>((hostRaw ?? {}) as Record<string, unknown>, HOST_KEYS);
  for (const key of Object.keys(hostConfig) as (keyof HostConfig)[]) {
    if (key !== 'PidsLimit' && ZERO_OMITTED(hostConfig[key])) delete hostConfig[key];
  }
  if (hostConfig.PidsLimit === 0) delete hostConfig.PidsLimit;
  if (hostConfig.LogConfig && !hostConfig.LogConfig.Type) delete hostConfig.LogConfig;
  if (hostConfig.LogConfig && hostConfig.LogConfig.Type !== 'json-file' && hostConfig.LogConfig.Type !== 'none') {
    throw badRequest(`HostConfig.LogConfig.Type: ${JSON.stringify(hostConfig.LogConfig.Type)} is not supported (json-file or none)`);
  }
  if (hostConfig.RestartPolicy && !['', 'no', 'always', 'unless-stopped', 'on-failure'].includes(hostConfig.RestartPolicy.Name)) {
    throw badRequest(`HostConfig.RestartPolicy.Name: invalid restart policy ${JSON.stringify(hostConfig.RestartPolicy.Name)}`);
  }
  for (const [i, m] of (hostConfig.Mounts ?? []).entries()) {
    if (!['bind', 'volume', 'tmpfs'].includes(m.Type)) throw badRequest(`HostConfig.Mounts[${i}].Type: ${JSON.stringify(m.Type)} is not supported (bind, volume or tmpfs)`);
  }
  const networkingConfig: NetworkingConfig = {};
  const endpoints = (netRaw as { EndpointsConfig?: Record<string, Record<string, unknown> | null> } | undefined)?.EndpointsConfig;
  if (endpoints) {
    networkingConfig.EndpointsConfig = {};
    for (const [network, settings] of Object.entries(endpoints)) {
      const endpoint = pick<EndpointSettings>(settings ?? {}, ['Aliases', 'IPAMConfig', 'Links', 'NetworkID']);
      if (endpoint.NetworkID === '') delete endpoint.NetworkID;
      if (endpoint.IPAMConfig && !endpoint.IPAMConfig.IPv4Address) delete endpoint.IPAMConfig;
      networkingConfig.EndpointsConfig[network] = endpoint;
    }
  }
  const request: CreateRequest = { config, hostConfig, networkingConfig, pull: 'never' };
  if (name !== undefined && name !== '') request.name = name.replace(/^\//, '');
  if (platform) request.platform = platform;
  return request;
}
