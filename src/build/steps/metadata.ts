/**
 * The instructions that change only the image config, and the history text the classic
 * builder records for each (moby builder/dockerfile/dispatchers.go): the current SHELL
 * followed by "#(nop) " and the instruction, e.g. `/bin/sh -c #(nop)  CMD ["sh"]`. Go's %q
 * of a string list prints ["a" "b"], which is what `docker history` shows and scripts match.
 */
import { RuntimeError } from '../../errors.js';
import type { BuilderConfig } from '../image-state.js';
import { parseGoDuration, type CommandLine, type Healthcheck } from '../parser/instructions.js';

/** Go's %q of a []string: ["a" "b"]. */
export function goQuoteList(list: string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

export function nopCreatedBy(shell: string[], text: string): string {
  return [...shell, '#(nop) ', text].join(' ');
}

/** CMD/ENTRYPOINT/RUN words: exec form as is, shell form through the SHELL. */
export function commandArgs(line: CommandLine, shell: string[]): string[] {
  return line.json ? line.args : [...shell, line.text];
}

export function setEnv(config: BuilderConfig, pairs: [string, string][]): void {
  const env = [...(config.Env ?? [])];
  for (const [key, value] of pairs) {
    const at = env.findIndex((entry) => entry.slice(0, entry.indexOf('=')) === key);
    if (at >= 0) env[at] = `${key}=${value}`;
    else env.push(`${key}=${value}`);
  }
  config.Env = env;
}

/** EXPOSE 80 8080/udp 9000-9001 → "80/tcp" … (nat.ParsePortSpecs: a range adds each port). */
export function exposedPorts(ports: string[]): string[] {
  const out: string[] = [];
  for (const spec of ports) {
    const match = /^(?:[^:]*:)?(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
    if (!match) throw new RuntimeError(`EXPOSE ${spec}: invalid port (expected PORT[/PROTO] or FIRST-LAST[/PROTO])`);
    const first = Number(match[1]);
    const last = match[2] !== undefined ? Number(match[2]) : first;
    const proto = (match[3] ?? 'tcp').toLowerCase();
    if (first < 1 || last > 65535 || last < first) throw new RuntimeError(`EXPOSE ${spec}: invalid port range`);
    for (let p = first; p <= last; p++) out.push(`${p}/${proto}`);
  }
  return [...new Set(out)].sort();
}

/** The config's Healthcheck (durations in nanoseconds, as Docker stores them). */
export function healthConfig(check: Healthcheck): NonNullable<BuilderConfig['Healthcheck']> {
  const ns = (text: string | undefined) => (text === undefined ? undefined : parseGoDuration(text));
  const result: NonNullable<BuilderConfig['Healthcheck']> = { Test: check.test };
  const interval = ns(check.interval);
  const timeout = ns(check.timeout);
  const startPeriod = ns(check.startPeriod);
  const startInterval = ns(check.startInterval);
  if (interval !== undefined) result.Interval = interval;
  if (timeout !== undefined) result.Timeout = timeout;
  if (startPeriod !== undefined) result.StartPeriod = startPeriod;
  if (startInterval !== undefined) result.StartInterval = startInterval;
  if (check.retries !== undefined) result.Retries = check.retries;
  return result;
}

/** Go's time.Duration String(): 30s, 1m30s, 5m0s, 1h0m0s, 1.5s, 5ms, 0s. */
export function goDuration(ns: number | undefined): string {
  if (!ns) return '0s';
  if (ns < 1e9) {
    if (ns >= 1e6) return `${ns / 1e6}ms`;
    if (ns >= 1e3) return `${ns / 1e3}µs`;
    return `${ns}ns`;
  }
  const hours = Math.floor(ns / 3600e9);
  const minutes = Math.floor((ns - hours * 3600e9) / 60e9);
  const seconds = (ns - hours * 3600e9 - minutes * 60e9) / 1e9;
  return `${hours ? `${hours}h` : ''}${hours || minutes ? `${minutes}m` : ''}${seconds}s`;
}

/** The history text of HEALTHCHECK: Go's %q of the struct, as `docker history` shows it. */
export function healthcheckText(health: NonNullable<BuilderConfig['Healthcheck']>): string {
  const retries = health.Retries ?? 0;
  const retriesText = `'${retries < 0x20 || retries === 0x7f ? `\\x${retries.toString(16).padStart(2, '0')}` : String.fromCharCode(retries)}'`;
  return `HEALTHCHECK &{${goQuoteList(health.Test)} ${JSON.stringify(goDuration(health.Interval))} ${JSON.stringify(goDuration(health.Timeout))} ${JSON.stringify(goDuration(health.StartPeriod))} ${JSON.stringify(goDuration(health.StartInterval))} ${retriesText}}`;
}
