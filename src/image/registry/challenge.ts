/**
 * The `WWW-Authenticate` header a registry sends with a 401 (RFC 7235 section 4.1), read into
 * the scheme and its parameters. The distribution token spec
 * (distribution/docs/spec/auth/token.md) uses it to say where to get a token:
 *
 *   Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"
 *
 * and `htpasswd` registries send `Basic realm="..."`. Parameter values may be quoted
 * strings (with backslash escapes) or bare tokens, and a scope may itself contain commas
 * ("pull,push"), so the header is scanned, not split on commas.
 */
import { RuntimeError } from '../../errors.js';

export interface Challenge {
  /** lower-cased: "bearer" or "basic" */
  scheme: string;
  /** parameter names lower-cased, values unquoted */
  params: Record<string, string>;
}

/** Parses every challenge in the header (a server may offer more than one scheme). */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let i = 0;
  const skipSpace = () => { while (i < header.length && /[\s,]/.test(header[i]!)) i++; };
  const readToken = () => {
    const start = i;
    while (i < header.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  while (i < header.length) {
    skipSpace();
    const scheme = readToken();
    if (!scheme) break;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    // Parameters: name=value pairs until the next bare token that is a new scheme.
    for (;;) {
      while (i < header.length && /[\s,]/.test(header[i]!)) i++;
      const mark = i;
      const name = readToken();
      while (i < header.length && header[i] === ' ') i++;
      if (!name || header[i] !== '=') {
        i = mark; // a new scheme (or the end): leave it for the outer loop
        break;
      }
      i++; // '='
      while (i < header.length && header[i] === ' ') i++;
      challenge.params[name.toLowerCase()] = header[i] === '"' ? readQuoted() : readBare();
    }
  }
  return challenges;

  function readQuoted(): string {
    let value = '';
    i++; // opening quote
    while (i < header.length && header[i] !== '"') {
      if (header[i] === '\\' && i + 1 < header.length) i++;
      value += header[i++];
    }
    if (i >= header.length) throw new RuntimeError(`WWW-Authenticate: unterminated quoted string in ${JSON.stringify(header)}`);
    i++; // closing quote
    return value;
  }

  function readBare(): string {
    const start = i;
    while (i < header.length && header[i] !== ',' && !/\s/.test(header[i]!)) i++;
    return header.slice(start, i);
  }
}
