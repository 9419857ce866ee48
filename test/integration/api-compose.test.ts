/**
 * docker-compose 1.29 (Debian's) against `ts-runc system service` (issue 12): three
 * services — a web server (busybox httpd) with a healthcheck and a published port, one
 * that writes the page into a named volume they share, a client that reaches the web
 * server by its service name — with depends_on, environment and --scale: up -d, ps, logs,
 * exec, and down -v leaving no container, network or volume.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveFixture, isRoot } from './helpers.js';
import { FIXTURE_IMAGE, IMAGE_TAR, dockerBinary, loadFixture, startApiService, waitFor, type ApiService } from './api-service.js';

const haveCompose = existsSync('/usr/bin/docker-compose');
const suite = isRoot && haveFixture && existsSync(IMAGE_TAR) && dockerBinary() && haveCompose ? describe : describe.skip;

const COMPOSE_FILE = `version: "3.8"
services:
  web:
    image: ${FIXTURE_IMAGE}
    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
    volumes:
      - site:/www
    ports:
      - "8080:80"
    healthcheck:
      test: ["CMD", "sh", "-c", "wget -q -O /dev/null http://127.0.0.1:80/ || exit 1"]
      interval: 1s
      timeout: 2s
      retries: 30
  seed:
    image: ${FIXTURE_IMAGE}
    command: ["sh", "-c", "echo hello-from-web > /www/index.html; sleep 600"]
    volumes:
      - site:/www
  client:
    image: ${FIXTURE_IMAGE}
    command: ["sh", "-c", "while true; do wget -q -O - http://web/ && sleep 1; done"]
    environment:
      - GREETING=hi-from-env
    depends_on:
      - web
volumes:
  site: {}
`;

suite('Engine API service: docker-compose 1.29', () => {
  let api: ApiService;
  let dir: string;
  beforeAll(async () => {
    api = await startApiService('tsr-apicmp');
    loadFixture(api);
    dir = join(api.box.dir, 'project');
    mkdirSync(dir);
    writeFileSync(join(dir, 'docker-compose.yml'), COMPOSE_FILE);
  }, 120_000);
  afterAll(async () => {
    await api?.cleanup();
  }, 180_000);

  const compose = (args: string[]) => api.exec('docker-compose', ['-p', 'demo', '-f', join(dir, 'docker-compose.yml'), ...args], { cwd: dir, timeout: 180_000 });

  it('up -d makes the network, the volume and three containers; ps lists them up, web healthy', async () => {
    const up = compose(['up', '-d']);
    expect(up.stderr).not.toMatch(/ERROR/);
    expect(up.status).toBe(0);
    await waitFor('web healthy', () => /Up \(healthy\)/.test(compose(['ps']).stdout) || undefined, 90_000);
    const ps = compose(['ps']).stdout;
    for (const name of ['demo_web_1', 'demo_seed_1', 'demo_client_1']) expect(ps).toMatch(new RegExp(`${name}\\s.*\\sUp`));
    expect(ps).toContain('0.0.0.0:8080->80/tcp');
    expect(api.docker(['network', 'ls', '--filter', 'label=com.docker.compose.project=demo', '--format', '{{.Name}}']).stdout).toBe('demo_default\n');
    expect(api.docker(['volume', 'ls', '--filter', 'label=com.docker.compose.project=demo', '-q']).stdout).toBe('demo_site\n');
  });

  it('the client reaches the web server by its service name; the page comes from the shared volume', async () => {
    await waitFor('the client\'s log', () => compose(['logs', '--no-color', 'client']).stdout.includes('hello-from-web') || undefined, 60_000);
    expect(api.exec('curl', ['-s', 'http://127.0.0.1:8080/']).stdout).toBe('hello-from-web\n');
  });

  it('exec runs in a service container with its environment', () => {
    const r = compose(['exec', '-T', 'client', 'sh', '-c', 'echo $GREETING']);
    expect(r.stdout).toBe('hi-from-env\n');
    expect(r.status).toBe(0);
  });

  it('up -d again changes nothing; --scale client=2 adds one', () => {
    const again = compose(['up', '-d']);
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/demo_web_1 is up-to-date/);
    expect(compose(['up', '-d', '--scale', 'client=2']).status).toBe(0);
    expect(compose(['ps', '-q']).stdout.trim().split('\n')).toHaveLength(4);
  });

  it('down -v leaves no container, network or volume', () => {
    const down = compose(['down', '-v']);
    expect(down.status).toBe(0);
    expect(api.docker(['ps', '-aq']).stdout).toBe('');
    expect(api.docker(['network', 'ls', '--format', '{{.Name}}']).stdout).not.toContain('demo');
    expect(api.docker(['volume', 'ls', '-q']).stdout).toBe('');
  });
});
