/**
 * docker-py 5.0.3 (Debian's python3-docker) and the docker CLI's pull and push against
 * `ts-runc system service` (issue 12), with Debian's docker-registry serving on 127.0.0.1
 * inside the test's network namespace (where the service runs too).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveFixture, isRoot } from './helpers.js';
import { FIXTURE_IMAGE, IMAGE_TAR, dockerBinary, loadFixture, startApiService, waitFor, type ApiService } from './api-service.js';

const PYTHON = '/usr/bin/python3';
const haveDockerPy = existsSync('/usr/lib/python3/dist-packages/docker/__init__.py') && existsSync(PYTHON);
const haveRegistry = existsSync('/usr/bin/docker-registry');
const suite = isRoot && haveFixture && existsSync(IMAGE_TAR) && dockerBinary() && haveDockerPy && haveRegistry ? describe : describe.skip;

const PORT = 5077;
const REGISTRY = `127.0.0.1:${PORT}`;

suite('Engine API service: docker-py and registry pull/push', () => {
  let api: ApiService;
  beforeAll(async () => {
    api = await startApiService('tsr-apipy');
    loadFixture(api);
    const config = join(api.box.dir, 'registry.yml');
    writeFileSync(config, ['version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${join(api.box.dir, 'registry')}`,
      'http:', `  addr: ${REGISTRY}`, '  secret: ts-runc-test', ''].join('\n'));
    api.ns.spawn('docker-registry', ['serve', config]);
    await waitFor('the registry', () => api.exec('curl', ['-sf', `http://${REGISTRY}/v2/`]).status === 0 || undefined, 30_000);
  }, 120_000);
  afterAll(async () => {
    await api?.cleanup();
  }, 180_000);

  const python = (script: string) => {
    const file = join(api.box.dir, `script-${Date.now()}.py`);
    writeFileSync(file, script);
    return api.exec(PYTHON, [file]);
  };

  it('containers.run(detach=True), logs(stream=True), exec_run, wait, remove', () => {
    const r = python(`
import docker
client = docker.from_env()
c = client.containers.run("${FIXTURE_IMAGE}", ["sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.2; done; sleep 60"], detach=True, name="py1")
seen = ""
for chunk in c.logs(stream=True, follow=True):
    seen += chunk.decode()
    if "line3" in seen:
        break
print("logs", seen.split())
r = c.exec_run(["sh", "-c", "echo from-exec; exit 3"])
print("exec", r.exit_code, r.output.decode().strip())
c.kill()
print("wait", c.wait()["StatusCode"])
c.remove()
print("left", len(client.containers.list(all=True)))
`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe("logs ['line1', 'line2', 'line3']\nexec 3 from-exec\nwait 137\nleft 0\n");
  });

  it('docker push and pull through the loopback registry; rmi in between', () => {
    const ref = `${REGISTRY}/fixture:cli`;
    expect(api.docker(['tag', FIXTURE_IMAGE, ref]).status).toBe(0);
    const push = api.docker(['push', ref]);
    expect(push.stderr).toBe('');
    expect(push.status).toBe(0);
    expect(push.stdout).toMatch(/cli: digest: sha256:[0-9a-f]{64} size: \d+/);
    expect(api.docker(['rmi', ref]).status).toBe(0);
    const pull = api.docker(['pull', ref]);
    expect(pull.status).toBe(0);
    expect(pull.stdout).toMatch(/Digest: sha256:[0-9a-f]{64}/);
    expect(api.docker(['run', '--rm', ref, 'cat', '/etc/fixture-version']).stdout).toBe('2\n');
  });

  it('docker login goes through POST /auth to the registry; an address with no registry is refused', () => {
    const login = api.docker(['login', '-u', 'someone', '--password-stdin', REGISTRY], { input: 'secret\n' });
    expect(login.stdout).toContain('Login Succeeded');
    expect(login.status).toBe(0);
    const nowhere = api.docker(['login', '-u', 'someone', '--password-stdin', '127.0.0.1:1'], { input: 'secret\n' });
    expect(nowhere.status).not.toBe(0);
    expect(nowhere.stderr).toMatch(/login to 127\.0\.0\.1:1 failed/);
  });

  it('docker-py images.push and images.pull', () => {
    const r = python(`
import docker
client = docker.from_env()
image = client.images.get("${FIXTURE_IMAGE}")
image.tag("${REGISTRY}/fixture", "py")
out = client.images.push("${REGISTRY}/fixture", tag="py")
print("pushed", "error" not in out)
client.images.remove("${REGISTRY}/fixture:py")
pulled = client.images.pull("${REGISTRY}/fixture", tag="py")
print("pulled", pulled.id == image.id)
`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('pushed True\npulled True\n');
  });
});
