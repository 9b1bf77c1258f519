/**
 * The one error class of `@cellos-cortex/cortex-core`. `kind` says what went
 * wrong; the message always names the offending value.
 */
export type CortexCoreErrorKind =
  /** An id is not `<prefix>_<ULID>` with the expected prefix. */
  | "InvalidId"
  /** A value is not a member of a lattice union (runtime mode, ceiling, …). */
  | "InvalidLatticeValue"
  /** A value cannot be written as RFC 8785 canonical JSON (NaN, undefined, bigint, cycle, …). */
  | "NotCanonicalizable"
  /** A hash is not 64 lowercase hex characters, or a hash does not verify. */
  | "InvalidHash"
  /** An event (wire or camelCase form) does not match the envelope schema. */
  | "InvalidEvent"
  /** A context pack does not match the Cortex pack schema. */
  | "InvalidContextPack";

export class CortexCoreError extends Error {
  override readonly name = "CortexCoreError";
  readonly kind: CortexCoreErrorKind;

  constructor(kind: CortexCoreErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

/** A short, bounded rendering of an arbitrary value for error messages. */
export function describeValue(value: unknown): string {
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value);
  else if (typeof value === "bigint") text = `${value.toString()}n`;
  else if (typeof value === "function") text = `function ${value.name || "(anonymous)"}`;
  else if (typeof value === "symbol") text = value.toString();
  else if (value === undefined) text = "undefined";
  else {
    try {
      text = JSON.stringify(value) ?? Object.prototype.toString.call(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
