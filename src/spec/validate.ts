/**
 * config.json validated by zod, with an error that names the JSON path of each problem:
 *
 *   config.json: process.args: must have at least one element
 *   config.json: linux.namespaces[2].type: "foo" is not a namespace type (mount, uts, ...)
 *
 * This is the authority on what is valid, and the only place that words the problems.
 * Building zod's schemas costs ~10 ms of CPU per process, so the CLI does not start here:
 * load.ts asks the generated spec-check.ts first and comes here only for a config that
 * check refuses, to say why (issue 14).
 */
import type * as z from 'zod/mini';
import { formatLine, jsonPath, SpecError } from './errors.js';
import { specRuleProblems } from './rules.js';
import { ProcessSchema, problemsCheck, SpecShape, type Spec, type SpecProcess } from './schema.js';

/** The shape of schema.ts plus the cross-field rules of rules.ts: what a config.json must pass. */
export const SpecSchema = SpecShape.check(problemsCheck(specRuleProblems));

/** Validate an already-parsed config.json. `file` names it in messages. */
export function parseSpec(value: unknown, file = 'config.json'): Spec {
  return validate(SpecSchema, value, file);
}

/** Validate an already-parsed process object (exec). */
export function parseProcess(value: unknown, file = 'process.json'): SpecProcess {
  return validate(ProcessSchema, value, file);
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
