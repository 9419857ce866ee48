/**
 * `--format` for the list verbs (`container ls`, `stats`, `image history`, `system df`), as
 * docker's formatter.Context writes them: "table …" gets a header row and tab-aligned
 * columns (tabwriter.ts), "json" is `{{json .}}` per line, anything else is a Go template
 * run once per row, each row ending with a newline. A literal `\t` or `\n` in the format
 * stands for a tab or a newline, and spaces around it are trimmed (formatter.go preFormat).
 */
import { RuntimeError } from '../../errors.js';
import type { Value } from './go-print.js';
import { tabwrite } from './tabwriter.js';
import { compileTemplate, HEADER_FUNCTIONS } from './template.js';

export interface ListFormat {
  /** whether it is a table: a header row and aligned columns */
  table: boolean;
  body: string;
}

/**
 * What `source` asks for; `defaultTable` is the verb's "table …" used for "" and "table",
 * and `quietField` ("{{.ID}}") what -q prints.
 */
export function listFormat(source: string | undefined, defaultTable: string): ListFormat {
  let format = source === undefined || source === '' || source === 'table' ? defaultTable : source;
  if (format === 'json') format = '{{json .}}';
  const table = format.startsWith('table');
  let body = table ? format.slice('table'.length) : format;
  body = body.replace(/^ +| +$/g, '').replaceAll('\\t', '\t').replaceAll('\\n', '\n');
  return { table, body };
}

/** The rows through the format; `header` maps each field to its column title ("ID" → "CONTAINER ID"). */
export function renderList(format: ListFormat, rows: Value[], header: Record<string, Value>): string {
  const template = compileTemplate(format.body);
  let out = '';
  try {
    for (const row of rows) out += `${template.execute(row)}\n`;
  } catch (error) {
    // docker's words for a template that fails on a row (ps, images, stats…)
    if (error instanceof RuntimeError) throw new RuntimeError(`failed to execute template: ${error.message}`);
    throw error;
  }
  if (!format.table) return out;
  let head = '';
  try {
    head = template.execute(header, HEADER_FUNCTIONS);
  } catch {
    // docker ignores an error in the header row (a method with arguments, say) and keeps what it wrote
  }
  return tabwrite(`${head}\n${out}`);
}
