/**
 * `container run` and `container create`: docker's flags → a CreateRequest (Docker's
 * Config/HostConfig/NetworkingConfig, src/engine/types.ts), the same object the API
 * service reads from POST /containers/create. Docker's argument order: flags end at the
 * IMAGE word; what follows is the command (`run -d img sh -c 'ls -l'` keeps -c for sh).
 *
 * `-it` and `-dit` are the short flags together, as docker's (pflag) parser takes them.
 * Every flag below is applied; docker flags ts-runc does not support are refused by name
 * (UNSUPPORTED), never ignored. `-h` is --hostname, as docker's (help is --help).
 */
import { readFileSync } from 'node:fs';
import { RuntimeError, errorMessage } from '../../errors.js';
import { parsePublish } from '../../network/ports.js';
import type { CreateRequest, HealthConfig, HostConfig, PortBinding, RestartPolicyName } from '../../engine/types.js';
import { parseDuration, parseSize } from '../../engine/units.js';
import { MOUNT_FLAGS, mountHostConfig } from './mount-flags.js';
import { HelpRequested, bool, list, parseFlags, str, type FlagSpec, type Parsed } from '../args.js';

const f = (name: string, type: FlagSpec['type'], help: string, short?: string): FlagSpec => ({ name, type, help, ...(short ? { short } : {}) });

export const CREATE_FLAGS: FlagSpec[] = [
  f('help', 'bool', 'show help'),
  f('interactive', 'bool', 'keep stdin open (attach it in the foreground)', 'i'),
  f('tty', 'bool', 'give the container a terminal', 't'),
  f('name', 'string', 'the container\'s name (default: a random adjective_surname)'),
  f('env', 'list', 'set an environment variable: KEY=VALUE, or KEY to pass ours on', 'e'),
  f('env-file', 'list', 'read environment variables from a file (KEY=VALUE lines)'),
  f('workdir', 'string', 'working directory in the container', 'w'),
  f('user', 'string', 'user[:group], by name or number', 'u'),
  f('group-add', 'list', 'another group (numeric gid) for the process'),
  f('hostname', 'string', 'the container\'s hostname', 'h'),
  f('domainname', 'string', 'the container\'s NIS domain name'),
  f('entrypoint', 'string', 'replace the image\'s Entrypoint ("" clears it)'),
  ...MOUNT_FLAGS,
  f('publish', 'list', 'publish a port: [ip:][hostPort:]containerPort[/tcp|udp]', 'p'),
  f('publish-all', 'bool', 'publish every exposed port to a random host port', 'P'),
  f('expose', 'list', 'expose a port (or range) without publishing it'),
  f('network', 'list', 'none, host, container:<name|id>, or a network name (default: the default bridge)'),
  f('network-alias', 'list', 'another name the container answers to on its network'),
  f('ip', 'string', 'the IPv4 address on the network'),
  f('dns', 'list', 'a DNS server for /etc/resolv.conf'),
  f('dns-search', 'list', 'a DNS search domain'),
  f('dns-option', 'list', 'a resolv.conf option'),
  f('add-host', 'list', 'a line for /etc/hosts: host:ip'),
  f('link', 'list', 'a legacy link: name[:alias]'),
  f('restart', 'string', 'no, on-failure[:N], always or unless-stopped'),
  f('rm', 'bool', 'remove the container when it exits'),
  f('memory', 'string', 'memory limit (512m, 1g)', 'm'),
  f('memory-swap', 'string', 'memory + swap limit (-1: unlimited swap)'),
  f('memory-reservation', 'string', 'memory soft limit'),
  f('cpus', 'string', 'number of CPUs (1.5)'),
  f('cpu-shares', 'string', 'CPU shares (relative weight)', 'c'),
  f('cpuset-cpus', 'string', 'CPUs in which to allow execution (0-3, 0,1)'),
  f('pids-limit', 'string', 'process limit (-1: unlimited)'),
  f('shm-size', 'string', 'size of /dev/shm'),
  f('ulimit', 'list', 'a resource limit: name=soft[:hard]'),
  f('sysctl', 'list', 'a namespaced kernel parameter: key=value'),
  f('cap-add', 'list', 'add a capability (or ALL)'),
  f('cap-drop', 'list', 'drop a capability (or ALL)'),
  f('privileged', 'bool', 'every capability, no seccomp, no masked paths, every device allowed'),
  f('security-opt', 'list', 'seccomp=unconfined|FILE, no-new-privileges[=true|false], label=disable'),
  f('device', 'list', 'a host device: /dev/x[:/dev/y][:rwm]'),
  f('init', 'bool', 'run an init (ts-runc-pid1) as PID 1 that forwards signals and reaps zombies'),
  f('label', 'list', 'a label: key=value', 'l'),
  f('label-file', 'list', 'read labels from a file'),
  f('health-cmd', 'string', 'command to run to check health (in a shell)'),
  f('health-interval', 'string', 'time between checks (30s)'),
  f('health-timeout', 'string', 'longest a check may run (30s)'),
  f('health-retries', 'string', 'consecutive failures to report unhealthy (3)'),
  f('health-start-period', 'string', 'time to start before failures count'),
  f('no-healthcheck', 'bool', 'disable the image\'s HEALTHCHECK'),
  f('stop-signal', 'string', 'signal to stop the container (SIGTERM)'),
  f('stop-timeout', 'string', 'seconds to wait before SIGKILL on stop (10)'),
  f('log-driver', 'string', 'json-file or none'),
  f('log-opt', 'list', 'max-size=10m, max-file=3'),
  f('pull', 'string', 'missing, always or never'),
  f('platform', 'string', 'os/arch[/variant] to pull'),
  f('attach', 'list', 'attach STDIN, STDOUT or STDERR', 'a'),
];

export const RUN_ONLY_FLAGS: FlagSpec[] = [
  f('detach', 'bool', 'run in the background and print the container id', 'd'),
  f('detach-keys', 'string', 'keys that detach from the container (default ctrl-p,ctrl-q)'),
  f('sig-proxy', 'bool', 'pass the signals we receive to the container (default true; --sig-proxy=false)'),
];

/** docker run flags ts-runc does not do: refused by name. */
const UNSUPPORTED = [
  'gpus', 'cgroupns', 'cgroup-parent', 'userns', 'ipc', 'pid', 'uts', 'runtime', 'isolation', 'blkio-weight',
  'blkio-weight-device', 'device-read-bps', 'device-write-bps', 'device-read-iops', 'device-write-iops',
  'oom-kill-disable', 'oom-score-adj', 'kernel-memory', 'memory-swappiness', 'cpu-period', 'cpu-quota',
  'cpu-rt-period', 'cpu-rt-runtime', 'cpuset-mems', 'mac-address', 'ip6', 'link-local-ip', 'volume-driver',
  'storage-opt', 'cidfile', 'device-cgroup-rule', 'health-start-interval', 'annotation', 'disable-content-trust',
  'quiet', 'use-api-socket', 'dns-opt',
];

export interface RunInvocation {
  request: CreateRequest;
  detach: boolean;
  attach: { stdin: boolean; stdout: boolean; stderr: boolean };
  detachKeys?: string;
  sigProxy: boolean;
}

/** `-it` → `-i -t`, when every letter is a short flag (only the last may take a value). */
export function splitShortFlags(argv: string[], flags: FlagSpec[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--' || !arg.startsWith('-') || arg === '-') {
      out.push(...argv.slice(i));
      break;
    }
    if (/^-[a-zA-Z]{2,}$/.test(arg)) {
      const letters = [...arg.slice(1)].map((c) => flags.find((fl) => fl.short === c));
      if (letters.every((fl, k) => fl && (fl.type === 'bool' || k === letters.length - 1))) {
        out.push(...letters.map((fl) => `-${fl!.short}`));
        continue;
      }
    }
    out.push(arg);
    // a value flag's value is never split: skip it
    const body = arg.replace(/^--?/, '');
    const spec = flags.find((fl) => fl.name === body || fl.short === body);
    if (spec && spec.type !== 'bool' && i + 1 < argv.length) out.push(argv[++i]!);
  }
  return out;
}

export function parseRunFlags(argv: string[], verb: 'run' | 'create'): RunInvocation {
  const flags = verb === 'run' ? [...CREATE_FLAGS, ...RUN_ONLY_FLAGS] : CREATE_FLAGS;
  for (const arg of argv) {
    if (!arg.startsWith('--')) {
      if (!arg.startsWith('-')) break;
      continue;
    }
    const name = arg.slice(2).split('=')[0]!;
    if (UNSUPPORTED.includes(name)) throw new RuntimeError(`container ${verb}: docker's --${name} is not supported by ts-runc`, { exitCode: 125 });
  }
  let parsed: Parsed;
  try {
    parsed = parseFlags(splitShortFlags(argv, flags), flags, `container ${verb}`, 'before-args');
  } catch (error) {
    if (error instanceof RuntimeError) throw new RuntimeError(error.message, { exitCode: 125 });
    throw error;
  }
  if (bool(parsed, 'help')) throw new HelpRequested();
  const [image, ...command] = parsed.positionals;
  if (!image) throw new RuntimeError(`container ${verb}: an IMAGE is required (usage: ts-runc container ${verb} [OPTIONS] IMAGE [COMMAND] [ARG...])`, { exitCode: 125 });
  try {
    return invocation(parsed, image, command, verb);
  } catch (error) {
    throw error instanceof RuntimeError && error.exitCode === 125 ? error : new RuntimeError(errorMessage(error), { exitCode: 125, cause: error });
  }
}

function invocation(parsed: Parsed, image: string, command: string[], verb: 'run' | 'create'): RunInvocation {
  const detach = verb === 'create' || bool(parsed, 'detach');
  const interactive = bool(parsed, 'interactive');
  const tty = bool(parsed, 'tty');
  const attachList = list(parsed, 'attach').map((s) => s.toLowerCase());
  for (const stream of attachList) if (!['stdin', 'stdout', 'stderr'].includes(stream)) throw new RuntimeError(`-a ${stream}: use STDIN, STDOUT or STDERR`);
  if (verb === 'run' && bool(parsed, 'detach') && attachList.length > 0) throw new RuntimeError('conflicting options: -a and -d');
  const attach = detach && verb === 'run'
    ? { stdin: false, stdout: false, stderr: false }
    : attachList.length > 0
      ? { stdin: attachList.includes('stdin'), stdout: attachList.includes('stdout'), stderr: attachList.includes('stderr') }
      : { stdin: interactive, stdout: true, stderr: true };

  const host: HostConfig = { ...mountHostConfig(parsed) };

  const exposed: Record<string, object> = {};
  for (const value of list(parsed, 'expose')) exposed[value.includes('/') ? value : `${value}/tcp`] = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const value of list(parsed, 'publish')) {
    const port = parsePublish(value);
    const key = `${port.containerPort}/${port.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: port.hostIp, HostPort: port.hostPort ? String(port.hostPort) : '' });
  }
  if (Object.keys(bindings).length) host.PortBindings = bindings;
  if (bool(parsed, 'publish-all')) host.PublishAllPorts = true;
  // the first --network is the container's NetworkMode; the others are extra endpoints
  const networks = list(parsed, 'network');
  host.NetworkMode = networks[0] ?? 'bridge';
  const setList = (key: 'Dns' | 'DnsSearch' | 'DnsOptions' | 'ExtraHosts' | 'Links' | 'CapAdd' | 'CapDrop' | 'GroupAdd' | 'SecurityOpt', flag: string) => {
    const values = list(parsed, flag);
    if (values.length) host[key] = values;
  };
  setList('Dns', 'dns'); setList('DnsSearch', 'dns-search'); setList('DnsOptions', 'dns-option');
  setList('ExtraHosts', 'add-host'); setList('Links', 'link'); setList('CapAdd', 'cap-add'); setList('CapDrop', 'cap-drop');
  setList('GroupAdd', 'group-add'); setList('SecurityOpt', 'security-opt');
  host.RestartPolicy = parseRestart(str(parsed, 'restart') ?? 'no');
  if (bool(parsed, 'rm')) host.AutoRemove = true;
  const size = (flag: string) => { const v = str(parsed, flag); return v === undefined ? undefined : v === '-1' ? -1 : parseSize(v, `--${flag}`); };
  if (str(parsed, 'memory') !== undefined) host.Memory = size('memory');
  if (str(parsed, 'memory-swap') !== undefined) host.MemorySwap = size('memory-swap');
  if (str(parsed, 'memory-reservation') !== undefined) host.MemoryReservation = size('memory-reservation');
  if (str(parsed, 'shm-size') !== undefined) host.ShmSize = size('shm-size');
  const cpus = str(parsed, 'cpus');
  if (cpus !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(cpus) || Number(cpus) <= 0) throw new RuntimeError(`--cpus ${cpus}: expected a positive number such as 1.5`);
    host.NanoCpus = Math.round(Number(cpus) * 1e9);
  }
  const integer = (flag: string, allowNegative = false) => {
    const v = str(parsed, flag);
    if (v === undefined) return undefined;
    if (!(allowNegative ? /^-?\d+$/ : /^\d+$/).test(v)) throw new RuntimeError(`--${flag} ${v}: expected a whole number`);
    return Number(v);
  };
  host.CpuShares = integer('cpu-shares');
  if (str(parsed, 'cpuset-cpus') !== undefined) host.CpusetCpus = str(parsed, 'cpuset-cpus');
  host.PidsLimit = integer('pids-limit', true);
  const ulimits = list(parsed, 'ulimit').map(parseUlimit);
  if (ulimits.length) host.Ulimits = ulimits;
  const sysctls = list(parsed, 'sysctl');
  if (sysctls.length) host.Sysctls = Object.fromEntries(sysctls.map((s) => keyValue(s, '--sysctl')));
  if (bool(parsed, 'privileged')) host.Privileged = true;
  const devices = list(parsed, 'device').map(parseDevice);
  if (devices.length) host.Devices = devices;
  if (bool(parsed, 'init')) host.Init = true;
  const logOpts = list(parsed, 'log-opt');
  const driver = str(parsed, 'log-driver');
  if (driver !== undefined || logOpts.length) {
    if (driver !== undefined && driver !== 'json-file' && driver !== 'none') throw new RuntimeError(`--log-driver ${driver}: ts-runc writes json-file logs (or none)`);
    host.LogConfig = { Type: (driver ?? 'json-file') as 'json-file' | 'none', Config: Object.fromEntries(logOpts.map((o) => keyValue(o, '--log-opt'))) };
  }
  for (const key of Object.keys(host) as (keyof HostConfig)[]) if (host[key] === undefined) delete host[key];

  const env = [...list(parsed, 'env-file').flatMap((file) => readLines(file, '--env-file')), ...list(parsed, 'env')]
    .flatMap((entry) => entry.includes('=') ? [entry] : process.env[entry] !== undefined ? [`${entry}=${process.env[entry]}`] : []);
  const labels = Object.fromEntries([...list(parsed, 'label-file').flatMap((file) => readLines(file, '--label-file')), ...list(parsed, 'label')]
    .map((l) => (l.includes('=') ? keyValue(l, '--label') : [l, ''])));
  const entrypoint = str(parsed, 'entrypoint');
  const stopTimeout = integer('stop-timeout', true);
  const pull = str(parsed, 'pull');
  if (pull !== undefined && pull !== 'missing' && pull !== 'always' && pull !== 'never') throw new RuntimeError(`--pull ${pull}: use missing, always or never`);
  const aliases = list(parsed, 'network-alias');
  const ip = str(parsed, 'ip');
  const endpoint = aliases.length || ip ? { ...(aliases.length ? { Aliases: aliases } : {}), ...(ip ? { IPAMConfig: { IPv4Address: ip } } : {}) } : undefined;

  const request: CreateRequest = {
    ...(str(parsed, 'name') !== undefined ? { name: str(parsed, 'name') } : {}),
    config: {
      Image: image,
      ...(command.length ? { Cmd: command } : {}),
      ...(entrypoint !== undefined ? { Entrypoint: [entrypoint] } : {}),
      ...(env.length ? { Env: env } : {}),
      ...(str(parsed, 'workdir') ? { WorkingDir: str(parsed, 'workdir') } : {}),
      ...(str(parsed, 'user') ? { User: str(parsed, 'user') } : {}),
      ...(str(parsed, 'hostname') ? { Hostname: str(parsed, 'hostname') } : {}),
      ...(str(parsed, 'domainname') ? { Domainname: str(parsed, 'domainname') } : {}),
      Tty: tty,
      OpenStdin: interactive,
      StdinOnce: interactive && !detach,
      AttachStdin: attach.stdin,
      AttachStdout: attach.stdout,
      AttachStderr: attach.stderr,
      ...(Object.keys(exposed).length ? { ExposedPorts: exposed } : {}),
      ...(Object.keys(labels).length ? { Labels: labels } : {}),
      ...(str(parsed, 'stop-signal') ? { StopSignal: str(parsed, 'stop-signal') } : {}),
      ...(stopTimeout !== undefined ? { StopTimeout: stopTimeout } : {}),
      ...healthcheck(parsed),
    },
    hostConfig: host,
    // more than one --network: the others are endpoints too, attached at every start (engine/network/connect.ts)
    ...(endpoint || networks.length > 1
      ? { networkingConfig: { EndpointsConfig: { ...Object.fromEntries(networks.slice(1).map((n) => [n, {}])), ...(endpoint ? { [networks[0] ?? 'bridge']: endpoint } : {}) } } }
      : {}),
    ...(pull ? { pull } : {}),
    ...(str(parsed, 'platform') ? { platform: str(parsed, 'platform') } : {}),
  };
  const detachKeys = str(parsed, 'detach-keys');
  return { request, detach, attach, ...(detachKeys !== undefined ? { detachKeys } : {}), sigProxy: parsed.flags.get('sig-proxy') !== false };
}

function healthcheck(parsed: Parsed): { Healthcheck?: HealthConfig } {
  if (bool(parsed, 'no-healthcheck')) {
    if (['health-cmd', 'health-interval', 'health-timeout', 'health-retries', 'health-start-period'].some((n) => parsed.flags.has(n))) {
      throw new RuntimeError('--no-healthcheck conflicts with the --health-* options');
    }
    return { Healthcheck: { Test: ['NONE'] } };
  }
  const cmd = str(parsed, 'health-cmd');
  const check: HealthConfig = { ...(cmd !== undefined ? { Test: ['CMD-SHELL', cmd] } : {}) };
  const duration = (flag: string) => { const v = str(parsed, flag); return v === undefined ? undefined : parseDuration(v, `--${flag}`); };
  const interval = duration('health-interval');
  const timeout = duration('health-timeout');
  const start = duration('health-start-period');
  if (interval !== undefined) check.Interval = interval;
  if (timeout !== undefined) check.Timeout = timeout;
  if (start !== undefined) check.StartPeriod = start;
  const retries = str(parsed, 'health-retries');
  if (retries !== undefined) {
    if (!/^\d+$/.test(retries)) throw new RuntimeError(`--health-retries ${retries}: expected a whole number`);
    check.Retries = Number(retries);
  }
  return Object.keys(check).length ? { Healthcheck: check } : {};
}

export function parseRestart(text: string): { Name: RestartPolicyName; MaximumRetryCount?: number } {
  const [name, count, ...rest] = text.split(':');
  if (rest.length > 0 || !['no', 'always', 'unless-stopped', 'on-failure'].includes(name!)) {
    throw new RuntimeError(`--restart ${text}: use no, on-failure[:N], always or unless-stopped`);
  }
  if (count !== undefined) {
    if (name !== 'on-failure') throw new RuntimeError(`--restart ${text}: only on-failure takes a maximum retry count`);
    if (!/^\d+$/.test(count)) throw new RuntimeError(`--restart ${text}: the retry count must be a whole number`);
    return { Name: 'on-failure', MaximumRetryCount: Number(count) };
  }
  return { Name: name as RestartPolicyName };
}

function parseUlimit(text: string): { Name: string; Soft: number; Hard: number } {
  const match = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(text);
  if (!match) throw new RuntimeError(`--ulimit ${text}: expected name=soft[:hard], e.g. nofile=1024:2048`);
  const soft = Number(match[2]);
  return { Name: match[1]!, Soft: soft, Hard: match[3] === undefined ? soft : Number(match[3]) };
}

function parseDevice(text: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const parts = text.split(':');
  const permissions = parts.length > 1 && /^[rwm]+$/.test(parts[parts.length - 1]!) ? parts.pop()! : 'rwm';
  if (parts.length > 2 || !parts[0]!.startsWith('/')) throw new RuntimeError(`--device ${text}: expected /dev/x[:/dev/y][:rwm]`);
  return { PathOnHost: parts[0]!, PathInContainer: parts[1] ?? parts[0]!, CgroupPermissions: permissions };
}

function keyValue(text: string, flag: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new RuntimeError(`${flag} ${text}: expected key=value`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** KEY=VALUE lines of an --env-file or --label-file; blank lines and # comments are skipped. */
function readLines(file: string, flag: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RuntimeError(`${flag} ${file}: ${errorMessage(error)}`);
  }
  return text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
}
