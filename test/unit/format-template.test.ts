/**
 * The Go template subset of `--format`, held to what docker 28.2's CLI printed for the same
 * templates and data (test/unit/fixtures/docker-format/: data.json was served to the real
 * docker CLI by server.mjs on a unix socket; the expected strings below are its output).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asStruct, type Value } from '../../src/engine/format/go-print.js';
import { goView } from '../../src/engine/inspect/go-view.js';
import { compileTemplate } from '../../src/engine/format/template.js';
import { tabwrite } from '../../src/engine/format/tabwriter.js';
import { listFormat, renderList } from '../../src/engine/format/list-format.js';
import { ago, bytesSize, ellipsis, humanDuration, humanSize } from '../../src/engine/format/humanize.js';

const data = JSON.parse(readFileSync(new URL('./fixtures/docker-format/data.json', import.meta.url), 'utf8')) as {
  inspect: { web: Record<string, Value> };
};

/** The inspect JSON with its Go structs marked, as `container inspect --format` sees it. */
const web = (): Value => goView(data.inspect.web);

const run = (template: string, value: Value = web()) => compileTemplate(template).execute(value);

describe('Go templates as docker inspect --format runs them', () => {
  const cases: Array<[string, string]> = [
    ['{{.Name}} {{.State.Pid}} {{.State.Running}}', '/web 1234 true'],
    ['{{(index .NetworkSettings.Networks "ts-runc").IPAddress}}', '10.88.0.2'],
    ['{{index .NetworkSettings.Networks "nope"}}', '<nil>'],
    ['{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}};{{end}}', 'ts-runc=10.88.0.2;'],
    ['{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', '10.88.0.2'],
    ['{{json .Config.Labels}}', '{"a":"first","com.example.role":"web","z":"last"}'],
    ['{{.Config.Labels}}', 'map[a:first com.example.role:web z:last]'],
    ['{{.Config.Env}}', '[A=1 B=2 3]'],
    ['{{join .Config.Env ","}}', 'A=1,B=2 3'],
    ['{{join .Args " "}}', '-f -p 80'],
    ['{{index .Config.Labels "com.example.role"}}', 'web'],
    // a missing label is map[string]string's zero value (docker against ts-runc's API)
    ['[{{index .Config.Labels "nope"}}]', '[]'],
    ['{{.Config.Labels.z}}', 'last'],
    ['{{upper .State.Status}} {{title "hello world-x"}} {{lower "ABC"}}', 'RUNNING Hello World-X abc'],
    ['{{if .State.Running}}up{{else}}down{{end}}', 'up'],
    ['{{if eq .State.Status "exited"}}e{{else if eq .State.Status "running"}}r{{end}}', 'r'],
    ['{{println .Name}}x', '/web\nx'],
    ['{{.Name | json}}', '"/web"'],
    ['{{printf "%s-%d-%5.2f|%-6s|%q" .Name .State.Pid 3.14159 "ab" "q"}}', '/web-1234- 3.14|ab    |"q"'],
    ['{{len .Args}} {{index .Args 1}} {{slice .Args 1 2}}', '3 -p [-p]'],
    ['{{.State.StartedAt}} {{.Created}}', '2026-12-04T20:00:01Z 2026-12-04T20:00:00.123456789Z'],
    ['{{range .Config.Env}}{{.}}|{{end}}', 'A=1|B=2 3|'],
    ['{{$x := .Name}}{{$x}}', '/web'],
    ['{{- .Name -}}  {{ .Path }}', '/webhttpd'],
    ['{{.State.ExitCode}}{{"\\t"}}x\\ty\\nz', '0\tx\\ty\\nz'],
    ['{{split "a,b,c" ","}} {{pad "x" 2 3}}| {{truncate "abcdef" 3}}', '[a b c]   x   | abc'],
    ['{{print 1 2 "a" "b" 3}}', '1 2ab3'],
    ['{{.NetworkSettings.Networks.ts_runc}}', '<no value>'],
    ['{{.State}}', '{running true false false false false 1234 0  2026-12-04T20:00:01Z 0001-01-01T00:00:00Z <nil>}'],
    // (docker prints map[] for `index .Config.ExposedPorts "80/tcp"`: its typed index fails on
    // the nat.Port key and its raw-JSON retry prints the {} as a map; not reproduced)
    ['{{.Config.ExposedPorts}}', 'map[80/tcp:{}]'],
    // no healthcheck: Health and Healthcheck are nil pointers, not missing keys (the real
    // docker CLI against ts-runc's API printed these)
    ['{{.State.Health}}|{{if .State.Health}}x{{end}}|{{.Config.Healthcheck}}', '<nil>||<nil>'],
    // nil slices and maps of Docker's typed structs
    ['{{.HostConfig.Binds}} {{json .HostConfig.Binds}} {{len .HostConfig.Binds}}', '[] null 0'],
    ['{{.NetworkSettings.Ports}}', 'map[443/tcp:[] 80/tcp:[{0.0.0.0 8080}]]'],
    ['{{json .State}}', '{"Status":"running","Running":true,"Paused":false,"Restarting":false,"OOMKilled":false,"Dead":false,"Pid":1234,"ExitCode":0,"Error":"","StartedAt":"2026-12-04T20:00:01Z","FinishedAt":"0001-01-01T00:00:00Z"}'],
  ];
  for (const [template, expected] of cases) {
    it(`${template} prints ${JSON.stringify(expected)}`, () => expect(run(template)).toBe(expected));
  }

  const errors: Array<[string, string]> = [
    ['{{.NetworkSettings.Networks.ts-runc.IPAddress}}', "template: :1: bad character U+002D '-'"],
    // docker's messages, positions included
    ['{{foo .Name}}', 'template parsing error: template: :1: function "foo" not defined'],
    ['{{.Name', 'template parsing error: template: :1: unclosed action'],
    ['{{.Nope}}', 'template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"'],
    ['{{.State.Nope}}', 'template: :1:8: executing "" at <.State.Nope>: map has no entry for key "Nope"'],
    ['{{.State.Health.Status}}', 'template: :1:8: executing "" at <.State.Health.Status>: map has no entry for key "Health"'],
    ['{{range $p, $conf := .NetworkSettings.Ports}}{{$p}} -> {{(index $conf 0).HostPort}}{{end}}', 'template: :1:58: executing "" at <index $conf 0>: error calling index: index of untyped nil'],
    ['{{(index .NetworkSettings.Networks "nope").IPAddress}}', 'template: :1:35: executing "" at <"nope">: nil data; no entry for key "IPAddress"'],
    ['{{with .State}}{{.Pid}}{{end}} {{with .Nope}}y{{else}}n{{end}}', 'template: :1:38: executing "" at <.Nope>: map has no entry for key "Nope"'],
    ['{{range .Nope}}x{{else}}empty{{end}}', 'template: :1:8: executing "" at <.Nope>: map has no entry for key "Nope"'],
    ['{{if .Name}}x', 'unexpected EOF'],
    ['{{end}}', 'unexpected {{end}}'],
    ['{{break}}', '{{break}} outside {{range}}'],
  ];
  for (const [template, message] of errors) {
    it(`${template} is refused: ${message}`, () => expect(() => run(template)).toThrow(message));
  }

  it('range with break and continue, and over an integer', () => {
    expect(run('{{range $i, $e := .Args}}{{if eq $i 1}}{{continue}}{{end}}{{if eq $i 2}}{{break}}{{end}}{{$e}}{{end}}')).toBe('-f');
    expect(run('{{range 3}}{{.}}{{end}}')).toBe('012');
  });

  it('and/or stop at the deciding operand; not, ne, lt', () => {
    expect(run('{{and .State.Running .State.Pid}} {{or .State.Error "none"}} {{not .State.Dead}} {{ne 1 2}} {{lt 1 2}}')).toBe('1234 none true true true');
  });

  it('a struct marked for its Go type answers a missing field as Go does', () => {
    const row = asStruct({ ID: 'abc', Label: (name: Value) => `label ${String(name)}` }, '*formatter.ContainerContext');
    expect(run('{{.ID}} {{.Label "x"}}', row)).toBe('abc label x');
    expect(() => run('{{.Nope}}', row)).toThrow("can't evaluate field Nope in type *formatter.ContainerContext");
  });
});

describe('tables as docker aligns them (text/tabwriter: minwidth 10, padding 3)', () => {
  it('pads each tab-terminated cell to its column, never the last cell', () => {
    expect(tabwrite('NAMES\tSTATUS\nweb\tUp 3 seconds\na-very-long-name_for_a_container\tExited (137) 2 minutes ago\n'))
      .toBe('NAMES                              STATUS\nweb                                Up 3 seconds\na-very-long-name_for_a_container   Exited (137) 2 minutes ago\n');
  });
  it('a line with fewer cells ends a column block', () => {
    expect(tabwrite('a\tb\tc\nxx\n1234567890123\tb\tc\n')).toBe('a         b         c\nxx\n1234567890123   b         c\n');
  });
  it('"table" with spaces and no tabs is printed as it is', () => {
    const format = listFormat('table {{.ID}} {{upper .Names}}', '');
    expect(renderList(format, [{ ID: '4f3c2a1b0e9d', Names: 'web' }], { ID: 'CONTAINER ID', Names: 'NAMES' }))
      .toBe('CONTAINER ID NAMES\n4f3c2a1b0e9d WEB\n');
  });
  it('a literal \\t in the format is a tab; surrounding spaces are trimmed', () => {
    const format = listFormat('  {{.A}}\\t{{.B}}  ', '');
    expect(renderList(format, [{ A: 'x', B: 'y' }], {})).toBe('x\ty\n');
  });
});

describe('humanised sizes and durations (go-units)', () => {
  it('HumanDuration', () => {
    const s = 1000;
    expect([0.5 * s, 1 * s, 59 * s, 60 * s, 119 * s, 120 * s, 3599 * s, 3600 * s, 5399 * s, 47 * 3600 * s, 48 * 3600 * s, 14 * 86400 * s, 60 * 86400 * s, 800 * 86400 * s].map(humanDuration))
      .toEqual(['Less than a second', '1 second', '59 seconds', 'About a minute', 'About a minute', '2 minutes', '59 minutes', 'About an hour', 'About an hour', '47 hours', '2 days', '2 weeks', '2 months', '2 years']);
    expect(ago(1600000000, Date.parse('2026-12-04T21:04:55Z'))).toBe('6 years ago');
  });
  it('HumanSize (3 and 4 digits) and BytesSize', () => {
    expect([humanSize(0), humanSize(12345, 3), humanSize(4567890, 3), humanSize(999), humanSize(1234567)]).toEqual(['0B', '12.3kB', '4.57MB', '999B', '1.235MB']);
    expect([bytesSize(1536 * 1024), bytesSize(7.6 * 1024 ** 3), bytesSize(100)]).toEqual(['1.5MiB', '7.6GiB', '100B']);
  });
  it('Ellipsis of COMMAND', () => {
    expect(ellipsis('httpd -f -p 80 -h /www', 20)).toBe('httpd -f -p 80 -h /…');
    expect(ellipsis("sh -c 'echo hello; sleep 1000000'", 20)).toBe("sh -c 'echo hello; …");
    expect(ellipsis('true', 20)).toBe('true');
  });
});
