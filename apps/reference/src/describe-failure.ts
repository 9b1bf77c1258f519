import { CliError, EXIT } from "./cli-error.js";
import type { ExitCode } from "./cli-error.js";

export interface Failure {
  readonly message: string;
  readonly hint?: string;
  readonly exitCode: ExitCode;
}

/** Error kinds that mean the input was wrong (exit 2) rather than the environment (exit 3) or the run (exit 1). */
const INPUT_KINDS = new Set(["InvalidSpec", "ArgvTooLarge", "InvalidPack", "InvalidDocument", "InvalidOptions", "InvalidRuleTable", "InvalidDoctrineRefs", "InvalidContextPack", "InvalidRequest", "InvalidKey", "InvalidOption"]);
const ENVIRONMENT_KINDS = new Set(["Isolation", "Io", "Locked", "Transport", "Http", "NoFixture", "FixtureIntegrityFailed", "NoResultSource", "Source"]);

/** One line for any error the commands throw: our packages' errors carry a `kind`, and messages that name the value. */
export function describeFailure(error: unknown): Failure {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode, ...(error.hint === undefined ? {} : { hint: error.hint }) };
  if (error instanceof Error) {
    const kind = (error as { kind?: unknown }).kind;
    const firstLine = error.message.split("\n")[0] ?? error.message;
    if (typeof kind === "string") {
      const exitCode = INPUT_KINDS.has(kind) ? EXIT.usage : ENVIRONMENT_KINDS.has(kind) ? EXIT.environment : EXIT.failed;
      const hint = kind === "Isolation" ? "install bubblewrap (apt-get install bubblewrap) or pass --isolation none" : undefined;
      return { message: `${error.name} (${kind}): ${firstLine}`, exitCode, ...(hint === undefined ? {} : { hint }) };
    }
    return { message: firstLine, exitCode: EXIT.failed, hint: "run again with --debug for the stack trace" };
  }
  return { message: String(error), exitCode: EXIT.failed };
}
