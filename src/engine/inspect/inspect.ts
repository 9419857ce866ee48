/**
 * `container inspect` and GET /containers/{id}/json: Docker's ContainerInspectResponse
 * for the fields ts-runc has, in Docker's field order (moby api/types/container), so that
 * the JSON reads like docker's and `--format '{{.State}}'` prints Go's struct order.
 */
import { join } from 'node:path';
import { ContainerStore } from '../containers/store.js';
import { containerView, type ContainerView, type DockerState } from '../containers/status.js';
import type { ContainerConfig, ContainerRecord, HostConfig, PortBinding } from '../types.js';
import { mountSummaries, networkSummaries, treeSize, type MountSummary, type NetworkSummary } from '../list/summary.js';

export interface ContainerInspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: DockerState;
  Image: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  Name: string;
  RestartCount: number;
  Driver: string;
  Platform: string;
  MountLabel: string;
  ProcessLabel: string;
  AppArmorProfile: string;
  ExecIDs: string[] | null;
  HostConfig: Record<string, unknown>;
  GraphDriver: { Data: Record<string, string>; Name: string };
  SizeRw?: number;
  SizeRootFs?: number;
  Mounts: MountSummary[];
  Config: Record<string, unknown>;
  NetworkSettings: NetworkSettings;
}

export interface NetworkSettings {
  Bridge: string;
  SandboxID: string;
  SandboxKey: string;
  Ports: Record<string, PortBinding[] | null>;
  HairpinMode: boolean;
  LinkLocalIPv6Address: string;
  LinkLocalIPv6PrefixLen: number;
  SecondaryIPAddresses: null;
  SecondaryIPv6Addresses: null;
  EndpointID: string;
  Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  MacAddress: string;
  Networks: Record<string, NetworkSummary>;
}

export interface InspectOptions {
  /** -s: SizeRw (the writable layer) and SizeRootFs (it plus the image) */
  size?: boolean;
  /** the image's unpacked layer directories, top first (GraphDriver.Data.LowerDir) */
  lowerDirs?: string[];
  imageSize?: number;
}

/** Config with every field Docker shows, defaults where the record has none. */
function fullConfig(config: ContainerConfig): Record<string, unknown> {
  const defaults: Record<string, unknown> = {
    Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
    ...(config.ExposedPorts ? { ExposedPorts: config.ExposedPorts } : {}),
    Tty: false, OpenStdin: false, StdinOnce: false, Env: [], Cmd: null,
    ...(config.Healthcheck ? { Healthcheck: config.Healthcheck } : {}),
    Image: '', Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {},
  };
  // keys in Docker's order: the record's values land in the defaults' places
  return { ...defaults, ...config };
}

function fullHostConfig(host: HostConfig): Record<string, unknown> {
  const defaults: Record<string, unknown> = {
    Binds: null, ContainerIDFile: '', LogConfig: { Type: 'json-file', Config: {} }, NetworkMode: 'bridge', PortBindings: {},
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, VolumeDriver: '', VolumesFrom: null,
    ConsoleSize: [0, 0], CapAdd: null, CapDrop: null, CgroupnsMode: 'private', Dns: [], DnsOptions: [], DnsSearch: [],
    ExtraHosts: null, GroupAdd: null, IpcMode: 'private', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '',
    Privileged: false, PublishAllPorts: false, ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '', UsernsMode: '',
    ShmSize: 67108864, Runtime: 'ts-runc', Isolation: '', CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '',
    BlkioWeight: 0, BlkioWeightDevice: null, BlkioDeviceReadBps: null, BlkioDeviceWriteBps: null, BlkioDeviceReadIOps: null,
    BlkioDeviceWriteIOps: null, CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0,
    CpusetCpus: '', CpusetMems: '', Devices: [], DeviceCgroupRules: null, DeviceRequests: null, MemoryReservation: 0,
    MemorySwap: 0, MemorySwappiness: null, OomKillDisable: null, PidsLimit: null, Ulimits: [], CpuCount: 0, CpuPercent: 0,
    IOMaximumIOps: 0, IOMaximumBandwidth: 0, MaskedPaths: null, ReadonlyPaths: null,
  };
  const policy = host.RestartPolicy;
  return {
    ...defaults,
    ...host,
    // Docker's RestartPolicy always has both fields ({{.HostConfig.RestartPolicy}} is "{no 0}")
    RestartPolicy: { Name: policy?.Name || 'no', MaximumRetryCount: policy?.MaximumRetryCount ?? 0 },
    LogConfig: { Type: host.LogConfig?.Type ?? 'json-file', Config: host.LogConfig?.Config ?? {} },
  };
}

/** The default network's address at the top of NetworkSettings, as Docker fills it for "bridge". */
function primary(record: ContainerRecord, networks: Record<string, NetworkSummary>): NetworkSummary | undefined {
  const mode = record.HostConfig.NetworkMode ?? 'bridge';
  return networks[mode] ?? (mode === 'bridge' || mode === 'default' ? Object.values(networks)[0] : undefined);
}

/** The inspect object of a container whose view (record + live state) is read. */
export function inspectView(store: ContainerStore, view: ContainerView, options: InspectOptions = {}): ContainerInspect {
  const { record, state } = view;
  const paths = store.paths(record.Id);
  const networks = networkSummaries(record);
  const main = primary(record, networks);
  const running = state.Running || state.Paused;
  const logging = (record.HostConfig.LogConfig?.Type ?? 'json-file') === 'json-file';
  const inspect: ContainerInspect = {
    Id: record.Id,
    Created: record.Created,
    Path: record.Path,
    Args: record.Args,
    State: state,
    Image: record.Image,
    ResolvConfPath: join(paths.etc, 'resolv.conf'),
    HostnamePath: join(paths.etc, 'hostname'),
    HostsPath: join(paths.etc, 'hosts'),
    LogPath: logging ? paths.log : '',
    Name: record.Name,
    RestartCount: view.RestartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: fullHostConfig(record.HostConfig),
    GraphDriver: {
      Data: {
        ...(options.lowerDirs ? { LowerDir: options.lowerDirs.join(':') } : {}),
        MergedDir: paths.rootfs,
        UpperDir: paths.upper,
        WorkDir: paths.work,
      },
      Name: 'overlay2',
    },
    Mounts: mountSummaries(record),
    Config: fullConfig(record.Config),
    NetworkSettings: {
      Bridge: '',
      SandboxID: '',
      SandboxKey: '',
      // Docker lists the ports only while the container has its network (running)
      Ports: running ? portMap(record) : {},
      // deprecated, still in docker 28's struct
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: '',
      Gateway: main?.Gateway ?? '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: main?.IPAddress ?? '',
      IPPrefixLen: main?.IPPrefixLen ?? 0,
      IPv6Gateway: '',
      MacAddress: main?.MacAddress ?? '',
      Networks: networks,
    },
  };
  if (options.size) {
    inspect.SizeRw = treeSize(paths.upper);
    inspect.SizeRootFs = inspect.SizeRw + (options.imageSize ?? 0);
  }
  return inspect;
}

/** "80/tcp" → bindings for published ports, null for exposed ones that are not. */
function portMap(record: ContainerRecord): Record<string, PortBinding[] | null> {
  const out: Record<string, PortBinding[] | null> = {};
  for (const key of Object.keys(record.Config.ExposedPorts ?? {})) out[key] = null;
  for (const [key, bindings] of Object.entries(record.Ports ?? {})) {
    out[key] = bindings && bindings.length > 0 ? bindings.map((b) => ({ HostIp: b.HostIp || '0.0.0.0', HostPort: b.HostPort ?? '' })) : null;
  }
  return out;
}

/** `container inspect REF` / GET /containers/{id}/json: one container by id, prefix or name. */
export async function inspectContainer(storage: string, reference: string, options: { size?: boolean } = {}): Promise<ContainerInspect> {
  const store = new ContainerStore(storage);
  const record = store.resolve(reference);
  const view = containerView(store, record);
  let lowerDirs: string[] | undefined;
  let imageSize: number | undefined;
  try {
    const { ImageStore } = await import('../../image/store.js');
    const image = new ImageStore(storage).resolve(record.Image);
    lowerDirs = image.layers.map((l) => l.dir).reverse();
    imageSize = image.size;
  } catch {
    // the image was removed since (rm refuses while a container holds it, but an older store may not know): no LowerDir
  }
  return inspectView(store, view, { size: options.size, lowerDirs, imageSize });
}
