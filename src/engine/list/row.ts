/**
 * One line of `container ls` as docker's CLI makes it from a ContainerSummary
 * (docker/cli formatter/container.go, ContainerContext): the fields a `--format` template
 * reaches (.ID, .Image, .Command, .CreatedAt, .RunningFor, .Ports, .Status, .State,
 * .Size, .Names, .Labels, .Label "k", .Mounts, .LocalVolumes, .Networks, .Platform), the
 * table's column titles, and the default table.
 */
import { asStruct, type Value } from '../format/go-print.js';
import { goQuote } from '../format/go-print.js';
import { ago, ellipsis, humanSize } from '../format/humanize.js';
import type { ContainerSummary, PortSummary } from './summary.js';

export const DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export const HEADER: Record<string, Value> = {
  ID: 'CONTAINER ID', Names: 'NAMES', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED',
  Ports: 'PORTS', State: 'STATE', Status: 'STATUS', Size: 'SIZE', Labels: 'LABELS', Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES', Networks: 'NETWORKS', Platform: 'PLATFORM',
  // the header of `.Label "k"` is the key itself, as docker prints it
  Label: (name: Value) => name,
};

/** Go's time.Time.String() of unix seconds in UTC: "2020-09-13 12:26:40 +0000 UTC". */
function goTime(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

/** net.JoinHostPort: an IPv6 address in brackets. */
function joinHostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** docker/cli DisplayablePorts: runs of ports grouped ("9000-9001->9000-9001/tcp"), then the host mappings. */
export function displayablePorts(ports: PortSummary[]): string {
  // Go compares strings bytewise ("0.0.0.0" < "::"), not by locale
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  const sorted = [...ports].sort((a, b) => a.PrivatePort - b.PrivatePort || cmp(a.IP ?? '', b.IP ?? '')
    || (a.PublicPort ?? 0) - (b.PublicPort ?? 0) || cmp(a.Type, b.Type));
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  const formGroup = (key: string, first: number, last: number) => {
    const parts = key.split('/');
    const ip = parts.length > 1 ? parts[0]! : '';
    const type = parts.length > 1 ? parts[1]! : parts[0]!;
    let group = first === last ? String(first) : `${first}-${last}`;
    if (ip !== '') group = `${ip}:${group}->${group}`;
    return `${group}/${type}`;
  };
  for (const port of sorted) {
    let key = port.Type;
    if (port.IP) {
      if (port.PublicPort !== port.PrivatePort) {
        hostMappings.push(`${joinHostPort(port.IP, port.PublicPort ?? 0)}->${port.PrivatePort}/${port.Type}`);
        continue;
      }
      key = `${port.IP}/${port.Type}`;
    }
    const group = groups.get(key);
    if (!group) groups.set(key, { first: port.PrivatePort, last: port.PrivatePort });
    else if (port.PrivatePort === group.last + 1) group.last = port.PrivatePort;
    else {
      result.push(formGroup(key, group.first, group.last));
      groups.set(key, { first: port.PrivatePort, last: port.PrivatePort });
    }
  }
  for (const [key, group] of groups) result.push(formGroup(key, group.first, group.last));
  return [...result, ...hostMappings].join(', ');
}

/** The image as docker's CLI shows it: a 12-hex id for an id, a name without its digest. */
function displayImage(summary: ContainerSummary, trunc: boolean): string {
  if (!trunc) return summary.Image;
  const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);
  if (short(summary.ImageID) === short(summary.Image)) return short(summary.Image);
  return summary.Image.replace(/@sha256:[0-9a-f]{64}$/, '');
}

export interface RowOptions {
  /** without --no-trunc: 12-hex ids, COMMAND cut to 20 columns */
  trunc: boolean;
  now?: number;
}

/** The value a `--format` template sees for one container. */
export function containerRow(summary: ContainerSummary, options: RowOptions): Value {
  const { trunc } = options;
  const labels = summary.Labels ?? {};
  const row = {
    Command: goQuote(trunc ? ellipsis(summary.Command, 20) : summary.Command),
    CreatedAt: goTime(summary.Created),
    ID: trunc ? summary.Id.slice(0, 12) : summary.Id,
    Image: displayImage(summary, trunc),
    Labels: Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(','),
    LocalVolumes: String(summary.Mounts.filter((m) => m.Driver === 'local').length),
    Mounts: summary.Mounts.map((m) => {
      const name = m.Name ?? m.Source;
      return trunc ? ellipsis(name, 15) : name;
    }).join(','),
    // names without a "/" inside (links are /other/alias): docker hides links when truncating
    Names: summary.Names.map((n) => n.slice(1)).filter((n) => !trunc || !n.includes('/')).join(','),
    Networks: Object.keys(summary.NetworkSettings.Networks).sort().join(','),
    Platform: null,
    Ports: displayablePorts(summary.Ports),
    RunningFor: ago(summary.Created, options.now),
    Size: size(summary),
    State: summary.State,
    Status: summary.Status,
    Label: (name: Value) => (typeof name === 'string' ? labels[name] ?? '' : ''),
  };
  // ContainerContext has a MarshalJSON: `{{json .}}` escapes HTML characters, as docker's does
  return asStruct(row, '*formatter.ContainerContext', { marshalJson: true });
}

function size(summary: ContainerSummary): string {
  if (summary.SizeRw === undefined) return '0B';
  const rw = humanSize(summary.SizeRw, 3);
  return summary.SizeRootFs ? `${rw} (virtual ${humanSize(summary.SizeRootFs, 3)})` : rw;
}
