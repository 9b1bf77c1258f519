/**
 * The one error class of `@cellos-cortex/ledger`. `kind` says what went wrong;
 * the message names the offending value (a path, a pid, a row index), never
 * key material.
 */
export type LedgerErrorKind =
  /** A file-system call failed (the message names the path and the errno code). */
  | "Io"
  /** Another live writer holds the ledger's lock file (its pid is in the message). */
  | "Locked"
  /** The file ends in a partial row (crash mid-write); appending is refused until repaired. */
  | "TornTail"
  /** A complete row does not decode (bad framing, bad JSON, bad envelope, bad row hash). */
  | "Corrupt"
  /** The event given to `append` is not a valid CortexEvent (or cannot be canonicalized). */
  | "InvalidEvent"
  /** An already-sealed event does not link to the ledger's head. */
  | "ChainMismatch"
  /** A key is not an Ed25519 key of the expected type, or cannot be imported. */
  | "InvalidKey"
  /** An option has a value outside its domain. */
  | "InvalidOption"
  /** The ledger was closed, or failed earlier and refuses further writes. */
  | "Closed"
  /** The operation was aborted through its AbortSignal. */
  | "Aborted";

export class LedgerError extends Error {
  override readonly name = "LedgerError";
  readonly kind: LedgerErrorKind;

  constructor(kind: LedgerErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

/** Wraps a failed file-system call as `LedgerError` (`Io`), naming what and where. */
export function ioError(action: string, path: string, cause: unknown): LedgerError {
  const code = errnoCode(cause);
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new LedgerError("Io", `${action} ${JSON.stringify(path)} failed${code ? ` (${code})` : ""}: ${detail}`, { cause });
}

/** The `code` of a Node system error (`ENOENT`, `EEXIST`, …), if any. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const { code } = error;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

/** Throws `LedgerError` (`Aborted`) when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) {
    throw new LedgerError("Aborted", `${what} aborted`, { cause: signal.reason });
  }
}
