/**
 * Reading and validating a bundle's config.json (OCI runtime-spec bundle.md, config.md).
 *
 * Two validators, one set of rules. spec-check.ts, generated from the zod schemas by
 * scripts/gen-spec-check.mjs, answers yes or no in well under a millisecond; a config it
 * accepts is returned as it was read. A config it refuses goes to zod (validate.ts, loaded
 * only then), which decides and, when the config is invalid, throws a SpecError that names
 * the file and the JSON path:
 *
 *   config.json: process.args: must have at least one element
 *
 * The generated check may refuse more than zod does (then zod's answer stands), never less:
 * test/unit/spec-check.test.ts holds the two to the same answers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpecError } from './errors.js';
import { parseJson } from './json.js';
import type { Spec, SpecProcess } from './schema.js';
import { isValidProcess, isValidSpec } from './spec-check.js';

export { SpecError } from './errors.js';

/** bundle.md: "config.json ... MUST reside in the root of the bundle directory". */
export async function loadSpec(bundleDir: string): Promise<Spec> {
  const file = join(bundleDir, 'config.json');
  return checkSpec(parseJsonFile(file, 'config.json'), 'config.json');
}

/** The process of `ts-runc exec --process <file>`: a config.json `process` object alone. */
export async function loadProcess(file: string): Promise<SpecProcess> {
  return checkProcess(parseJsonFile(file, 'process.json'), 'process.json');
}

/** Validate an already-parsed config.json. `file` names it in messages. */
export async function checkSpec(value: unknown, file = 'config.json'): Promise<Spec> {
  if (isValidSpec(value)) return value;
  const { parseSpec } = await import('./validate.js');
  return parseSpec(value, file);
}

/** Validate an already-parsed process object (exec). */
export async function checkProcess(value: unknown, file = 'process.json'): Promise<SpecProcess> {
  if (isValidProcess(value)) return value;
  const { parseProcess } = await import('./validate.js');
  return parseProcess(value, file);
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
