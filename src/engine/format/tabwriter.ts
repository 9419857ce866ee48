/**
 * Go's text/tabwriter, as docker's tables use it: NewWriter(out, minwidth 10, tabwidth 1,
 * padding 3, padchar ' ', flags 0) (docker/cli formatter.go). A cell is text ended by a tab;
 * the text after a line's last tab is not a cell and is never padded. A column's width is
 * the widest cell of a *block* of consecutive lines that have that column, plus the
 * padding, and at least minwidth; a line with fewer cells ends the block (tabwriter.go's
 * `format`, which this follows step by step). Widths count characters (runes), as Go's.
 */

interface Options {
  minWidth: number;
  padding: number;
}

export const DOCKER_TABLE: Options = { minWidth: 10, padding: 3 };

export function tabwrite(text: string, options: Options = DOCKER_TABLE): string {
  const endsWithNewline = text.endsWith('\n');
  const lines = (endsWithNewline ? text.slice(0, -1) : text).split('\n').map((line) => line.split('\t'));
  const width = (cell: string) => [...cell].length;
  const widths: number[] = [];
  let out = '';

  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      cells.forEach((cell, j) => {
        out += cell;
        // every tab-terminated cell is padded to its column's width
        if (j < cells.length - 1 && j < widths.length) out += ' '.repeat(Math.max(0, widths[j]! - width(cell)));
      });
      if (i < lines.length - 1 || endsWithNewline) out += '\n';
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    let start = line0;
    for (let current = line0; current < line1; current++) {
      if (column >= lines[current]!.length - 1) continue;
      // a block of lines with a cell in this column begins here
      writeLines(start, current);
      start = current;
      let w = options.minWidth;
      for (; current < line1; current++) {
        const cells = lines[current]!;
        if (column >= cells.length - 1) break;
        w = Math.max(w, width(cells[column]!) + options.padding);
      }
      widths.push(w);
      format(start, current);
      widths.pop();
      start = current;
      current--; // the loop's ++ revisits the line that ended the block
    }
    writeLines(start, line1);
  };

  format(0, lines.length);
  return out;
}
