/**
 * HTTP to one registry, with the authentication dance of the distribution token spec
 * (distribution/docs/spec/auth/token.md):
 *
 *   1. send the request (with a token already got for this scope, if any);
 *   2. on 401, read WWW-Authenticate: `Bearer realm=,service=,scope=` says to GET
 *      `<realm>?service=..&scope=..` (anonymously, or with Basic credentials) for a token;
 *      `Basic` says to send the credentials themselves;
 *   3. send the request again with `Authorization: Bearer <token>` (or Basic).
 *
 * Tokens are kept per scope ("repository:team/app:pull,push") for the rest of this call.
 * Bodies are passed as functions so a request can be sent twice (a stream can be read once).
 * Uses Node's global fetch; this module is imported only by `image pull` and `image push`.
 */
import { RuntimeError, errorCode, errorMessage } from '../../errors.js';
import { parseChallenges } from './challenge.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface RequestOptions {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  /** called for each attempt; a stream body can only be sent once */
  body?: () => BodyInit;
  /** the token scope the request needs: "repository:<name>:pull" or ":pull,push" */
  scope: string;
  /** statuses that are answers, not errors (e.g. 404 for a HEAD that checks existence) */
  accept?: number[];
}

export class RegistryClient {
  /**
   * Authorization header values by scope, for the rest of this call. Promises, so that
   * blobs sent in parallel that all meet the same 401 share one token request.
   */
  private readonly auth = new Map<string, Promise<string>>();

  constructor(private readonly registry: string, private readonly credentials?: Credentials) {}

  async request(url: string, options: RequestOptions): Promise<Response> {
    const method = options.method ?? 'GET';
    const used = this.auth.get(options.scope);
    let response = await this.send(url, method, options, used && (await used));
    if (response.status === 401) {
      await response.body?.cancel();
      // Unless another request has already got a newer token for this scope, get one.
      let pending = this.auth.get(options.scope);
      if (pending === used) {
        pending = this.authorize(url, response.headers.get('www-authenticate'), options.scope);
        this.auth.set(options.scope, pending);
      }
      response = await this.send(url, method, options, await pending);
    }
    if (!response.ok && !(options.accept ?? []).includes(response.status)) throw await registryError(method, url, response);
    return response;
  }

  private async send(url: string, method: string, options: RequestOptions, auth: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (auth) headers.authorization = auth;
    const body = options.body?.();
    try {
      // duplex: 'half' lets the body be a stream (fetch requires saying so).
      return await fetch(url, { method, headers, body, duplex: 'half', redirect: 'follow' } as RequestInit);
    } catch (error) {
      throw connectionError(this.registry, method, url, error);
    }
  }

  /** The Authorization header value that answers a 401's challenge. */
  private async authorize(url: string, header: string | null, scope: string): Promise<string> {
    if (!header) throw new RuntimeError(`${url}: 401 Unauthorized without a WWW-Authenticate header`);
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) return `Bearer ${await this.fetchToken(bearer.params, scope)}`;
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (!this.credentials) throw new RuntimeError(`registry ${this.registry} asks for a user name and password (use --creds user:pass)`);
      return `Basic ${basic(this.credentials)}`;
    }
    throw new RuntimeError(`registry ${this.registry}: unsupported authentication ${JSON.stringify(header)}`);
  }

  private async fetchToken(params: Record<string, string>, scope: string): Promise<string> {
    if (!params.realm) throw new RuntimeError(`registry ${this.registry}: Bearer challenge without a realm`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    // Ask for the scope the whole operation needs (a push needs "pull,push" even if this
    // request was a HEAD the registry challenged with ":pull"), so one token does for all;
    // and for any other resource the challenge names (space-separated, one `scope` each).
    url.searchParams.append('scope', scope);
    for (const wanted of (params.scope ?? '').split(' ')) {
      if (wanted && resourceOf(wanted) !== resourceOf(scope)) url.searchParams.append('scope', wanted);
    }
    const headers: Record<string, string> = {};
    if (this.credentials) headers.authorization = `Basic ${basic(this.credentials)}`;
    let response: Response;
    try {
      response = await fetch(url, { headers });
    } catch (error) {
      throw connectionError(url.host, 'GET', url.toString(), error);
    }
    if (!response.ok) throw await registryError('GET', url.toString(), response, 'token server ');
    const answer = (await response.json()) as { token?: string; access_token?: string };
    const token = answer.token ?? answer.access_token;
    if (!token) throw new RuntimeError(`token server ${url.host}: the answer has no token`);
    return token;
  }
}

/** "user:pass" (from --creds or TS_RUNC_REGISTRY_CREDS) → credentials. */
export function parseCredentials(text: string | undefined): Credentials | undefined {
  if (text === undefined || text === '') return undefined;
  const colon = text.indexOf(':');
  if (colon <= 0) throw new RuntimeError('credentials must be given as user:password');
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** "repository:team/app:pull,push" → "repository:team/app" */
function resourceOf(scope: string): string {
  return scope.slice(0, scope.lastIndexOf(':'));
}

function basic(c: Credentials): string {
  return Buffer.from(`${c.username}:${c.password}`).toString('base64');
}

/**
 * A failed call, with what the registry said: the API's errors are JSON,
 * `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":...}]}`
 * (distribution spec "Errors").
 */
export async function registryError(method: string, url: string, response: Response, what = ''): Promise<RuntimeError> {
  let detail = '';
  const text = method === 'HEAD' ? '' : await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    detail = (body.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
  } catch {
    detail = text.trim().slice(0, 200);
  }
  const status = `${response.status} ${response.statusText}`.trim();
  return new RuntimeError(`${what}${method} ${url}: ${status}${detail ? `: ${detail}` : ''}`);
}

/** fetch fails with "fetch failed" and the real reason (ECONNREFUSED...) in its cause. */
function connectionError(host: string, method: string, url: string, error: unknown): RuntimeError {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = errorCode(cause) ?? errorCode(error);
  const reason = code ?? errorMessage(cause ?? error);
  const hint = code === 'ECONNREFUSED' ? ' (is the registry running on that address?)' : '';
  return new RuntimeError(`cannot connect to ${host}: ${method} ${url}: ${reason}${hint}`, { cause: error });
}
