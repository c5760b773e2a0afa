// Lines of text cut into terminal rows by the approval prompt itself, so it
// knows which rows are on screen (the full view counts what was read). The
// terminal's own wrapping is turned off while it draws: a row that came out
// wider than the screen would be clipped, unseen, so widths are counted
// high: 1 column for printable ASCII, 2 for anything else (wide CJK and
// emoji take 2, the rest 1). Everything here is already display-escaped.

export interface Row {
  text: string;
  /** Index of the line this row shows part of. */
  line: number;
  /** The part of the line, as [start, end) in UTF-16 units. */
  start: number;
  end: number;
}

export function charWidth(c: string): 1 | 2 {
  const code = c.codePointAt(0)!;
  return code >= 0x20 && code < 0x7f ? 1 : 2;
}

export function textWidth(s: string): number {
  let w = 0;
  for (const c of s) w += charWidth(c);
  return w;
}

/** One line as rows of at most `cols` columns; rows after the first start
 * with `indent` spaces (dropped on screens too narrow for it). */
export function wrapLine(text: string, line: number, cols: number, indent: number): Row[] {
  const width = Math.max(2, cols);
  const pad = indent > 0 && width - indent >= 10 ? ' '.repeat(indent) : '';
  const rows: Row[] = [];
  let start = 0;
  let at = 0;
  let used = 0;
  let row = '';
  for (const c of text) {
    const w = charWidth(c);
    if (used + w > width && row !== '') {
      rows.push({ text: row, line, start, end: at });
      start = at;
      row = pad;
      used = pad.length;
    }
    row += c;
    used += w;
    at += c.length;
  }
  rows.push({ text: row, line, start, end: at });
  return rows;
}

export function wrapLines(lines: readonly string[], cols: number, indent: number): Row[] {
  return lines.flatMap((text, i) => wrapLine(text, i, cols, indent));
}
