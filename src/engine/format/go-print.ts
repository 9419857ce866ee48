/**
 * How Go's fmt prints the values a template reaches (fmt's %v, pkg.go.dev/fmt), for the
 * JSON-shaped data `--format` sees: strings as they are, numbers as their JSON literal
 * (docker decodes with UseNumber), a list as `[a b c]`, a map as `map[k:v …]` with its keys
 * sorted, JSON null as `<nil>`, and a missing key as `<no value>`. Also the subset of
 * Printf that people use in formats: %v %s %d %q %t %x %X %f %e %g %%, flags `-+ 0#`,
 * width and precision.
 */

/** A template value: JSON data, a missing value (undefined), or a method taking arguments. */
export type Value = undefined | null | string | number | boolean | Value[] | { [key: string]: Value } | Method;
export type Method = (...args: Value[]) => Value;

/**
 * Objects that stand for a Go struct: a field it lacks is an error, not "<no value>", and
 * it prints as `{v1 v2 …}`. The name is the Go type for "can't evaluate field X in type
 * NAME"; '' (docker inspect's raw JSON, run with missingkey=error) says "map has no entry
 * for key" instead.
 */
const structTypes = new WeakMap<object, string>();
/** Structs whose json is Go's json.Marshal (HTML characters escaped), as a MarshalJSON method gives. */
const htmlEscaped = new WeakSet<object>();

/** Marks `value` as a Go struct of type `name` (e.g. "*formatter.ContainerContext"). */
export function asStruct<T extends object>(value: T, name = '', options: { marshalJson?: boolean } = {}): T {
  structTypes.set(value, name);
  if (options.marshalJson) htmlEscaped.add(value);
  return value;
}

/**
 * Go's nil slices and maps: JSON null, but `[]` / `map[]` when printed (docker inspect's
 * `{{.Config.Entrypoint}}` of a container without one prints `[]`).
 */
const nils = new WeakSet<object>();

export function goNil(kind: 'slice' | 'map'): Value {
  const value = kind === 'slice' ? [] : {};
  nils.add(value);
  return value;
}

/** Go maps of strings (map[string]string): `index` of a missing key gives "", not nil. */
const stringMaps = new WeakSet<object>();

export function asStringMap<T extends object>(value: T): T {
  stringMaps.add(value);
  return value;
}

export function isStringMap(value: Value): boolean {
  return typeof value === 'object' && value !== null && stringMaps.has(value);
}

export function isGoNil(value: Value): boolean {
  return typeof value === 'object' && value !== null && nils.has(value);
}

export function structType(value: object): string | undefined {
  return structTypes.get(value);
}

/**
 * Fields of a struct tagged `omitempty` that hold their zero value: printed (a Go struct has
 * every field: `{{.State}}` ends in `<nil>` for no Health) but left out of `json`.
 */
const omitted = new WeakMap<object, Set<string>>();

export function omitEmpty<T extends object>(value: T, keys: string[]): T {
  omitted.set(value, new Set(keys));
  return value;
}

/** Whether `key` of `value` is such an unset omitempty field. */
export function isOmitted(value: Value, key: string): boolean {
  return typeof value === 'object' && value !== null && omitted.get(value)?.has(key) === true;
}

/** Go's json.Marshal escapes <, > and & in strings (and U+2028, U+2029); docker inspect prints that. */
export function escapeHtmlJson(json: string): string {
  return json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** Go's type name of a value, for messages ("string", "[]interface {}", "map[string]interface {}"). */
export function goType(value: Value): string {
  if (value === undefined || value === null) return 'interface {}';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float64';
  if (typeof value === 'object' && structType(value)) return structType(value)!; // a named struct type
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'function') return 'func';
  if (Array.isArray(value)) return '[]interface {}';
  return structType(value) || 'map[string]interface {}';
}

export function isMap(value: Value): value is { [key: string]: Value } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function formatNumber(value: number): string {
  return String(value);
}

/** fmt's %v of one value. */
export function printValue(value: Value, top = true): string {
  if (value === undefined) return top ? '<no value>' : '<nil>';
  if (value === null) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return '<func>';
  if (Array.isArray(value)) return `[${value.map((v) => printValue(v, false)).join(' ')}]`;
  const keys = Object.keys(value).filter((k) => typeof value[k] !== 'function');
  if (structType(value) !== undefined) return `{${keys.map((k) => printValue(value[k], false)).join(' ')}}`;
  return `map[${keys.sort().map((k) => `${k}:${printValue(value[k], false)}`).join(' ')}]`;
}

/**
 * JSON as Go's encoder writes it with SetEscapeHTML(false) (docker's `json` function):
 * compact, U+2028 and U+2029 escaped, a missing value as null.
 */
export function goJson(value: Value): string {
  const escaped = encode(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return typeof value === 'object' && value !== null && htmlEscaped.has(value) ? escapeHtmlJson(escaped) : escaped;
}

/** encoding/json: a struct's fields in their order, a map's keys sorted. */
function encode(value: Value): string {
  if (value === undefined || value === null || typeof value === 'function') return 'null';
  if (typeof value === 'object' && nils.has(value)) return 'null';
  if (Array.isArray(value)) return `[${value.map(encode).join(',')}]`;
  if (typeof value === 'object') {
    const skip = omitted.get(value);
    const keys = Object.keys(value).filter((k) => value[k] !== undefined && typeof value[k] !== 'function' && !skip?.has(k));
    // a map's keys are sorted; so are those of a struct with a MarshalJSON (docker's
    // formatter contexts marshal a map of their fields)
    if (structType(value) === undefined || htmlEscaped.has(value)) keys.sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${encode(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Go's strconv.Quote for the printable subset: like JSON's, with \x for other control bytes. */
export function goQuote(text: string): string {
  return JSON.stringify(text).replace(/\\u00([0-7][0-9a-f])/g, (_m, hex: string) => {
    const code = parseInt(hex, 16);
    const named: Record<number, string> = { 7: '\\a', 11: '\\v', 127: '\\x7f' };
    return named[code] ?? `\\x${hex}`;
  });
}

function pad(text: string, width: number | undefined, flags: string): string {
  if (width === undefined || text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width);
  if (flags.includes('0') && /^[+-]?\d/.test(text)) {
    const sign = /^[+-]/.test(text) ? text[0]! : '';
    return sign + text.slice(sign.length).padStart(width - sign.length, '0');
  }
  return text.padStart(width);
}

function verb(v: string, arg: Value, flags: string, precision: number | undefined): string {
  const plus = flags.includes('+') ? '+' : '';
  switch (v) {
    case 'v':
      return printValue(arg);
    case 's': {
      const text = printValue(arg);
      return precision === undefined ? text : [...text].slice(0, precision).join('');
    }
    case 'q':
      return typeof arg === 'string' ? goQuote(arg) : `%!q(${goType(arg)}=${printValue(arg)})`;
    case 'd':
      if (typeof arg !== 'number' || !Number.isInteger(arg)) return `%!d(${goType(arg)}=${printValue(arg)})`;
      return (arg >= 0 ? plus : '') + String(arg);
    case 't':
      return typeof arg === 'boolean' ? String(arg) : `%!t(${goType(arg)}=${printValue(arg)})`;
    case 'x': case 'X': {
      let text: string;
      if (typeof arg === 'number' && Number.isInteger(arg)) text = arg.toString(16);
      else if (typeof arg === 'string') text = Buffer.from(arg).toString('hex');
      else return `%!${v}(${goType(arg)}=${printValue(arg)})`;
      if (flags.includes('#')) text = `0x${text}`;
      return v === 'X' ? text.toUpperCase() : text;
    }
    case 'f': case 'e': case 'g': {
      if (typeof arg !== 'number') return `%!${v}(${goType(arg)}=${printValue(arg)})`;
      let text: string;
      if (v === 'f') text = arg.toFixed(precision ?? 6);
      else if (v === 'e') text = arg.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      else text = precision === undefined ? String(arg) : String(Number(arg.toPrecision(precision)));
      return (arg >= 0 ? plus : '') + text;
    }
    default:
      return `%!${v}(${goType(arg)}=${printValue(arg)})`;
  }
}

/** fmt.Sprintf for the verbs above; extra or missing operands are reported as Go does. */
export function goSprintf(format: string, args: Value[]): string {
  let out = '';
  let next = 0;
  const pattern = /%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g;
  let last = 0;
  for (let match = pattern.exec(format); match; match = pattern.exec(format)) {
    out += format.slice(last, match.index);
    last = pattern.lastIndex;
    const [, flags = '', width, precision, v] = match;
    if (v === '%') {
      out += '%';
      continue;
    }
    if (next >= args.length) {
      out += `%!${v}(MISSING)`;
      continue;
    }
    const text = verb(v!, args[next++], flags, precision === undefined ? undefined : Number(precision));
    out += pad(text, width === undefined ? undefined : Number(width), flags);
  }
  out += format.slice(last);
  if (next < args.length) out += `%!(EXTRA ${args.slice(next).map((a) => `${goType(a)}=${printValue(a)}`).join(', ')})`;
  return out;
}

/** fmt.Sprint: a space between operands when neither is a string. */
export function goSprint(args: Value[]): string {
  let out = '';
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += printValue(arg);
  });
  return out;
}

/** fmt.Sprintln: spaces between all operands, and a newline. */
export function goSprintln(args: Value[]): string {
  return `${args.map((a) => printValue(a)).join(' ')}\n`;
}
