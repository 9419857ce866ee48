/**
 * Reading and validating a bundle's config.json (OCI runtime-spec bundle.md, config.md).
 *
 * Every problem becomes a SpecError whose message names the file and the JSON path:
 *
 *   config.json: process.args: must have at least one element
 *   config.json: linux.namespaces[2].type: "foo" is not a namespace type (mount, uts, ...)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as z from 'zod/mini';
import { formatLine, jsonPath, SpecError } from './errors.js';
import { parseJson } from './json.js';
import { SpecSchema } from './rules.js';
import { ProcessSchema, type Spec, type SpecProcess } from './schema.js';

export { SpecError } from './errors.js';

/** bundle.md: "config.json ... MUST reside in the root of the bundle directory". */
export function loadSpec(bundleDir: string): Spec {
  const file = join(bundleDir, 'config.json');
  return parseSpec(parseJsonFile(file, 'config.json'), 'config.json');
}

/** The process of `ts-runc exec --process <file>`: a config.json `process` object alone. */
export function loadProcess(file: string): SpecProcess {
  return parseProcess(parseJsonFile(file, 'process.json'), 'process.json');
}

/** Validate an already-parsed config.json. `file` names it in messages. */
export function parseSpec(value: unknown, file = 'config.json'): Spec {
  return validate(SpecSchema, value, file);
}

/** Validate an already-parsed process object (exec). */
export function parseProcess(value: unknown, file = 'process.json'): SpecProcess {
  return validate(ProcessSchema, value, file);
}

function parseJsonFile(path: string, file: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new SpecError(file, '', `cannot read ${path}: ${code}`);
  }
  try {
    return parseJson(text);
  } catch (err) {
    throw new SpecError(file, '', `not valid JSON: ${(err as Error).message}`);
  }
}

function validate<S extends z.ZodMiniType>(schema: S, value: unknown, file: string): z.output<S> {
  const result = schema.safeParse(value, { error: describeIssue, reportInput: true });
  if (result.success) return result.data;
  const [first, ...rest] = result.error.issues;
  if (first === undefined) throw new SpecError(file, '', 'invalid');
  return throwIssues(file, first, rest);
}

function throwIssues(file: string, first: z.core.$ZodIssue, rest: z.core.$ZodIssue[]): never {
  throw new SpecError(file, jsonPath(first.path), first.message,
    rest.map((issue) => formatLine(file, jsonPath(issue.path), issue.message)));
}

/**
 * Wording for zod's built-in checks, for this parse only (schema-level messages in
 * schema.ts and rules.ts take precedence). Returning undefined keeps zod's own text.
 */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${article(issue.expected)}, not ${describeValue(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'array') return `must have at least ${count(issue.minimum, 'element')}`;
      if (issue.origin === 'string') return `must have at least ${count(issue.minimum, 'character')}`;
      return `must be at least ${issue.minimum}, not ${describeValue(issue.input)}`;
    case 'too_big':
      if (issue.origin === 'array') return `must have at most ${count(issue.maximum, 'element')}`;
      return `must be at most ${issue.maximum}, not ${describeValue(issue.input)}`;
    default:
      return undefined;
  }
}

/** "one element", "2 elements". */
function count(n: number | bigint, noun: string): string {
  return n === 1 || n === 1n ? `one ${noun}` : `${n} ${noun}s`;
}

function article(expected: string): string {
  switch (expected) {
    case 'int': return 'an integer';
    case 'array': return 'an array';
    case 'object': return 'an object';
    default: return `a ${expected}`;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? typeof value;
}
