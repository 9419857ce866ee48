/**
 * Image references as people type them: "busybox", "busybox:1.36",
 * "127.0.0.1:5000/team/app:v2", "app@sha256:<hex>". The grammar is Docker's
 * (distribution/reference): the first path component is a registry host only if it has a
 * '.' or a ':' or is "localhost"; the tag defaults to "latest" when there is no digest.
 */
import { RuntimeError } from '../errors.js';

export interface Reference {
  registry?: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function parseReference(ref: string): Reference {
  const bad = (why: string) => new RuntimeError(`invalid image reference ${JSON.stringify(ref)}: ${why}`);
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad('the digest must be sha256:<64 hex digits>');
  }
  // A tag follows the last ':' only if no '/' comes after it ("host:5000/app" has none).
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`the tag ${JSON.stringify(tag)} is not valid`);
  }
  const parts = rest.split('/');
  let registry: string | undefined;
  if (parts.length > 1 && (/[.:]/.test(parts[0]!) || parts[0] === 'localhost')) registry = parts.shift();
  if (parts.length === 0 || parts.some((p) => !COMPONENT.test(p))) throw bad('a name is lowercase letters, digits and separators (. _ -), joined by /');
  const result: Reference = { repository: parts.join('/') };
  if (registry !== undefined) result.registry = registry;
  if (tag !== undefined) result.tag = tag;
  if (digest !== undefined) result.digest = digest;
  if (result.tag === undefined && result.digest === undefined) result.tag = 'latest';
  return result;
}

/** The inverse of parseReference: "registry/repository:tag@digest", parts left out when absent. */
export function formatReference(ref: Reference): string {
  return `${ref.registry ? `${ref.registry}/` : ''}${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** How the store spells a name: "busybox" → "busybox:latest". */
export function normalizeName(ref: string): string {
  return formatReference(parseReference(ref));
}
