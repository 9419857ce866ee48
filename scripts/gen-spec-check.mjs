// Generates src/spec/spec-check.ts from the zod schemas of src/spec/schema.ts (issue 14):
//
//   node scripts/gen-spec-check.mjs            rewrite src/spec/spec-check.ts (after make build)
//   node scripts/gen-spec-check.mjs --check    exit 1 if the file is not what the schemas give
//
// Why: building zod's schemas and compiling its parse paths costs ~15 ms of CPU in every
// `create`, `run` and `exec`, a tenth of the verb. The generated file is plain JavaScript
// checks that answer one question, "would zod accept this value?", with no schema to build.
// load.ts asks it first and goes to zod (src/spec/validate.ts) only for a value it refuses;
// zod then decides and words the error. So the generated check must never accept what zod
// refuses, and should accept what zod accepts (test/unit/spec-check.test.ts compares them).
//
// The generator walks zod's schema definitions (schema._zod.def) and understands only what
// schema.ts uses: loose objects, optional, array, union, enum, record, string, boolean,
// int (safe integers) and bigint, with the checks minimum/maximum, minLength, regex,
// z.refine and problemsCheck. Anything else stops it with an error, rather than be skipped.
// Functions behind z.refine and problemsCheck are called, not copied: each must be exported
// by a module listed in FUNCTION_MODULES, and the generated file imports it from there.
//
// The output is committed (the build needs no generation step); `make build` runs --check,
// and so does the unit test, so the file cannot drift from the schemas.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const REPO = join(import.meta.dirname, '..');
const OUT = join(REPO, 'src/spec/spec-check.ts');

/** Where the functions behind the checks live (relative to src/spec/), in import order. */
export const FUNCTION_MODULES = ['./capabilities.js', './rules.js', './value-checks.js'];

/**
 * The source text of spec-check.ts.
 * @param roots     exported function name → zod schema, e.g. { isValidSpec: SpecSchema }
 * @param named     schema.ts's exports: a schema found there names its function
 * @param modules   FUNCTION_MODULES' path → that module's exports
 * @param finders   schema.ts's PROBLEM_FINDERS (check → function)
 * @param types     exported function name → the type its guard asserts, and where from
 */
export function generate({ roots, named, modules, finders, types }) {
  const functionNames = new Map(); // function → [module, export name]
  for (const [module, exports] of Object.entries(modules)) {
    for (const [name, value] of Object.entries(exports)) if (typeof value === 'function') functionNames.set(value, [module, name]);
  }
  const schemaNames = new Map();
  for (const [name, value] of Object.entries(named)) {
    if (value?._zod?.def && name.endsWith('Schema')) schemaNames.set(value, name.slice(0, -'Schema'.length));
  }

  const imports = new Map(); // module → Set of names
  const consts = []; // lines: regexes and enum sets
  const functions = []; // object checkers, in order of first use
  const objectFunctions = new Map(); // schema → function name
  const usedNames = new Set(Object.keys(roots));
  let counter = 0;

  const fail = (path, what) => {
    throw new Error(`gen-spec-check: ${path || '(root)'}: ${what}; teach scripts/gen-spec-check.mjs, or keep schema.ts to what it knows`);
  };
  const callable = (fn, path) => {
    const found = functionNames.get(fn);
    if (!found) fail(path, `a check calls a function that ${FUNCTION_MODULES.join(', ')} do not export: ${String(fn).slice(0, 60)}`);
    const [module, name] = found;
    if (!imports.has(module)) imports.set(module, new Set());
    imports.get(module).add(name);
    return name;
  };
  const constantNames = new Map(); // text → name: a schema used twice shares its constant
  const constant = (prefix, text) => {
    if (constantNames.has(text)) return constantNames.get(text);
    const name = `${prefix}${++counter}`;
    consts.push(`const ${name} = ${text};`);
    constantNames.set(text, name);
    return name;
  };
  const access = (x, key) => (/^[A-Za-z_$][\w$]*$/.test(key) ? `${x}.${key}` : `${x}[${JSON.stringify(key)}]`);

  /** Checks (def.checks) on a value of a known type, as expressions on x. */
  function checks(schema, x, path, kind) {
    const out = [];
    for (const check of schema._zod.def.checks ?? []) {
      const def = check._zod.def;
      switch (def.check) {
        case 'greater_than':
        case 'less_than':
          if (!def.inclusive) fail(path, 'an exclusive bound (gt/lt)');
          if (kind !== 'number' && kind !== 'bigint') fail(path, `a bound on a ${kind}`);
          out.push(`${x} ${def.check === 'greater_than' ? '>=' : '<='} ${literal(def.value)}`);
          break;
        case 'min_length':
          if (kind === 'string') out.push(`codePoints(${x}) >= ${def.minimum}`);
          else if (kind === 'array') out.push(`${x}.length >= ${def.minimum}`);
          else fail(path, `minLength on a ${kind}`);
          break;
        case 'string_format':
          if (kind !== 'string' || def.format !== 'regex' || !(def.pattern instanceof RegExp)) fail(path, `string format ${def.format}`);
          if (def.pattern.global || def.pattern.sticky) fail(path, 'a regex with the g or y flag');
          out.push(`${constant('PATTERN_', String(def.pattern))}.test(${x})`);
          break;
        case 'custom':
          if (typeof def.fn === 'function') out.push(`Boolean(${callable(def.fn, path)}(${x}))`);
          else if (finders.has(check)) {
            // The value's shape has passed by now, as zod's own checks run only on a value
            // of the right shape; `as never` hands it on in the type the function takes.
            out.push(`${callable(finders.get(check), path)}(${x} as never).length === 0`);
          } else fail(path, 'a superRefine that is not a problemsCheck');
          break;
        default:
          fail(path, `the check ${def.check}`);
      }
    }
    return out;
  }

  /** An expression that is true when zod would accept the value of expression x. */
  function expr(schema, x, path) {
    const def = schema._zod.def;
    const all = (parts) => (parts.length === 1 ? parts[0] : `(${parts.join(' && ')})`);
    switch (def.type) {
      case 'optional':
        return `(${x} === undefined || ${expr(def.innerType, x, path)})`;
      case 'object':
        return `${objectFunction(schema, path)}(${x})`;
      case 'array': {
        const element = expr(def.element, 'e', `${path}[]`);
        return all([`Array.isArray(${x})`, ...checks(schema, x, path, 'array'), `${x}.every((e: unknown) => ${element})`]);
      }
      case 'union':
        if (def.inclusive === false || def.discriminator !== undefined) fail(path, 'an exclusive or discriminated union');
        return `(${def.options.map((option) => expr(option, x, path)).join(' || ')})`;
      case 'enum': {
        const values = Object.values(def.entries);
        return `${constant('ONE_OF_', `new Set<unknown>(${JSON.stringify(values)})`)}.has(${x})`;
      }
      case 'record': {
        const key = expr(def.keyType, 'k', `${path}{key}`);
        const value = expr(def.valueType, 'e', `${path}{}`);
        return `isRecordOf(${x}, (k: string) => ${key}, (e: unknown) => ${value})`;
      }
      case 'string':
        if (def.coerce) fail(path, 'coercion');
        return all([`typeof ${x} === 'string'`, ...checks(schema, x, path, 'string')]);
      case 'boolean':
        if (def.coerce) fail(path, 'coercion');
        return `typeof ${x} === 'boolean'`;
      case 'number': {
        // z.int(): the schema is its own first check, "safeint" (Number.isSafeInteger).
        if (def.coerce || def.format !== 'safeint' || def.check !== 'number_format') fail(path, `a number of format ${def.format} (only z.int() is known)`);
        return all([`isSafeInt(${x})`, ...checks(schema, x, path, 'number')]);
      }
      case 'bigint':
        if (def.coerce || def.format !== undefined) fail(path, 'a bigint with a format or coercion');
        return all([`typeof ${x} === 'bigint'`, ...checks(schema, x, path, 'bigint')]);
      default:
        return fail(path, `the type ${def.type}`);
    }
  }

  /** A function per object schema: zod.looseObject's rules (any non-array object, unknown keys kept). */
  function objectFunction(schema, path) {
    if (objectFunctions.has(schema)) return objectFunctions.get(schema);
    const def = schema._zod.def;
    if (def.catchall?._zod.def.type !== 'unknown') fail(path, 'an object that is not z.looseObject (zod would strip or refuse unknown keys)');
    const base = schemaNames.get(schema) ?? path.replace(/\[\]|\{\}/g, '').split('.').filter(Boolean)
      .map((part) => part[0].toUpperCase() + part.slice(1)).join('') ?? 'Object';
    let name = `is${base || 'Object'}`;
    for (let i = 2; usedNames.has(name); i++) name = `is${base}${i}`;
    usedNames.add(name);
    objectFunctions.set(schema, name);
    const keys = Object.keys(def.shape);
    if (keys.includes('__proto__')) fail(path, 'a "__proto__" key');
    const parts = keys.map((key) => expr(def.shape[key], access('v', key), path ? `${path}.${key}` : key));
    parts.push(...checks(schema, 'v', path, 'object'));
    functions.push([
      `/** ${path ? `At ${path}` : 'The whole value'}${schemaNames.has(schema) ? ` (schema.ts ${schemaNames.get(schema)}Schema)` : ''}. */`,
      `function ${name}(v: unknown): boolean {`,
      '  if (!isJsonObject(v)) return false;',
      `  return ${parts.join('\n    && ')};`,
      '}',
    ].join('\n'));
    return name;
  }

  const exported = Object.entries(roots).map(([name, schema]) => {
    const body = expr(schema, 'value', '');
    const [type, from] = types[name];
    imports.set(from, new Set([...(imports.get(from) ?? []), `type ${type}`]));
    return `export function ${name}(value: unknown): value is ${type} {\n  return ${body};\n}`;
  });

  const importLines = [...imports].sort(([a], [b]) => a.localeCompare(b)).map(([module, names]) => {
    const sorted = [...names].sort((a, b) => a.replace('type ', '').localeCompare(b.replace('type ', '')));
    return sorted.every((name) => name.startsWith('type '))
      ? `import type { ${sorted.map((name) => name.slice('type '.length)).join(', ')} } from '${module}';`
      : `import { ${sorted.join(', ')} } from '${module}';`;
  });
  return `${[
    '// Generated by scripts/gen-spec-check.mjs from the zod schemas of schema.ts: do not edit.',
    '// Run `node scripts/gen-spec-check.mjs` after `make build` when the schemas change.',
    '//',
    '// Yes/no checks of a config.json (and of an exec process) that accept exactly what',
    '// validate.ts\'s zod schemas accept, without building them (load.ts says why).',
    ...importLines,
    '',
    ...consts,
    '',
    '/** What zod\'s object schemas take, narrowed to plain JSON objects (anything else goes to zod). */',
    'function isJsonObject(v: unknown): v is Record<string, unknown> {',
    '  return typeof v === \'object\' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype &&',
    '    !Object.hasOwn(v, \'__proto__\');',
    '}',
    '',
    '/** z.record: a plain object whose own keys and values all pass (zod skips a "__proto__" key; here it refuses). */',
    'function isRecordOf(v: unknown, key: (k: string) => boolean, value: (e: unknown) => boolean): boolean {',
    '  return isJsonObject(v) && Object.getOwnPropertySymbols(v).length === 0 &&',
    '    Object.keys(v).every((k) => key(k) && value(v[k]));',
    '}',
    '',
    '/** z.int() accepts safe integers only. */',
    'function isSafeInt(v: unknown): v is number {',
    '  return Number.isSafeInteger(v);',
    '}',
    '',
    '/** zod counts a string\'s length in code points. */',
    'function codePoints(s: string): number {',
    '  let n = 0;',
    '  for (const _ of s) n++;',
    '  return n;',
    '}',
    '',
    ...exported.flatMap((f) => [f, '']),
    ...functions.flatMap((f) => [f, '']),
  ].join('\n').trimEnd()}\n`;
}

function literal(value) {
  return typeof value === 'bigint' ? `${value}n` : String(value);
}

/**
 * The generator's inputs from the modules themselves: schema.js, validate.js and the
 * FUNCTION_MODULES, as tsc's dist/ has them (here) or as vitest loads src/ (the unit test).
 */
export function inputsOf(schema, validate, modules) {
  return {
    roots: { isValidSpec: validate.SpecSchema, isValidProcess: schema.ProcessSchema },
    named: { ...schema, SpecSchema: validate.SpecSchema },
    modules,
    finders: schema.PROBLEM_FINDERS,
    types: { isValidSpec: ['Spec', './schema.js'], isValidProcess: ['SpecProcess', './schema.js'] },
  };
}

async function inputsFromDist() {
  const load = (file) => import(pathToFileURL(join(REPO, 'dist/spec', file)).href);
  const modules = {};
  for (const module of FUNCTION_MODULES) modules[module] = await load(module);
  return inputsOf(await load('schema.js'), await load('validate.js'), modules);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const text = generate(await inputsFromDist());
  if (process.argv.includes('--check')) {
    if (readFileSync(OUT, 'utf8') !== text) {
      process.stderr.write('src/spec/spec-check.ts is not what the schemas give: run `node scripts/gen-spec-check.mjs` and rebuild\n');
      process.exit(1);
    }
  } else {
    writeFileSync(OUT, text);
  }
}
