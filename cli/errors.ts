/** Exit codes of a setup problem (no key file, no token) and of a server that does not answer. */
export const EXIT_SETUP = 2;
export const EXIT_UNREACHABLE = 5;

/** A command's failure: printed as one line, with an exit code that says what kind. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
