/**
 * The one error class this package throws. `kind` says what went wrong; the
 * message names the offending value (a cell id, a path, an option, a status).
 */
export const BRIDGE_ERROR_KINDS = [
  /** A context pack (or a Cortex pack being projected) is not valid. */
  "InvalidPack",
  /** A constructor or method was given an option outside its range. */
  "InvalidOptions",
  /** A translated or submitted ExecutionCell document is not valid, or asks for something the host cannot do. */
  "InvalidDocument",
  /** A submitter returned something that is not a `CellSubmissionOutcome`. */
  "InvalidOutcome",
  /** A CloudEvent handed to the ledger emitter is not a valid CloudEvent. */
  "InvalidEvent",
  /** The submitter threw or rejected. */
  "Submit",
  /** A CellOS server answered with an error status (see `status` and `body`). */
  "Http",
  /** A wait gave up after its `timeoutMs`. */
  "Timeout",
  /** The caller's AbortSignal fired. */
  "Aborted",
  /** Neither inline lifecycle events nor a result source can tell how the cell ended. */
  "NoResultSource",
  /** The result source or tracker failed while waiting. */
  "ResultSource",
  /** A declared secret could not be resolved. */
  "Secret",
  /** A cell's work directory or export could not be prepared or copied. */
  "Io",
  /** Bubblewrap isolation was required but is not available. */
  "Isolation",
  /** The ledger refused a row. */
  "Ledger",
  /** The host, runner or emitter was closed. */
  "Closed",
] as const;

export type BridgeErrorKind = (typeof BRIDGE_ERROR_KINDS)[number];

export interface BridgeErrorOptions {
  readonly cause?: unknown;
  /** The cell the error is about, when there is one. */
  readonly cellId?: string;
  /** `Http` only: the response status. */
  readonly status?: number;
  /** `Http` only: the response body (at most 4 KiB of it). */
  readonly body?: string;
}

export class BridgeError extends Error {
  override readonly name = "BridgeError";
  readonly kind: BridgeErrorKind;
  readonly cellId: string | undefined;
  readonly status: number | undefined;
  readonly body: string | undefined;

  constructor(kind: BridgeErrorKind, message: string, options: BridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.cellId = options.cellId;
    this.status = options.status;
    this.body = options.body;
  }
}

export function isBridgeError(value: unknown, kind?: BridgeErrorKind): value is BridgeError {
  return value instanceof BridgeError && (kind === undefined || value.kind === kind);
}

/** The message of any thrown value, for wrapping it in a `BridgeError`. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
