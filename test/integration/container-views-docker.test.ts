/**
 * ts-runc's own `container ls` and `container inspect -f` print what the real docker CLI
 * prints for the same containers through ts-runc's Engine API (`system service`): docker
 * decodes the API's JSON into its typed structs and runs the template there, so this holds
 * the template engine and the inspect shape to docker's own behaviour, not to ours.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveFixture, isRoot, TS_RUNC } from './helpers.js';
import { FIXTURE_IMAGE, dockerBinary, loadFixture, startApiService, waitFor, type ApiService } from './api-service.js';

const run = isRoot && haveFixture && dockerBinary() !== undefined;

let service: ApiService;

/** ts-runc with the service's --root/--storage, in its namespace. */
function tsRunc(args: string[]): string {
  const r = service.exec(TS_RUNC, ['--root', service.box.root, '--storage', service.box.storage, ...args]);
  if (r.status !== 0) throw new Error(`ts-runc ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function both(args: string[], dockerArgs: string[]): [string, string] {
  const ours = service.exec(TS_RUNC, ['--root', service.box.root, '--storage', service.box.storage, ...args]);
  const theirs = service.docker(dockerArgs);
  // (ts-runc's own errors begin "ts-runc: ", docker's "Error: "; the rest must be the same)
  return [ours.stdout + ours.stderr.replace(/^(Error|ts-runc): /gm, ''), theirs.stdout.replace(/^\n/, '') + theirs.stderr.replace(/^Error: /gm, '').replace(/^Error response from daemon: /gm, '')];
}

const TEMPLATES = [
  '{{.Name}} {{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.RestartCount}}',
  '{{.Config.Cmd}}|{{.Config.Env}}|{{.Config.Entrypoint}}|{{.Config.ExposedPorts}}|{{.Path}}|{{.Args}}',
  '{{json .Config.Labels}}|{{.Config.Labels}}|[{{index .Config.Labels "nope"}}]|{{index .Config.Labels "role"}}',
  '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}',
  '{{.State}}',
  '{{json .State}}',
  '{{json .Config}}',
  '{{json .HostConfig}}',
  '{{json .NetworkSettings}}',
  '{{.HostConfig.RestartPolicy}} {{.HostConfig.LogConfig}} {{.HostConfig.Binds}} {{.HostConfig.PidsLimit}}',
  '{{if .State.Health}}health{{else}}none{{end}} {{.State.Health}} {{.Config.Healthcheck}}',
  '{{.GraphDriver.Name}} {{.GraphDriver.Data.UpperDir}} {{.LogPath}} {{.Platform}} {{.Driver}}',
  '{{upper .State.Status}} {{len .Config.Env}} {{join .Args ","}} {{printf "%s:%d" .Name .State.ExitCode}}',
  '{{.Nope}}',
  '{{.State.Health.Status}}',
  '{{.NetworkSettings.Networks.ts-runc.IPAddress}}',
];

describe.skipIf(!run)('container ls and inspect print what the docker CLI prints through ts-runc\'s API', () => {
  beforeAll(async () => {
    service = await startApiService('tsr-views-docker');
    loadFixture(service);
    tsRunc(['container', 'run', '-d', '--name', 'up', '--network', 'none', '--label', 'role=web', FIXTURE_IMAGE, 'sleep', '300']);
    service.exec(TS_RUNC, ['--root', service.box.root, '--storage', service.box.storage, 'container', 'run', '--name', 'down', '--network', 'none', FIXTURE_IMAGE, 'sh', '-c', 'exit 3']);
    tsRunc(['container', 'create', '--name', 'made', '--network', 'none', '--restart', 'on-failure:2', FIXTURE_IMAGE, 'echo', 'a b']);
    await waitFor('down to exit', () => tsRunc(['container', 'inspect', '-f', '{{.State.Status}}', 'down']).trim() === 'exited' || undefined);
  });

  afterAll(async () => {
    await service?.cleanup();
  });

  it('container ls -a, --no-trunc, --format json and a custom table', () => {
    for (const extra of [[], ['--no-trunc'], ['--format', 'json'], ['--format', 'table {{.Names}}\t{{.Status}}\t{{.Label "role"}}\t{{.Command}}']]) {
      // CREATED and STATUS count seconds: the two commands run a moment apart and may
      // straddle a second, so a few tries (the columns then differ in width too)
      let [ours, theirs] = both(['container', 'ls', '-a', ...extra], ['ps', '-a', ...extra]);
      for (let attempt = 0; attempt < 5 && ours !== theirs; attempt++) [ours, theirs] = both(['container', 'ls', '-a', ...extra], ['ps', '-a', ...extra]);
      expect(ours, extra.join(' ')).toBe(theirs);
    }
  });

  for (const template of TEMPLATES) {
    it(`inspect -f '${template}'`, () => {
      for (const name of ['up', 'down', 'made']) {
        const [ours, theirs] = both(['container', 'inspect', '-f', template, name], ['inspect', '-f', template, name]);
        expect(ours, name).toBe(theirs);
      }
    });
  }
});
