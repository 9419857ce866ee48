/**
 * `--format` of `volume ls` and `volume inspect`: "json", "table" (ls), or a Go template
 * of the subset people write for volumes: `{{.Name}}`, `{{.Labels}}`, `{{json .Options}}`,
 * `{{index .Labels "k"}}`, `{{json .}}`, and a "table " prefix that prints a header row.
 * Anything else in {{ }} is an error naming it, never printed as it is.
 */
import { RuntimeError } from '../../errors.js';

type Fields = Record<string, unknown>;

function plain(value: unknown): string {
  if (value === undefined || value === null) return '<no value>';
  if (typeof value === 'object') {
    // Go prints a map as map[k:v]
    return `map[${Object.entries(value as Fields).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}:${String(v)}`).join(' ')}]`;
  }
  return String(value);
}

function lookup(fields: Fields, path: string, action: string): unknown {
  if (path === '.') return fields;
  if (!/^(\.[A-Za-z_][\w]*)+$/.test(path)) throw new RuntimeError(`template: ${action}: expected a field such as .Name`);
  let value: unknown = fields;
  for (const key of path.slice(1).split('.')) {
    if (typeof value !== 'object' || value === null || !(key in value)) throw new RuntimeError(`template: ${action}: can't evaluate field ${key}`);
    value = (value as Fields)[key];
  }
  return value;
}

export function renderTemplate(template: string, fields: Fields): string {
  return template.replace(/\{\{\s*(.*?)\s*\}\}/g, (_, action: string) => {
    const words = action.match(/"[^"]*"|\S+/g) ?? [];
    if (words[0] === 'json' && words.length === 2) return JSON.stringify(lookup(fields, words[1]!, action));
    if (words[0] === 'index' && words.length === 3) {
      const map = lookup(fields, words[1]!, action);
      const key = JSON.parse(words[2]!) as string;
      return plain(typeof map === 'object' && map !== null ? (map as Fields)[key] : undefined);
    }
    if (words.length === 1) return plain(lookup(fields, words[0]!, action));
    throw new RuntimeError(`template: {{${action}}}: only fields, json and index are supported`);
  }).replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

/** Rows of a "table …" format: the header is the template with each {{.Field}} in capitals, as docker's. */
export function renderTable(template: string, rows: Fields[], headers: Record<string, string>): string {
  const body = template.replace(/^table\s+/, '');
  const header = body.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, key: string) => headers[key] ?? key.toUpperCase()).replace(/\\t/g, '\t');
  const lines = [header, ...rows.map((r) => renderTemplate(body, r))];
  // docker aligns table columns with a tabwriter; columns are separated by \t here
  const cells = lines.map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const row of cells) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return cells.map((row) => row.map((c, i) => (i < row.length - 1 ? c.padEnd(widths[i]! + 3) : c)).join('').trimEnd()).join('\n') + '\n';
}
