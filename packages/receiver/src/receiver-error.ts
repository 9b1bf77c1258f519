/**
 * The one error class this package throws. `kind` says what went wrong; the
 * message names the offending value (a cell id, a path, an option).
 */
export const RECEIVER_ERROR_KINDS = [
  /** A value is not a valid CloudEvent (or a request body is not a valid batch). */
  "InvalidEvent",
  /** A constructor or method was given an option outside its range. */
  "InvalidOptions",
  /** `waitFor` gave up after its `timeoutMs`. */
  "Timeout",
  /** The caller's AbortSignal fired. */
  "Aborted",
  /** The receiver or tracker was closed while the call was pending. */
  "Closed",
  /** A file system call failed for a reason other than "the file is not there yet". */
  "Io",
  /** The HTTP server could not bind its address. */
  "Listen",
  /** The event source a tracker reads from failed. */
  "Source",
] as const;

export type ReceiverErrorKind = (typeof RECEIVER_ERROR_KINDS)[number];

export class ReceiverError extends Error {
  override readonly name = "ReceiverError";
  readonly kind: ReceiverErrorKind;

  constructor(kind: ReceiverErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

export function isReceiverError(value: unknown, kind?: ReceiverErrorKind): value is ReceiverError {
  return value instanceof ReceiverError && (kind === undefined || value.kind === kind);
}
