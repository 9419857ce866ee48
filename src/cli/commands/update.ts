/**
 * `ts-runc update [flags] <id>`: change a running container's limits, with runc's flags.
 * `-r FILE` (or `-r -` for stdin) is a JSON object shaped like config.json's
 * linux.resources; flags given beside it override its values.
 */
import { readFileSync } from 'node:fs';
import { updateContainer } from '../../container/update.js';
import { RuntimeError } from '../../errors.js';
import { parseJson } from '../../spec/json.js';
import { SpecError, jsonPath } from '../../spec/errors.js';
import { ResourcesSchema, type SpecResources } from '../../spec/schema.js';
import { parseFlags, str, type FlagSpec, type Parsed } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [
  { name: 'resources', short: 'r', type: 'string', help: 'path to a JSON file of linux.resources ("-" for stdin)' },
  { name: 'memory', type: 'string', help: 'memory limit in bytes (k, m, g suffixes; -1 for unlimited)' },
  { name: 'memory-swap', type: 'string', help: 'memory plus swap limit (-1 for unlimited)' },
  { name: 'memory-reservation', type: 'string', help: 'memory soft limit' },
  { name: 'cpu-shares', type: 'string', help: 'CPU shares (relative weight)' },
  { name: 'cpu-share', type: 'string', help: 'runc\'s spelling of --cpu-shares' },
  { name: 'cpu-quota', type: 'string', help: 'CPU time in microseconds per period (-1 for unlimited)' },
  { name: 'cpu-period', type: 'string', help: 'CPU CFS period in microseconds' },
  { name: 'cpu-rt-period', type: 'string', help: 'CPU real-time period in microseconds (cgroup v1 cpu.rt_period_us)' },
  { name: 'cpu-rt-runtime', type: 'string', help: 'CPU real-time runtime in microseconds per rt period (-1 for unlimited)' },
  { name: 'cpuset-cpus', type: 'string', help: 'CPUs to run on (e.g. 0-3,6)' },
  { name: 'cpuset-mems', type: 'string', help: 'memory nodes to allocate from (e.g. 0)' },
  { name: 'pids-limit', type: 'string', help: 'maximum number of pids (-1 for unlimited)' },
  { name: 'blkio-weight', type: 'string', help: 'block IO weight, 10 to 1000' },
];

export const command: Command = {
  synopsis: '[options] <container-id>',
  summary: 'update the resource limits of a container',
  flags: FLAGS,
  async run({ store }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'update');
    const [id] = checkArgs(parsed, 'update', command.synopsis);
    updateContainer(store, id!, resourcesFromFlags(parsed));
    return 0;
  },
};

export function resourcesFromFlags(parsed: Parsed): SpecResources {
  const file = str(parsed, 'resources');
  const r: SpecResources = file === undefined ? {} : readResources(file);
  const bytes = (name: string) => { const v = str(parsed, name); return v === undefined ? undefined : parseBytes(v, name); };
  const integer = (name: string) => { const v = str(parsed, name); return v === undefined ? undefined : parseInteger(v, name); };

  const memory = { limit: bytes('memory'), swap: bytes('memory-swap'), reservation: bytes('memory-reservation') };
  const shares = integer('cpu-shares') ?? integer('cpu-share');
  const cpu = {
    shares: shares === undefined ? undefined : nonNegative(shares, 'cpu-shares'),
    quota: integer('cpu-quota'),
    period: mapDefined(integer('cpu-period'), (v) => nonNegative(v, 'cpu-period')),
    realtimePeriod: mapDefined(integer('cpu-rt-period'), (v) => nonNegative(v, 'cpu-rt-period')),
    realtimeRuntime: integer('cpu-rt-runtime'),
    cpus: str(parsed, 'cpuset-cpus'),
    mems: str(parsed, 'cpuset-mems'),
  };
  const pids = integer('pids-limit');
  const blkio = integer('blkio-weight');
  if (Object.values(memory).some((v) => v !== undefined)) r.memory = { ...r.memory, ...defined(memory) };
  if (Object.values(cpu).some((v) => v !== undefined)) r.cpu = { ...r.cpu, ...defined(cpu) };
  if (pids !== undefined) r.pids = { limit: pids };
  if (blkio !== undefined) {
    if (blkio < 0 || blkio > 0xffff) throw new RuntimeError(`update: --blkio-weight ${blkio} is out of range`);
    r.blockIO = { ...r.blockIO, weight: blkio };
  }
  return r;
}

function readResources(file: string): SpecResources {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new RuntimeError(`update: cannot read ${file}: ${String(error)}`, { cause: error });
  }
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (error) {
    throw new RuntimeError(`update: ${file}: not valid JSON: ${String(error)}`, { cause: error });
  }
  // Validated as config.json's linux.resources, so errors carry the same JSON paths.
  const parsed = ResourcesSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const [first, ...rest] = parsed.error.issues.map((i) => ({ path: jsonPath(['linux', 'resources', ...i.path]), message: i.message }));
  throw new SpecError(file, first!.path, first!.message, rest.map((i) => `${file}: ${i.path}: ${i.message}`));
}

/** runc's units.RAMInBytes: "512m", "1g", "1024", "-1"; suffixes are powers of 1024. */
export function parseBytes(text: string, flag: string): number | bigint {
  const m = /^(-?\d+)\s*([kmgtp]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new RuntimeError(`update: --${flag} ${JSON.stringify(text)} is not a size like 512m or 1g`);
  const power = ' kmgtp'.indexOf((m[2] || ' ').toLowerCase());
  const value = BigInt(m[1]!) * 1024n ** BigInt(power);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function parseInteger(text: string, flag: string): number {
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) {
    throw new RuntimeError(`update: --${flag} ${JSON.stringify(text)} is not an integer`);
  }
  return Number(text);
}

function nonNegative(value: number, flag: string): number {
  if (value < 0) throw new RuntimeError(`update: --${flag} ${value} must not be negative`);
  return value;
}

function mapDefined<T, U>(value: T | undefined, f: (v: T) => U): U | undefined {
  return value === undefined ? undefined : f(value);
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
