/**
 * The client's authentication against a tiny registry emulated in Node: a 401 with a Bearer
 * challenge, a token server at the realm, and a Basic-only variant. No root, no network
 * beyond 127.0.0.1.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/image/registry/client.js';

let server: Server;
let base: string;
let tokenRequests: { scope: string | null; service: string | null; authorization?: string; scopes?: string[] }[] = [];
let registryAuthorizations: (string | undefined)[] = [];

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

function route(req: IncomingMessage): { status: number; headers?: Record<string, string>; body?: string } {
  const url = new URL(req.url!, base);
  if (url.pathname === '/token') {
    tokenRequests.push({ scope: url.searchParams.get('scope'), service: url.searchParams.get('service'), authorization: req.headers.authorization });
    if (url.searchParams.getAll('scope').length > 1) tokenRequests.at(-1)!.scopes = url.searchParams.getAll('scope');
    if (url.searchParams.get('scope')?.includes('private') && req.headers.authorization !== basic('alice', 's3cret')) {
      return { status: 401, body: JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }) };
    }
    return { status: 200, body: JSON.stringify({ token: `tok:${url.searchParams.get('scope')}` }) };
  }
  if (url.pathname.startsWith('/bearer/')) {
    registryAuthorizations.push(req.headers.authorization);
    const repo = url.pathname.split('/')[2];
    // Like docker-registry: the challenge names what THIS request needs (pull for a GET).
    const scope = `repository:${repo}:pull`;
    const granted = req.headers.authorization === `Bearer tok:${scope}` || req.headers.authorization === `Bearer tok:repository:${repo}:pull,push`;
    if (!granted) {
      return { status: 401, headers: { 'www-authenticate': `Bearer realm="${base}/token",service="emulated",scope="${scope}"` }, body: '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}' };
    }
    return { status: 200, body: 'content' };
  }
  if (url.pathname === '/two-scopes') {
    if (req.headers.authorization?.startsWith('Bearer ')) return { status: 200, body: 'ok' };
    return { status: 401, headers: { 'www-authenticate': `Bearer realm="${base}/token",service="emulated",scope="repository:app:pull,push repository:other:pull"` } };
  }
  if (url.pathname === '/basic') {
    if (req.headers.authorization !== basic('alice', 's3cret')) return { status: 401, headers: { 'www-authenticate': 'Basic realm="basic-realm"' } };
    return { status: 200, body: 'basic ok' };
  }
  return { status: 404, headers: { 'content-type': 'application/json' }, body: '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}}]}' };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const { status, headers, body } = route(req);
      res.writeHead(status, headers);
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => { tokenRequests = []; registryAuthorizations = []; });

describe('registry authentication', () => {
  it('answers a Bearer challenge with an anonymous token for the scope, then retries with it', async () => {
    const client = new RegistryClient('emulated');
    const response = await client.request(`${base}/bearer/app/x`, { scope: 'repository:app:pull' });
    expect(await response.text()).toBe('content');
    expect(tokenRequests).toEqual([{ scope: 'repository:app:pull', service: 'emulated', authorization: undefined }]);
    expect(registryAuthorizations).toEqual([undefined, 'Bearer tok:repository:app:pull']);
  });

  it('keeps the token for the scope: a second request does not ask the token server again', async () => {
    const client = new RegistryClient('emulated');
    await (await client.request(`${base}/bearer/app/a`, { scope: 'repository:app:pull' })).text();
    await (await client.request(`${base}/bearer/app/b`, { scope: 'repository:app:pull' })).text();
    expect(tokenRequests).toHaveLength(1);
    expect(registryAuthorizations).toEqual([undefined, 'Bearer tok:repository:app:pull', 'Bearer tok:repository:app:pull']);
  });

  it('asks once when requests sent in parallel meet the same challenge', async () => {
    const client = new RegistryClient('emulated');
    const bodies = await Promise.all(['a', 'b', 'c'].map(async (x) => (await client.request(`${base}/bearer/app/${x}`, { scope: 'repository:app:pull' })).text()));
    expect(bodies).toEqual(['content', 'content', 'content']);
    expect(tokenRequests).toHaveLength(1);
  });

  it('asks for the scope the operation needs, not only the one a challenged request named', async () => {
    const client = new RegistryClient('emulated');
    await (await client.request(`${base}/bearer/app/x`, { method: 'HEAD', scope: 'repository:app:pull,push' })).text();
    expect(tokenRequests.map((r) => r.scope)).toEqual(['repository:app:pull,push']);
  });

  it('asks for each other resource a challenge names (scopes separated by spaces) as its own scope', async () => {
    await (await new RegistryClient('emulated').request(`${base}/two-scopes`, { method: 'POST', scope: 'repository:app:pull,push' })).text();
    expect(tokenRequests.map((r) => r.scopes)).toEqual([['repository:app:pull,push', 'repository:other:pull']]);
  });

  it('sends credentials to the token server as Basic auth', async () => {
    const client = new RegistryClient('emulated', { username: 'alice', password: 's3cret' });
    await (await client.request(`${base}/bearer/private/x`, { scope: 'repository:private:pull' })).text();
    expect(tokenRequests[0]!.authorization).toBe(basic('alice', 's3cret'));
  });

  it('reports a refused token request with the token server\'s error', async () => {
    const client = new RegistryClient('emulated', { username: 'alice', password: 'wrong' });
    await expect(client.request(`${base}/bearer/private/x`, { scope: 'repository:private:pull' }))
      .rejects.toThrow(/token server GET .*\/token\?service=emulated&scope=repository%3Aprivate%3Apull: 401 Unauthorized: UNAUTHORIZED: bad credentials/);
  });

  it('answers a Basic challenge with the credentials, and says when there are none', async () => {
    const client = new RegistryClient('emulated', { username: 'alice', password: 's3cret' });
    expect(await (await client.request(`${base}/basic`, { scope: 's' })).text()).toBe('basic ok');
    await expect(new RegistryClient('emulated').request(`${base}/basic`, { scope: 's' }))
      .rejects.toThrow('registry emulated asks for a user name and password (use --creds user:pass)');
  });

  it('shows the registry\'s error code and message with the status and URL', async () => {
    await expect(new RegistryClient('emulated').request(`${base}/v2/app/manifests/nope`, { scope: 's' }))
      .rejects.toThrow(`GET ${base}/v2/app/manifests/nope: 404 Not Found: MANIFEST_UNKNOWN: manifest unknown`);
  });

  it('lets a caller treat a status as an answer (a HEAD that finds nothing)', async () => {
    const response = await new RegistryClient('emulated').request(`${base}/v2/app/blobs/x`, { method: 'HEAD', scope: 's', accept: [404] });
    expect(response.status).toBe(404);
  });

  it('says which host refused the connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(new RegistryClient(`127.0.0.1:${port}`).request(`http://127.0.0.1:${port}/v2/`, { scope: 's' }))
      .rejects.toThrow(`cannot connect to 127.0.0.1:${port}: GET http://127.0.0.1:${port}/v2/: ECONNREFUSED (is the registry running on that address?)`);
  });
});
