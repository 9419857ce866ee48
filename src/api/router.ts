/**
 * From a request line to a handler: the optional `/v1.NN` prefix (every NN from
 * MIN_API_VERSION to API_VERSION; a client that sends none gets the newest, as with
 * dockerd), then the method and a path pattern. Patterns are moby's routes
 * (api/server/router/*): `:id` is one path segment, `:name*` the rest of the path, since
 * image names hold slashes (`/images/127.0.0.1:5000/team/app:v2/json`).
 *
 * A path no route knows is a 404 naming it; a known endpoint ts-runc does not serve is a
 * 501 naming it (handlers throw `notImplemented`): never a 200 that did nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, Query } from './http.js';
import type { ApiContext } from './context.js';

/** The Engine API this server speaks: Docker 27's (docker CLI 28 negotiates down to it). */
export const API_VERSION = '1.47';
/** The oldest the daemon accepts, as dockerd's (api/common.go MinSupportedAPIVersion). */
export const MIN_API_VERSION = '1.24';

export interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: Query;
  ctx: ApiContext;
  /** the version the client asked for (its prefix), or API_VERSION */
  version: string;
}

export type Handler = (call: Call) => Promise<void> | void;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, path: string, handler: Handler): this {
    const names: string[] = [];
    const source = path.split('/').map((part) => {
      if (part.startsWith(':')) {
        const rest = part.endsWith('*');
        names.push(part.slice(1, rest ? -1 : undefined));
        return rest ? '(.+)' : '([^/]+)';
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }).join('/');
    this.routes.push({ method, pattern: new RegExp(`^${source}$`), names, handler });
    return this;
  }

  /** The handler, its parameters and the API version of a request; throws ApiError 404/405/400. */
  match(method: string, rawPath: string): { handler: Handler; params: Record<string, string>; version: string } {
    let path = rawPath;
    let version = API_VERSION;
    const prefix = /^\/v(\d+\.\d+)(\/.*)$/.exec(path);
    if (prefix) {
      version = prefix[1]!;
      path = prefix[2]!;
      if (compareVersions(version, MIN_API_VERSION) < 0) {
        throw new ApiError(400, `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
      }
      if (compareVersions(version, API_VERSION) > 0) {
        throw new ApiError(400, `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
      }
    }
    // HEAD is answered by a GET route unless one is declared for it (http.ServeMux's rule).
    let methodMismatch = false;
    for (const wanted of method === 'HEAD' ? ['HEAD', 'GET'] : [method]) {
      for (const route of this.routes) {
        const m = route.pattern.exec(path);
        if (!m) continue;
        if (route.method !== wanted) {
          methodMismatch = true;
          continue;
        }
        const params: Record<string, string> = {};
        route.names.forEach((name, i) => {
          params[name] = decodeURIComponent(m[i + 1]!);
        });
        return { handler: route.handler, params, version };
      }
    }
    if (methodMismatch) throw new ApiError(405, `method ${method} is not allowed on ${path}`);
    throw new ApiError(404, `page not found: ${method} ${path} is not an endpoint of the Engine API ${API_VERSION} as ts-runc serves it`);
  }
}

/** -1, 0 or 1, comparing "1.41" and "1.47" as versions. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** An endpoint of the API that ts-runc knows of and does not serve. */
export function notImplemented(what: string, why = 'not implemented by ts-runc'): Handler {
  return () => {
    throw new ApiError(501, `${what}: ${why}`);
  };
}
