/**
 * What `HEAD /containers/{id}/archive` answers in X-Docker-Container-Path-Stat (base64 of
 * this JSON), and what the docker CLI's `cp` reads to decide where things go: Docker's
 * container.PathStat { name, size, mode (Go's os.FileMode bits), mtime, linkTarget }.
 */
import type { Stats } from 'node:fs';

export interface PathStat {
  name: string;
  size: number;
  /** Go's os.FileMode: permission bits plus type bits in the high bits */
  mode: number;
  /** RFC 3339 */
  mtime: string;
  /** for a symlink: the container path it resolves to */
  linkTarget: string;
}

// Go io/fs FileMode bits (fs.ModeDir = 1<<31 …)
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
const MODE_DEVICE = 2 ** 26;
const MODE_NAMED_PIPE = 2 ** 25;
const MODE_SOCKET = 2 ** 24;
const MODE_SETUID = 2 ** 23;
const MODE_SETGID = 2 ** 22;
const MODE_CHAR_DEVICE = 2 ** 21;
const MODE_STICKY = 2 ** 20;

/** stat(2)'s st_mode → Go's FileMode. */
export function goFileMode(st: Stats): number {
  let mode = st.mode & 0o777;
  if (st.mode & 0o4000) mode += MODE_SETUID;
  if (st.mode & 0o2000) mode += MODE_SETGID;
  if (st.mode & 0o1000) mode += MODE_STICKY;
  if (st.isDirectory()) mode += MODE_DIR;
  else if (st.isSymbolicLink()) mode += MODE_SYMLINK;
  else if (st.isBlockDevice()) mode += MODE_DEVICE;
  else if (st.isCharacterDevice()) mode += MODE_DEVICE + MODE_CHAR_DEVICE;
  else if (st.isFIFO()) mode += MODE_NAMED_PIPE;
  else if (st.isSocket()) mode += MODE_SOCKET;
  return mode;
}

export function isDirMode(mode: number): boolean {
  return mode >= MODE_DIR;
}

export function pathStat(name: string, st: Stats, linkTarget = ''): PathStat {
  return { name, size: st.size, mode: goFileMode(st), mtime: st.mtime.toISOString(), linkTarget };
}
