/**
 * `container ls` output, held to what docker 28.2's CLI printed for the same
 * ContainerSummary list (fixtures/docker-format/data.json served by server.mjs; the .txt
 * files are its output), and the list's status strings and filters. One edit to docker's
 * output: ps-json.txt's "Networks" is sorted; docker joins them in Go's random map order
 * (its table and json runs printed two different orders), ts-runc sorts them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listFormat, renderList } from '../../src/engine/format/list-format.js';
import { containerRow, DEFAULT_TABLE, displayablePorts, HEADER } from '../../src/engine/list/row.js';
import type { ContainerSummary } from '../../src/engine/list/summary.js';
import { commandLine } from '../../src/engine/list/summary.js';
import { statusText } from '../../src/engine/list/status-text.js';
import { checkFilters, labelsMatch, parseFilterArgs, parseGoDuration, parseTimestamp } from '../../src/engine/list/filters.js';
import { ZERO_TIME, type DockerState } from '../../src/engine/containers/status.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/docker-format/${name}`, import.meta.url), 'utf8');
const list = (JSON.parse(fixture('data.json')) as { list: ContainerSummary[] }).list;
const NOW = Date.parse('2026-12-04T21:04:55Z');

function render(format: string | undefined, options: { trunc?: boolean; size?: boolean } = {}): string {
  const table = options.size ? `${DEFAULT_TABLE}\t{{.Size}}` : DEFAULT_TABLE;
  const rows = list.map((s) => containerRow(s, { trunc: options.trunc ?? true, now: NOW }));
  return renderList(listFormat(format, table), rows, HEADER);
}

describe('container ls prints what docker ps prints', () => {
  it('the default table', () => expect(render(undefined)).toBe(fixture('ps-table.txt')));
  it('--no-trunc', () => expect(render(undefined, { trunc: false })).toBe(fixture('ps-notrunc.txt')));
  it('-s adds SIZE', () => expect(render(undefined, { size: true })).toBe(fixture('ps-size.txt')));
  it('--format json: one object per line, HTML characters escaped as docker does', () => expect(render('json')).toBe(fixture('ps-json.txt')));
  it('a custom table with .Label and .Networks', () => {
    expect(render('table {{.ID}}\\t{{.Labels}}\\t{{.Label "a"}}\\t{{.Mounts}}|{{.LocalVolumes}}|{{.CreatedAt}}')).toBe(
      'CONTAINER ID   LABELS      a         MOUNTS|LOCAL VOLUMES|CREATED AT\n'
      + '4f3c2a1b0e9d   a=x=1,b=2   x=1       site|1|2020-09-13 12:26:40 +0000 UTC\n'
      + '9a8b7c6d5e4f                         |0|2023-11-14 22:13:20 +0000 UTC\n'
      + '112233445566                         |0|2023-07-22 04:26:40 +0000 UTC\n');
  });
  it('an unknown field is docker\'s error', () => {
    expect(() => render('{{.Nope}}')).toThrow('failed to execute template: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext');
  });
  it('ports: exposed, ranges, host mappings, IPv6 in brackets', () => {
    expect(displayablePorts(list[0]!.Ports)).toBe('53/udp, 443/tcp, 0.0.0.0:9000-9001->9000-9001/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp');
    expect(displayablePorts([{ PrivatePort: 80, Type: 'tcp' }, { PrivatePort: 82, Type: 'tcp' }, { PrivatePort: 81, Type: 'tcp' }])).toBe('80-82/tcp');
  });
  it('COMMAND quotes arguments with spaces', () => {
    expect(commandLine({ Path: 'sh', Args: ['-c', 'echo hello; sleep 1000000'] })).toBe("sh -c 'echo hello; sleep 1000000'");
  });
});

describe('STATUS strings as the daemon writes them', () => {
  const base: DockerState = {
    Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 1,
    ExitCode: 0, Error: '', StartedAt: new Date(NOW - 3000).toISOString(), FinishedAt: ZERO_TIME,
  };
  const at = (state: Partial<DockerState>) => statusText({ ...base, ...state }, NOW);
  it('up, healthy, starting, paused, restarting, exited, created, dead', () => {
    expect(at({})).toBe('Up 3 seconds');
    expect(at({ Health: { Status: 'healthy', FailingStreak: 0, Log: [] } })).toBe('Up 3 seconds (healthy)');
    expect(at({ Health: { Status: 'starting', FailingStreak: 0, Log: [] } })).toBe('Up 3 seconds (health: starting)');
    expect(at({ Status: 'paused', Paused: true, StartedAt: new Date(NOW - 125_000).toISOString() })).toBe('Up 2 minutes (Paused)');
    expect(at({ Status: 'restarting', Restarting: true, ExitCode: 1, FinishedAt: new Date(NOW - 2000).toISOString() })).toBe('Restarting (1) 2 seconds ago');
    expect(at({ Status: 'exited', Running: false, ExitCode: 137, FinishedAt: new Date(NOW - 120_000).toISOString() })).toBe('Exited (137) 2 minutes ago');
    expect(at({ Status: 'created', Running: false, StartedAt: ZERO_TIME })).toBe('Created');
    expect(at({ Status: 'dead', Running: false, Dead: true })).toBe('Dead');
  });
});

describe('--filter', () => {
  it('parses key=value words; the same key twice is an OR', () => {
    expect(parseFilterArgs(['status=running', 'status=paused', 'label=a=b'])).toEqual({ status: ['running', 'paused'], label: ['a=b'] });
    expect(() => parseFilterArgs(['running'])).toThrow('bad format of filter (expected name=value)');
  });
  it('refuses unknown keys and values as docker does', () => {
    expect(() => checkFilters({ colour: ['red'] })).toThrow("invalid filter 'colour'");
    expect(() => checkFilters({ status: ['up'] })).toThrow("invalid filter 'status=up'");
    expect(() => checkFilters({ exited: ['x'] })).toThrow("invalid filter 'exited=x'");
    expect(() => checkFilters({ name: ['('] })).toThrow('not a regular expression');
  });
  it('labels: key present, key=value equal', () => {
    expect(labelsMatch(['a'], { a: '' })).toBe(true);
    expect(labelsMatch(['a=1'], { a: '2' })).toBe(false);
    expect(labelsMatch(['a=1', 'b'], { a: '1', b: 'x' })).toBe(true);
  });
  it('timestamps: durations, unix seconds, RFC 3339', () => {
    expect(parseGoDuration('1h30m')).toBe(5_400_000);
    expect(parseGoDuration('10x')).toBeUndefined();
    expect(parseTimestamp('10m', NOW)).toBe(NOW - 600_000);
    expect(parseTimestamp('1600000000')).toBe(1_600_000_000_000);
    expect(parseTimestamp('2026-12-04T21:04:55Z')).toBe(NOW);
    expect(() => parseTimestamp('yesterday')).toThrow('invalid time');
  });
});
