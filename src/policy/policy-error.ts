// A policy that cannot be loaded: the file, the line and what is wrong. Its
// own module, so that the CLI can name it without loading the parser.
export class PolicyError extends Error {
  override name = 'PolicyError';
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly cause_: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${cause_}`);
  }
}
