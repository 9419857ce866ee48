/**
 * The name files a container sees: /etc/hosts, /etc/hostname and /etc/resolv.conf, kept
 * on the host under `<storage>/containers/<id>/names-<root>/` and bind-mounted over the
 * rootfs's own (as Docker and podman do), so the image is never written to. `<root>` is a
 * hash of the --root: two roots may share one storage and hold containers of one id, and
 * each must keep its own files (as each has its own cgroup and veth names).
 *
 * A peer coming or going changes the hosts files of every container on its network. They
 * are rewritten in place (open with O_TRUNC, write): a bind mount pins the inode, so
 * replacing the file by rename, as one would elsewhere, would go unseen inside.
 */
import { sha256Hex } from '../crypto.js';
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError, errorCode } from '../errors.js';
import type { DnsSettings } from './request.js';
import { containerDir } from '../storage.js';

export interface HostsEntry {
  ip: string;
  names: string[];
}

export interface NameFiles {
  hosts: string;
  hostname: string;
  resolv: string;
}

export function nameFilesFor(storage: string, id: string, root: string): NameFiles {
  const dir = join(containerDir(storage, id), `names-${sha256Hex(root).slice(0, 12)}`);
  return { hosts: join(dir, 'hosts'), hostname: join(dir, 'hostname'), resolv: join(dir, 'resolv.conf') };
}

/** localhost, then --add-host's lines, then the container itself, then its peers (docker's layout). */
export function renderHosts(self: HostsEntry | undefined, peers: readonly HostsEntry[], extra: readonly HostsEntry[] = []): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    ...extra.map((e) => `${e.ip}\t${e.names.join(' ')}`),
  ];
  if (self) lines.push(`${self.ip}\t${self.names.join(' ')}`);
  for (const peer of peers) lines.push(`${peer.ip}\t${peer.names.join(' ')}`);
  return lines.join('\n') + '\n';
}

const LOOPBACK_NAMESERVER = /^\s*nameserver\s+(127\.\d+\.\d+\.\d+|::1|0:0:0:0:0:0:0:1)\s*(#.*)?$/;

/**
 * The host's resolv.conf without loopback nameservers: a resolver on the host's 127.0.0.53
 * (systemd-resolved) is not there in the container's own network namespace. If none is
 * left, the file says so and names none: guessing a public resolver would send queries
 * off the machine behind the user's back.
 */
export function filterResolvConf(hostText: string): string {
  const kept = hostText.split('\n').filter((line) => !LOOPBACK_NAMESERVER.test(line));
  const body = kept.join('\n').replace(/\n+$/, '');
  const hasNameserver = kept.some((line) => /^\s*nameserver\s/.test(line));
  const note = hasNameserver ? '' : '# ts-runc: the host has no nameserver reachable from a container (only loopback ones); none is set\n';
  return (body ? `${body}\n` : '') + note;
}

export function readHostResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

/**
 * Truncate and write the same inode (see the top of the file for why): the container has
 * the file bind-mounted, and a rename would not be seen inside. With `onlyIfPresent`, a
 * file already removed (by its container's delete) is left alone rather than made again.
 */
export function writeInPlace(path: string, content: string, { onlyIfPresent = false } = {}): void {
  try {
    writeFileSync(path, content, { flag: onlyIfPresent ? 'r+' : 'w', mode: 0o644 });
    if (onlyIfPresent) truncateSync(path, Buffer.byteLength(content));
  } catch (error) {
    if (!(onlyIfPresent && errorCode(error) === 'ENOENT')) throw error;
  }
}

/** The three files of a new container, before its address is known (its hosts is completed later). */
export function writeNameFiles(files: NameFiles, hostname: string, hosts: string, resolv: string): void {
  mkdirSync(join(files.hosts, '..'), { recursive: true });
  writeInPlace(files.hostname, `${hostname}\n`);
  writeInPlace(files.hosts, hosts);
  writeInPlace(files.resolv, resolv);
}

/**
 * --add-host values ("db:10.0.0.5", "db=10.0.0.5", "h:host-gateway", IPv6 "h:[::1]" or
 * "h:::1") as hosts entries. host-gateway is the address the host has on the container's
 * network (its bridge's gateway), as Docker's default host-gateway-ip.
 */
export function parseExtraHosts(values: readonly string[], gateway: string | undefined): HostsEntry[] {
  return values.map((value) => {
    const sep = /[=:]/.exec(value);
    const name = sep ? value.slice(0, sep.index) : '';
    let ip = sep ? value.slice(sep.index + 1) : '';
    if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
    if (!name || !/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(name)) throw new RuntimeError(`--add-host ${value}: expected NAME:IP`);
    if (ip === 'host-gateway') {
      if (!gateway) throw new RuntimeError(`--add-host ${value}: host-gateway needs a bridge network (its gateway is the host)`);
      ip = gateway;
    }
    if (!/^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/.test(ip)) throw new RuntimeError(`--add-host ${value}: ${JSON.stringify(ip)} is not an IP address`);
    return { ip, names: [name] };
  });
}

/**
 * resolv.conf as Docker writes it with --dns/--dns-search/--dns-option: each given kind
 * replaces the host's lines of that kind (nameserver, search, options), the others are
 * the host's (without loopback nameservers, filterResolvConf).
 */
export function renderResolvConf(hostText: string, dns: DnsSettings | undefined): string {
  const base = filterResolvConf(hostText);
  if (!dns || (!dns.servers?.length && !dns.search?.length && !dns.options?.length)) return base;
  for (const server of dns.servers ?? []) {
    if (!/^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/.test(server)) throw new RuntimeError(`--dns ${server}: not an IP address`);
  }
  const lines = base.split('\n').filter((line) => line !== '' && !line.startsWith('# ts-runc:'));
  const keep = (kind: string, given: string[] | undefined) => (given?.length ? [] : lines.filter((l) => new RegExp(`^\\s*${kind}\\s`).test(l)));
  const out = [
    ...lines.filter((l) => !/^\s*(nameserver|search|domain|options)\s/.test(l)),
    ...(dns.search?.length ? [`search ${dns.search.join(' ')}`] : keep('(search|domain)', undefined)),
    ...(dns.servers?.length ? dns.servers.map((s) => `nameserver ${s}`) : keep('nameserver', undefined)),
    ...(dns.options?.length ? [`options ${dns.options.join(' ')}`] : keep('options', undefined)),
  ];
  return `${out.join('\n')}\n`;
}
