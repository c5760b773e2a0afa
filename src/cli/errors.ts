// An error the user can act on: printed as one `execgate: ...` line, with
// the given exit status, never as a stack trace.
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The machine lacks something execgate needs (exit status 4). */
export class SetupError extends Error {
  override name = 'SetupError';
}
