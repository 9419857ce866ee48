/**
 * What every handler of the Engine API shares: the error type that becomes Docker's
 * `{"message": …}` with its status, reading a JSON body, reading query parameters as the
 * daemon reads them (moby api/server/httputils: "1"/"true" are true, `filters` is JSON),
 * and writing JSON answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RuntimeError, errorCode, errorMessage } from '../errors.js';
import { takeBodyFromHead } from './hijack.js';

/** An answer other than 2xx: Docker's error body is `{"message": "…"}` (swagger ErrorResponse). */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string): ApiError => new ApiError(400, message);
export const notFound = (message: string): ApiError => new ApiError(404, message);
export const conflict = (message: string): ApiError => new ApiError(409, message);

/**
 * The status of a library error: the library says "not found" with ENOENT (or in words),
 * "in use"/"already exists" are conflicts; anything else is the server's own failure.
 */
export function statusOf(error: unknown): number {
  if (error instanceof ApiError) return error.status;
  const code = errorCode(error);
  const message = errorMessage(error);
  if (code === 'ENOENT' || /\b(not found|no such)\b/i.test(message)) return 404;
  if (code === 'EEXIST' || code === 'EBUSY' || /\b(already exists|already in use|in use by|is in use|is running|conflict)\b/i.test(message)) return 409;
  if (code === 'EINVAL' || /\b(invalid|unknown|must be|is not a|bad)\b/i.test(message)) return 400;
  if (error instanceof RuntimeError) return 500;
  return 500;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    // a stream already under way: nothing but closing it can say it failed
    res.destroy();
    return;
  }
  sendJson(res, status, { message });
}

export function noContent(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

export async function readBody(req: IncomingMessage, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw badRequest(`request body larger than ${limit} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * The body of an upgraded request (attach, exec start): its Content-Length bytes, without
 * waiting for the stream's end, which an upgraded request does not always signal (a test
 * run hung on it with the whole body read); after a second without them, what came.
 */
async function readUpgradeBody(req: IncomingMessage): Promise<Buffer> {
  const wanted = Number(req.headers['content-length'] ?? 0);
  if (!Number.isInteger(wanted) || wanted <= 0) return Buffer.alloc(0);
  const fromHead = takeBodyFromHead(req, wanted);
  if (fromHead) return fromHead;
  const chunks: Buffer[] = [];
  let size = 0;
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', done);
      resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= wanted) done();
    };
    const timer = setTimeout(done, 1000);
    req.on('data', onData);
    req.on('end', done);
  });
}

/** The body as a JSON object; an empty body is `{}` (docker-py sends none for some POSTs). */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const upgrade = /\bupgrade\b/i.test(String(req.headers.connection ?? '')) && req.headers.upgrade !== undefined;
  const body = upgrade ? await readUpgradeBody(req) : await readBody(req);
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw badRequest(`malformed JSON body: ${errorMessage(error)}`);
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest('the request body must be a JSON object');
  return value as Record<string, unknown>;
}

/** Query parameters, with moby's reading of booleans (httputils.BoolValue: "", "0", "false", "no", "none" are false). */
export class Query {
  constructor(readonly params: URLSearchParams) {}

  str(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }

  bool(name: string, fallback = false): boolean {
    const value = this.params.get(name);
    if (value === null) return fallback;
    return !['', '0', 'false', 'no', 'none', 'False', 'FALSE'].includes(value.trim());
  }

  int(name: string, fallback: number): number {
    const value = this.params.get(name);
    if (value === null || value === '') return fallback;
    const n = Number(value);
    if (!Number.isInteger(n)) throw badRequest(`query parameter ${name}: ${JSON.stringify(value)} is not an integer`);
    return n;
  }

  /**
   * `filters`: JSON `{"label": ["a=b"], "status": ["running"]}`; old clients send
   * `{"label": {"a=b": true}}`, which moby still reads (filters.FromJSON).
   */
  filters(): Filters {
    const text = this.params.get('filters');
    if (!text) return new Filters({});
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw badRequest(`invalid filters ${JSON.stringify(text)}: ${errorMessage(error)}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest(`invalid filters ${JSON.stringify(text)}: not an object`);
    const out: Record<string, string[]> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (Array.isArray(v)) out[key] = v.map(String);
      else if (typeof v === 'object' && v !== null) out[key] = Object.entries(v as Record<string, unknown>).filter(([, on]) => on === true).map(([k]) => k);
      else throw badRequest(`invalid filter ${key}: expected a list`);
    }
    return new Filters(out);
  }
}

export class Filters {
  constructor(readonly values: Record<string, string[]>) {}

  get(name: string): string[] {
    return this.values[name] ?? [];
  }

  has(name: string): boolean {
    return (this.values[name]?.length ?? 0) > 0;
  }

  /** Refuses a filter the endpoint does not know, as moby does ("invalid filter 'x'"). */
  only(names: readonly string[]): this {
    for (const key of Object.keys(this.values)) if (!names.includes(key)) throw badRequest(`invalid filter '${key}'`);
    return this;
  }

  /** label=KEY or label=KEY=VALUE, every one must hold (and label!=… must not). */
  matchLabels(labels: Record<string, string> | undefined): boolean {
    const have = labels ?? {};
    const test = (spec: string): boolean => {
      const eq = spec.indexOf('=');
      if (eq < 0) return spec in have;
      return have[spec.slice(0, eq)] === spec.slice(eq + 1);
    };
    return this.get('label').every(test) && !this.get('label!').some(test);
  }
}
