/**
 * The Engine API's `POST /build` query (Docker Engine API, "Build an image") → the options
 * of buildImage, so that the API handler only translates a request (src/engine/README.md).
 * The body is the context: a tar (plain or compressed), or a Dockerfile alone.
 *
 *   t (repeatable)  dockerfile  buildargs (JSON object)  labels (JSON object)  target
 *   nocache  q  networkmode  platform  remote (refused)
 *
 * The parameters only BuildKit or a daemon-wide setting give meaning to (rm, forcerm, pull,
 * cachefrom, memory, cpu*, shmsize, extrahosts, squash, outputs, version) are accepted and
 * ignored: the classic builder's `rm`/`forcerm` are what ts-runc always does (no
 * intermediate container stays, not even after a failure).
 */
import { RuntimeError } from '../errors.js';
import type { BuildOptions } from './build.js';

export interface ApiBuildRequest {
  options: BuildOptions;
  /** `q`: only the aux event matters to the client */
  quiet: boolean;
}

export function buildOptionsFromQuery(query: URLSearchParams, body: NodeJS.ReadableStream, root?: string): ApiBuildRequest {
  const remote = query.get('remote');
  if (remote) throw new RuntimeError(`remote build contexts (${remote}) are not supported by ts-runc; send the context as the request body`);
  const dockerfile = query.get('dockerfile') ?? undefined;
  const network = networkMode(query.get('networkmode'));
  const target = query.get('target') || undefined;
  const platform = query.get('platform') || undefined;
  return {
    quiet: truthy(query.get('q')),
    options: {
      context: { stream: body, ...(dockerfile ? { dockerfile } : {}) },
      tags: query.getAll('t').filter(Boolean),
      buildArgs: jsonObject(query.get('buildargs'), 'buildargs'),
      labels: jsonObject(query.get('labels'), 'labels'),
      noCache: truthy(query.get('nocache')),
      network,
      ...(target ? { target } : {}),
      ...(platform ? { platform } : {}),
      ...(root !== undefined ? { root } : {}),
    },
  };
}

function truthy(value: string | null): boolean {
  return value === '1' || value === 'true' || value === 'True';
}

/** Docker's networkmode: "default" (ts-runc: none, see the README), none, host, bridge. */
function networkMode(value: string | null): 'none' | 'host' | 'default' {
  switch (value) {
    case null:
    case '':
    case 'default':
    case 'none':
      return 'none';
    case 'host':
      return 'host';
    case 'bridge':
      return 'default';
    default:
      throw new RuntimeError(`networkmode ${JSON.stringify(value)}: ts-runc builds take none, host or bridge`);
  }
}

/** buildargs/labels: a JSON object of strings (a null value, as the CLI sends for `--build-arg K` unset, is skipped). */
function jsonObject(text: string | null, name: string): Record<string, string> {
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RuntimeError(`${name}: not JSON: ${text}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RuntimeError(`${name}: expected a JSON object`);
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === null) continue;
    if (typeof v !== 'string') throw new RuntimeError(`${name}: the value of ${key} is not a string`);
    out[key] = v;
  }
  return out;
}
