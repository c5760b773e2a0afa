// Lines out of bytes that arrive in pieces (a socket's, a FIFO's), read as
// latin1: a byte a character, whatever the peer sends.

/** What a line that grows past the limit without ending means: a peer
 * breaking its protocol ('throw'), or text that is not ours to hold
 * ('drop': it is forgotten, and the reader goes on with what follows). */
export type Overlong = 'throw' | 'drop';

export class LineReader {
  #partial = '';

  constructor(
    private readonly max: number,
    private readonly overlong: Overlong,
  ) {}

  /** The complete lines in data (and what was left before it). */
  push(data: Buffer): string[] {
    const lines = (this.#partial + data.toString('latin1')).split('\n');
    this.#partial = lines.pop()!;
    if (this.#partial.length > this.max) {
      if (this.overlong === 'throw') throw new Error(`a line over ${this.max} bytes without an end`);
      this.#partial = '';
    }
    return lines;
  }
}
