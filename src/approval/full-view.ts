// The whole request, paged: what `v` shows in the terminal prompt (the tmux
// popup, `execgate approve`, serve's terminal). It also keeps count of what
// was read: rows 0..seen have all been on screen, because the view only
// counts a page that starts at or before the first row not yet seen. Jumping
// to the end shows the end but does not count the middle. Once every row was
// seen the request has been read in full, and stays so; a resize re-wraps
// the text and keeps what was read, by position in the text.
import { wrapLines, type Row } from './wrap.js';

/** Continuation rows are indented past the field labels. */
const INDENT = 11;

export class FullView {
  private rows: Row[] = [];
  private cols = 0;
  private height = 1;
  /** Index of the first row on screen. */
  private top = 0;
  /** Rows 0..seen were all on screen at some point; -1 for none. */
  private seen = -1;
  private done = false;

  constructor(
    private readonly lines: readonly string[],
    cols: number,
    height: number,
  ) {
    this.resize(cols, height);
  }

  get readInFull(): boolean {
    return this.done;
  }

  get total(): number {
    return this.rows.length;
  }

  /** Re-wraps for a new screen size, keeping the top row and what was read
   * (nothing to do when the size is the same). */
  resize(cols: number, height: number): void {
    if (cols === this.cols && Math.max(1, height) === this.height && this.rows.length > 0) return;
    this.cols = cols;
    const topAt = this.rows[this.top];
    const seenAt = this.seen >= 0 ? this.rows[this.seen] : undefined;
    this.rows = wrapLines(this.lines, cols, INDENT);
    this.height = Math.max(1, height);
    // The last row that ends at or before a position in the text.
    const lastBefore = (at: Row | undefined) => {
      if (!at) return -1;
      let i = -1;
      for (let r = 0; r < this.rows.length; r++) {
        const row = this.rows[r]!;
        if (row.line < at.line || (row.line === at.line && row.end <= at.end)) i = r;
        else break;
      }
      return i;
    };
    this.seen = lastBefore(seenAt);
    this.top = topAt ? Math.max(0, lastBefore({ ...topAt, end: topAt.start }) + 1) : 0;
    this.moveTo(this.top);
  }

  /** The rows on screen now, and where they are (1-based, for people). */
  page(): { rows: Row[]; first: number; last: number; total: number } {
    const rows = this.rows.slice(this.top, this.top + this.height);
    return { rows, first: this.top + 1, last: this.top + rows.length, total: this.rows.length };
  }

  scroll(by: number): void {
    this.moveTo(this.top + by);
  }

  nextPage(): void {
    this.scroll(this.height);
  }

  previousPage(): void {
    this.scroll(-this.height);
  }

  home(): void {
    this.moveTo(0);
  }

  end(): void {
    this.moveTo(Number.MAX_SAFE_INTEGER);
  }

  private moveTo(top: number): void {
    this.top = Math.max(0, Math.min(top, this.rows.length - this.height));
    const bottom = Math.min(this.rows.length, this.top + this.height) - 1;
    if (this.top <= this.seen + 1) this.seen = Math.max(this.seen, bottom);
    if (this.seen >= this.rows.length - 1) this.done = true;
  }
}
