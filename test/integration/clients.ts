/**
 * Shared by the client tests (podman.test.ts, containerd.test.ts): real container engines
 * drive bin/ts-runc unmodified, the way they drive runc. This file holds what both need:
 * running a client command, the runtime they are pointed at, an OCI image archive of the
 * fixture rootfs, and the cleanup that leaves no mount, cgroup or process behind.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, TS_RUNC, haveFixture, isRoot } from './helpers.js';

/** The fixture rootfs as a tarball (rootfs-fixtures/build.sh makes it). */
export const FIXTURE_TAR = join(REPO, 'rootfs-fixtures/out/rootfs.tar');

/**
 * The OCI runtime the clients are pointed at: bin/ts-runc, or another runc-compatible
 * binary to check the harness itself (`TS_RUNC_CLIENT_RUNTIME=/usr/sbin/runc npx vitest ...`).
 */
export const CLIENT_RUNTIME = process.env.TS_RUNC_CLIENT_RUNTIME ?? TS_RUNC;

/**
 * Why the client tests cannot run here, empty when they can: they need root, the clients'
 * Debian packages (`needs`: executable and package), the fixture tarball and, when the
 * runtime is ts-runc, a built ts-runc.
 */
export function missingForClients(needs: Array<[executable: string, debianPackage: string]>): string[] {
  return [
    ...(isRoot ? [] : ['root']),
    ...needs.filter(([exe]) => !installed(exe)).map(([exe, pkg]) => `${exe} (Debian package ${pkg})`),
    ...(existsSync(FIXTURE_TAR) ? [] : [`${FIXTURE_TAR} (make fixture)`]),
    ...(CLIENT_RUNTIME !== TS_RUNC || haveFixture ? [] : ['a built ts-runc and its fixture rootfs (make build fixture)']),
  ];
}

/** Where Debian installs a client's executable, or undefined when it is not installed. */
export function installed(name: string): string | undefined {
  return ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'].map((dir) => join(dir, name)).find((p) => existsSync(p));
}

export interface Call {
  argv: string[];
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a client command to completion; never throws, so a test can show what failed. */
export function call(argv: string[], options: SpawnSyncOptions = {}): Call {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 60_000, ...options });
  const stderr = String(r.stderr ?? '') + (r.error ? `\n(spawn: ${r.error.message})` : '');
  return { argv, status: r.status ?? 128, stdout: String(r.stdout ?? ''), stderr };
}

/** A call as text for an assertion message: what ran and what it said. */
export function explain(c: Call): string {
  return `$ ${c.argv.join(' ')}\nexit ${c.status}\nstdout: ${c.stdout.trim()}\nstderr: ${c.stderr.trim()}`;
}

/** A fresh directory under os.tmpdir() named for ts-runc, so a leftover is easy to trace. */
export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `ts-runc-${label}-`));
}

export function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Polls `ready` every 100 ms until it holds or `ms` have passed; returns whether it held. */
export function waitFor(ready: () => boolean, ms: number): boolean {
  const deadline = Date.now() + ms;
  for (;;) {
    if (ready()) return true;
    if (Date.now() > deadline) return false;
    sleep(100);
  }
}

/**
 * containers.conf(5) for this host: no systemd (cgroupfs, events to a file), no
 * CAP_SYS_RESOURCE to raise podman's default ulimits, no network (netns none, and the CNI
 * backend named outright so podman does not create /run/containers/networks for
 * netavark), podman's runtime directory, locks and temporary copies in `dir`, and the
 * runtime's errors as JSON, as podman gets them from runc.
 */
export function containersConf(dir: string): string {
  return [
    '[containers]',
    'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
    'netns = "none"',
    '',
    '[network]',
    'network_backend = "cni"',
    `network_config_dir = "${dir}/cni"`,
    '',
    '[engine]',
    'cgroup_manager = "cgroupfs"',
    'events_logger = "file"',
    `tmp_dir = "${dir}/run"`,
    `image_copy_tmp_dir = "${dir}/tmp"`,
    // Lock files in tmp_dir instead of the host-wide /dev/shm/libpod_lock.
    'lock_type = "file"',
    // podman passes --log-format=json --log <file> only to runtimes named here (by the
    // basename of --runtime); runc and crun are in podman's default list.
    'runtime_supports_json = ["crun", "runc", "ts-runc"]',
    '',
  ].join('\n');
}

// --- mounts ----------------------------------------------------------------------

/** Mount points at or below `dir` in our mount namespace, deepest first (proc_pid_mountinfo(5)). */
export function mountsUnder(dir: string): string[] {
  // Field 5 is the mount point, with space, tab, newline and backslash written as \ooo.
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => unescape(line.split(' ')[4]!))
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts everything at or below `dir`; returns the mount points that stayed. */
export function unmountAllUnder(dir: string): string[] {
  for (const point of mountsUnder(dir)) {
    if (call(['umount', point]).status !== 0) call(['umount', '-l', point]);
  }
  return mountsUnder(dir);
}

// --- cgroups ---------------------------------------------------------------------

/** The directories of cgroup `path` (e.g. "/ts-runc-podman-x") in every mounted hierarchy. */
export function cgroupDirs(path: string): string[] {
  const hierarchies = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => / - cgroup2? /.test(line))
    .map((line) => line.split(' ')[4]!);
  return hierarchies.map((h) => join(h, path)).filter((d) => existsSync(d));
}

/**
 * Removes cgroup `path` and everything below it in every hierarchy, children first. Any
 * process still inside belongs to a container this test started: it is killed by its PID.
 * Returns the directories that could not be removed.
 */
export function removeCgroupTree(path: string): string[] {
  const left: string[] = [];
  const remove = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) remove(join(dir, e.name));
    const removed = waitFor(() => {
      try {
        rmdirSync(dir);
        return true;
      } catch {
        for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
          try { process.kill(Number(pid), 'SIGKILL'); } catch { /* already gone */ }
        }
        return false;
      }
    }, 5_000);
    if (!removed) left.push(dir);
  };
  for (const dir of cgroupDirs(path)) remove(dir);
  return left;
}

// --- processes -------------------------------------------------------------------

/** PIDs whose command line mentions `text` (a temporary directory only this test uses). */
export function pidsMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(text)) pids.push(Number(name));
    } catch { /* exited meanwhile */ }
  }
  return pids;
}

/** Whether `pid` still runs: a zombie (exited, not yet reaped by its parent) does not. */
export function isAlive(pid: number): boolean {
  try {
    // proc_pid_stat(5): the state is the first field after the parenthesised command.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!);
  } catch {
    return false;
  }
}

/** Sends SIGKILL to each PID and waits for them to go; returns the ones still alive. */
export function killPids(pids: number[]): number[] {
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  waitFor(() => pids.every((pid) => !isAlive(pid)), 5_000);
  return pids.filter(isAlive);
}

// --- an OCI image archive of the fixture --------------------------------------------

/** The OCI name of this machine's architecture (image-spec config.md#properties). */
export function ociArch(): string {
  switch (process.arch) {
    case 'x64': return 'amd64';
    case 'arm64': return 'arm64';
    default: return process.arch;
  }
}

/** One ustar header block (POSIX pax/ustar format) for a regular file `name` of `size` bytes. */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (offset: number, length: number, value: string) => h.write(value, offset, length, 'ascii');
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, '0');
  put(0, 100, name);
  put(100, 8, octal(0o644, 8));
  put(108, 8, octal(0, 8)); // uid
  put(116, 8, octal(0, 8)); // gid
  put(124, 12, octal(size, 12));
  put(136, 12, octal(0, 12)); // mtime
  put(148, 8, '        '); // the checksum is summed with its own field as spaces
  put(156, 1, '0'); // regular file
  put(257, 6, 'ustar');
  put(263, 2, '00');
  let sum = 0;
  for (const byte of h) sum += byte;
  put(148, 8, `${octal(sum, 7)}\0`);
  return h;
}

/** A tar of in-memory files: each a header, the data, zero padding to 512; two zero blocks end it. */
function tar(files: Array<[string, Buffer]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, data] of files) {
    parts.push(tarHeader(name, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/**
 * Writes an OCI image layout (image-spec image-layout.md) as a tar to `out`: one
 * uncompressed layer, the rootfs tarball as it is, so nothing needs gzip or a registry.
 * `name` (e.g. "localhost/ts-runc-fixture:latest") is what `ctr images import` calls it,
 * from containerd's io.containerd.image.name annotation.
 */
export function writeOciArchive(rootfsTar: string, out: string, name: string): void {
  const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const blob = (b: Buffer): [string, Buffer] => [`blobs/sha256/${sha(b).slice(7)}`, b];
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));

  const layer = readFileSync(rootfsTar);
  const config = json({
    architecture: ociArch(),
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    // An uncompressed layer's diff_id is the digest of the layer itself.
    rootfs: { type: 'layers', diff_ids: [sha(layer)] },
  });
  const manifest = json({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length }],
  });
  const index = json({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: sha(manifest),
      size: manifest.length,
      platform: { architecture: ociArch(), os: 'linux' },
      annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name.split(':').pop() },
    }],
  });
  writeFileSync(out, tar([
    ['oci-layout', json({ imageLayoutVersion: '1.0.0' })],
    ['index.json', index],
    blob(manifest),
    blob(config),
    blob(layer),
  ]));
}
