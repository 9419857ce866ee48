/**
 * A fresh named network namespace for one test, so networking tests never touch the
 * host's links, routes, nftables or sysctls:
 *
 *   const ns = makeNetns('tsr-nl');     // `ip netns add`: /run/netns/<name>, only a DOWN lo
 *   ns.run('ip', ['link', 'set', 'lo', 'up']);  // runs under `nsenter --net=<path>`, throws on failure
 *   ns.ip(['link', 'show', 'eth0'])     // `ip -j -n <name> link show eth0`, parsed JSON
 *   const server = ns.spawn('nc', ['-l', '-p', '80']);  // killed by remove()
 *   ns.remove();                        // kills what spawn() started, `ip netns del`
 *
 * Commands run under `nsenter --net=PATH`, not `ip netns exec`, which also remounts /sys
 * in a new mount namespace: processes here keep the host's view of the filesystem (and
 * its /sys/fs/cgroup), only the network stack is the namespace's.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Netns {
  name: string;
  /** /run/netns/<name>: give it to nsenter --net=, open it for an fd, or setns(2) it */
  path: string;
  /** run a command inside; never throws */
  exec(cmd: string, args?: string[], input?: string): { status: number; stdout: string; stderr: string };
  /** run a command inside; throws with its stderr unless it exits 0; returns stdout */
  run(cmd: string, args?: string[], input?: string): string;
  /** `ip -j -n <name> ARGS`, parsed */
  ip(args: string[]): unknown;
  /** start a long-running command inside (a server, a `sleep` to hold a pid); remove() kills it */
  spawn(cmd: string, args?: string[], options?: SpawnOptions): ChildProcess;
  remove(): void;
}

let counter = 0;

export function makeNetns(prefix = 'tsr-test'): Netns {
  const name = `${prefix}-${process.pid}-${counter++}`;
  const path = `/run/netns/${name}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`ip netns add ${name}: ${add.stderr}`);
  const children: ChildProcess[] = [];
  const exec = (cmd: string, args: string[] = [], input?: string) => {
    const r = spawnSync('nsenter', [`--net=${path}`, '--', cmd, ...args], { encoding: 'utf8', input, timeout: 30_000 });
    return { status: r.status ?? 128, stdout: r.stdout ?? '', stderr: r.stderr || (r.error ? String(r.error) : '') };
  };
  return {
    name,
    path,
    exec,
    run(cmd, args = [], input) {
      const r = exec(cmd, args, input);
      if (r.status !== 0) throw new Error(`in netns ${name}: ${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    ip(args) {
      const r = spawnSync('ip', ['-j', '-n', name, ...args], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip -n ${name} ${args.join(' ')}: ${r.stderr}`);
      return JSON.parse(r.stdout || 'null');
    },
    spawn(cmd, args = [], options = {}) {
      const child = spawn('nsenter', [`--net=${path}`, '--', cmd, ...args], { stdio: 'ignore', ...options });
      children.push(child);
      return child;
    },
    remove() {
      for (const child of children) {
        if (child.exitCode === null && child.signalCode === null && child.pid) {
          try { process.kill(child.pid, 'SIGKILL'); } catch { /* already gone */ }
        }
      }
      if (existsSync(path)) spawnSync('ip', ['netns', 'del', name]);
    },
  };
}
