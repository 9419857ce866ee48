/**
 * `container ls` and GET /containers/json: each container as Docker's ContainerSummary
 * (docs.docker.com/reference/api/engine, "ContainerSummary"; moby daemon/list.go builds
 * it), newest first, filtered (filters.ts). The CLI formats these rows (row.ts); the API
 * service returns them as they are.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerStore } from '../containers/store.js';
import { containerView, type ContainerView } from '../containers/status.js';
import type { ContainerRecord } from '../types.js';
import { anyOf, checkFilters, labelsMatch, type Filters } from './filters.js';
import { statusText } from './status-text.js';

export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface MountSummary {
  Type: string;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  /** unix seconds */
  Created: number;
  Ports: PortSummary[];
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string>;
  State: string;
  Status: string;
  HostConfig: { NetworkMode: string };
  NetworkSettings: { Networks: Record<string, NetworkSummary> };
  Mounts: MountSummary[];
}

export interface NetworkSummary {
  IPAMConfig: { IPv4Address?: string } | null;
  Links: string[] | null;
  Aliases: string[] | null;
  MacAddress: string;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
}

export interface ListOptions {
  /** -a: stopped ones too (without it, only running, paused and restarting) */
  all?: boolean;
  /** -n: the last N created, in any state; -l is limit 1 */
  limit?: number;
  /** -s: SizeRw and SizeRootFs */
  size?: boolean;
  filters?: Filters;
  now?: number;
}

/** What a name resolves to in the image store: asked once per listing. */
export type ImageResolver = (reference: string) => { id: string; size: number } | undefined;

/** docker ps's Command: Path, then each argument, single-quoted when it has a space (moby list.go). */
export function commandLine(record: Pick<ContainerRecord, 'Path' | 'Args'>): string {
  if (record.Args.length === 0) return record.Path;
  return `${record.Path} ${record.Args.map((arg) => (arg.includes(' ') ? `'${arg}'` : arg)).join(' ')}`;
}

/** The ports while it runs: each published binding, and each exposed port that is not (PrivatePort only). */
export function portSummaries(record: ContainerRecord, running: boolean): PortSummary[] {
  if (!running) return [];
  const ports: PortSummary[] = [];
  const bound = record.Ports ?? {};
  const keys = new Set([...Object.keys(record.Config.ExposedPorts ?? {}), ...Object.keys(bound)]);
  for (const key of keys) {
    const [number, type = 'tcp'] = key.split('/');
    const bindings = bound[key] ?? [];
    if (bindings.length === 0) ports.push({ PrivatePort: Number(number), Type: type });
    for (const binding of bindings) {
      ports.push({ IP: binding.HostIp || '0.0.0.0', PrivatePort: Number(number), PublicPort: Number(binding.HostPort), Type: type });
    }
  }
  return ports;
}

export function networkSummaries(record: ContainerRecord): Record<string, NetworkSummary> {
  const out: Record<string, NetworkSummary> = {};
  for (const [name, n] of Object.entries(record.Networks ?? {})) {
    out[name] = {
      IPAMConfig: n.IPAMConfig ?? null, Links: null, Aliases: n.Aliases ?? null, MacAddress: n.MacAddress,
      NetworkID: n.NetworkID, EndpointID: '', Gateway: n.Gateway, IPAddress: n.IPAddress, IPPrefixLen: n.IPPrefixLen,
      IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
    };
  }
  return out;
}

export function mountSummaries(record: ContainerRecord): MountSummary[] {
  return record.Mounts.map((m) => ({
    Type: m.Type,
    ...(m.Name !== undefined ? { Name: m.Name } : {}),
    Source: m.Source,
    Destination: m.Destination,
    ...(m.Type === 'volume' ? { Driver: 'local' } : {}),
    Mode: m.Mode,
    RW: m.RW,
    Propagation: m.Propagation,
  }));
}

/** Bytes of a directory tree as du counts apparent sizes (each inode once), without following links. */
export function treeSize(dir: string): number {
  let total = 0;
  const seen = new Set<string>();
  const walk = (path: string) => {
    let entries: string[];
    try {
      entries = readdirSync(path);
    } catch {
      return;
    }
    for (const name of entries) {
      const child = join(path, name);
      let stat;
      try {
        stat = lstatSync(child, { bigint: false });
      } catch {
        continue;
      }
      const key = `${stat.dev}:${stat.ino}`;
      if (!seen.has(key) && (stat.isFile() || stat.isSymbolicLink())) total += stat.size;
      seen.add(key);
      if (stat.isDirectory()) walk(child);
    }
  };
  walk(dir);
  return total;
}

/** The summary of one container (its live state read now). */
export function summarize(store: ContainerStore, view: ContainerView, images: ImageResolver, options: { size?: boolean; now?: number } = {}): ContainerSummary {
  const { record, state } = view;
  // Docker shows the image as it was named while that name still means the same image,
  // else the image id (the name was re-tagged or removed since).
  const named = images(record.Config.Image);
  const summary: ContainerSummary = {
    Id: record.Id,
    Names: [record.Name],
    Image: named && named.id === record.Image ? record.Config.Image : record.Image,
    ImageID: record.Image,
    Command: commandLine(record),
    Created: Math.floor(Date.parse(record.Created) / 1000),
    Ports: portSummaries(record, state.Running),
    Labels: record.Config.Labels ?? {},
    State: state.Status,
    Status: statusText(state, options.now),
    HostConfig: { NetworkMode: record.HostConfig.NetworkMode ?? 'bridge' },
    NetworkSettings: { Networks: networkSummaries(record) },
    Mounts: mountSummaries(record),
  };
  if (options.size) {
    summary.SizeRw = treeSize(store.paths(record.Id).upper);
    summary.SizeRootFs = summary.SizeRw + (images(record.Image)?.size ?? 0);
  }
  return summary;
}

/** Whether a container passes the filters (filters.ts says what each key means). */
export function matches(view: ContainerView, filters: Filters, images: ImageResolver, created: (ref: string) => string): boolean {
  const { record, state } = view;
  const exitedCode = state.Status === 'exited' ? String(state.ExitCode) : undefined;
  const ancestor = (value: string) => {
    if (record.Config.Image === value || record.Image === value || record.Image.replace(/^sha256:/, '').startsWith(value.replace(/^sha256:/, ''))) return true;
    return images(value)?.id === record.Image;
  };
  const networks = Object.entries(record.Networks ?? {});
  return anyOf(filters, 'id', (v) => new RegExp(v).test(record.Id))
    && anyOf(filters, 'name', (v) => new RegExp(v).test(record.Name))
    && (filters['label'] === undefined || labelsMatch(filters['label'], record.Config.Labels))
    && anyOf(filters, 'status', (v) => v === state.Status)
    && anyOf(filters, 'exited', (v) => exitedCode !== undefined && Number(v) === Number(exitedCode))
    && anyOf(filters, 'ancestor', ancestor)
    && anyOf(filters, 'health', (v) => (state.Health?.Status ?? 'none') === v)
    && anyOf(filters, 'before', (v) => record.Created < created(v))
    && anyOf(filters, 'since', (v) => record.Created > created(v))
    && anyOf(filters, 'network', (v) => networks.some(([name, n]) => name === v || n.NetworkID.startsWith(v)))
    && anyOf(filters, 'volume', (v) => record.Mounts.some((m) => m.Name === v || m.Destination === v || m.Source === v));
}

/** An image resolver over the store, each reference looked up once. */
export async function imageResolver(storage: string): Promise<ImageResolver> {
  const { ImageStore } = await import('../../image/store.js');
  const store = new ImageStore(storage);
  const cache = new Map<string, { id: string; size: number } | undefined>();
  return (reference) => {
    if (!cache.has(reference)) {
      try {
        const image = store.resolve(reference);
        cache.set(reference, { id: image.id, size: image.size });
      } catch {
        cache.set(reference, undefined);
      }
    }
    return cache.get(reference);
  };
}

/**
 * `container ls` / GET /containers/json. Without `all` only running (and paused,
 * restarting) containers; `limit` takes the N newest of all, as docker's -n and -l.
 */
export async function listContainers(storage: string, options: ListOptions = {}): Promise<ContainerSummary[]> {
  const filters = options.filters ?? {};
  checkFilters(filters);
  const store = new ContainerStore(storage);
  const images = await imageResolver(storage);
  const created = (reference: string) => store.resolve(reference).Created;
  let views = store.list().map((record) => containerView(store, record));
  const limited = options.limit !== undefined && options.limit > 0;
  if (!options.all && !limited) views = views.filter((v) => v.state.Running || v.state.Paused);
  views = views.filter((v) => matches(v, filters, images, created));
  if (limited) views = views.slice(0, options.limit);
  return views.map((view) => summarize(store, view, images, { size: options.size, now: options.now }));
}
