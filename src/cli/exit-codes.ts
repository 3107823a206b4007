/** The CLI's exit codes, for scripts (documented in `mediavault --help`). */
export const ExitCode = {
  Ok: 0,
  /** The command failed (configuration, database or storage unavailable, a job that failed…). */
  Failure: 1,
  /** Bad arguments or options. */
  Usage: 2,
  /** `import`: finished, but some files could not be imported (listed in the summary). */
  PartialFailure: 3,
  /** Interrupted (Ctrl-C / SIGTERM); whatever was imported stays, running again resumes. */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A command's own failure with a message for people and the exit code to end with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.Failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
