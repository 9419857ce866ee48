/**
 * The shapes both fronts of the engine share: Docker Engine API's own request and record
 * objects (docs.docker.com/reference/api/engine, `ContainerConfig`, `HostConfig`,
 * `NetworkingConfig`, `ContainerInspectResponse`). `ts-runc container run` parses docker's
 * flags INTO these, the API service reads them from request bodies, and the engine keeps
 * them in each container's record.json as they are, so `inspect` shows what was asked.
 *
 * Only fields ts-runc acts on are listed; the rest of a request is refused by name
 * (a flag not supported gets an error, never silence).
 */

/** Durations in Healthcheck are nanoseconds, as the API's. */
export interface HealthConfig {
  /** [] inherit, ["NONE"], ["CMD", args…] or ["CMD-SHELL", command] */
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  /** {"80/tcp": {}} */
  ExposedPorts?: Record<string, object>;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[];
  Cmd?: string[] | null;
  Healthcheck?: HealthConfig;
  /** the image as the user named it */
  Image: string;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  NetworkDisabled?: boolean;
  Labels?: Record<string, string>;
  StopSignal?: string;
  /** seconds */
  StopTimeout?: number;
}

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export interface MountRequest {
  Type: 'bind' | 'volume' | 'tmpfs';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export type RestartPolicyName = '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';

export interface HostConfig {
  /** "src:dst[:opts]", as -v */
  Binds?: string[];
  LogConfig?: { Type: 'json-file' | 'none'; Config?: Record<string, string> };
  /** "bridge" (the default network), "none", "host", "container:<id>" or a network name */
  NetworkMode?: string;
  /** {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]} */
  PortBindings?: Record<string, PortBinding[]>;
  RestartPolicy?: { Name: RestartPolicyName; MaximumRetryCount?: number };
  AutoRemove?: boolean;
  VolumesFrom?: string[];
  Mounts?: MountRequest[];
  CapAdd?: string[];
  CapDrop?: string[];
  Dns?: string[];
  DnsOptions?: string[];
  DnsSearch?: string[];
  ExtraHosts?: string[];
  GroupAdd?: string[];
  Links?: string[];
  Privileged?: boolean;
  PublishAllPorts?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[];
  /** {"/run": "size=64m,mode=1777"} */
  Tmpfs?: Record<string, string>;
  Init?: boolean;
  /** bytes; 0 = unlimited */
  Memory?: number;
  MemoryReservation?: number;
  MemorySwap?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpusetCpus?: string;
  PidsLimit?: number | null;
  Ulimits?: { Name: string; Soft: number; Hard: number }[];
  Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[];
  ShmSize?: number;
  Sysctls?: Record<string, string>;
}

export interface EndpointSettings {
  Aliases?: string[];
  IPAMConfig?: { IPv4Address?: string };
  Links?: string[];
  NetworkID?: string;
}

export interface NetworkingConfig {
  EndpointsConfig?: Record<string, EndpointSettings>;
}

/** What `container create` (CLI or POST /containers/create) asks for. */
export interface CreateRequest {
  /** without the leading "/"; a docker-style random name when absent */
  name?: string;
  config: ContainerConfig;
  hostConfig: HostConfig;
  networkingConfig?: NetworkingConfig;
  /** --pull missing|always|never (the API pulls only through POST /images/create) */
  pull?: 'missing' | 'always' | 'never';
  platform?: string;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** What the monitor writes to state.json (native/monitor/, src/engine/README.md). */
export interface MonitorState {
  Status: 'created' | 'running' | 'restarting' | 'exited';
  Pid: number;
  ExitCode: number;
  StartedAt: string;
  FinishedAt: string;
  RestartCount: number;
  OOMKilled: boolean;
  Error: string;
}

/** A network the container is on: what `inspect` shows under NetworkSettings.Networks. */
export interface NetworkAttachment {
  NetworkID: string;
  Aliases: string[];
  IPAddress: string;
  IPPrefixLen: number;
  Gateway: string;
  MacAddress: string;
  /** asked for with --ip */
  IPAMConfig?: { IPv4Address?: string };
}

/**
 * record.json: everything about a container that is not its live state. Written by the
 * engine (never the monitor), atomically, under the container's lock.
 */
export interface ContainerRecord {
  /** 64 hex */
  Id: string;
  /** with the leading "/", as Docker's */
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  /** the image id, "sha256:<hex>" */
  Image: string;
  Config: ContainerConfig;
  HostConfig: HostConfig;
  NetworkingConfig: NetworkingConfig;
  /** the volumes and binds as mounted: what inspect's Mounts shows */
  Mounts: {
    Type: 'bind' | 'volume' | 'tmpfs';
    Name?: string;
    Source: string;
    Destination: string;
    Mode: string;
    RW: boolean;
    Propagation: string;
  }[];
  /** the --root of the runtime that runs it (the monitor's hooks use the same) */
  Root: string;
  /** the port bindings in effect while it runs (host ports chosen for HostPort "" or "0") */
  Ports?: Record<string, PortBinding[] | null>;
  Networks?: Record<string, NetworkAttachment>;
  /** set by `stop`/`kill`: restart policies never undo a user's stop */
  StoppedByUser?: boolean;
}
