/**
 * Exit codes of the `cellos-cortex` CLI (documented in the app README).
 * 0 success; 1 the operation ran and failed (cell failed, ledger does not
 * verify); 2 usage or input error (bad flag, unreadable or invalid file);
 * 3 environment error (missing binary, port in use, server unreachable).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, environment: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line: what happened, where, how to fix it. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
