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
import { crypto } from '../crypto.js';
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode } from '../errors.js';
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
  const dir = join(containerDir(storage, id), `names-${crypto().createHash('sha256').update(root).digest('hex').slice(0, 12)}`);
  return { hosts: join(dir, 'hosts'), hostname: join(dir, 'hostname'), resolv: join(dir, 'resolv.conf') };
}

/** localhost, then the container itself, then its peers (docker's layout). */
export function renderHosts(self: HostsEntry | undefined, peers: readonly HostsEntry[]): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
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
