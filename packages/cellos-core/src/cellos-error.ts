/** The eight upstream `CellosError` variants. */
export type CellosErrorKind =
  | "InvalidSpec"
  | "ArgvTooLarge"
  | "Host"
  | "EventSink"
  | "SecretBroker"
  | "ExportSink"
  | "Lifecycle"
  | "InferenceBroker";

/** The kinds whose upstream variant carries one detail string. */
export type CellosDetailErrorKind = Exclude<CellosErrorKind, "ArgvTooLarge">;

/** One problem found in an input, located by its JSON path (e.g. `spec.run.argv[0]`). */
export interface CellosProblem {
  /** Dotted JSON path, `[n]` for array indices, `["odd key"]` for keys that are not identifiers; `(root)` for the input itself. */
  readonly path: string;
  /** The same path as segments. */
  readonly segments: readonly (string | number)[];
  readonly message: string;
}

const PREFIX: Record<CellosDetailErrorKind, string> = {
  InvalidSpec: "invalid cell specification",
  Host: "host backend",
  EventSink: "event sink",
  SecretBroker: "secret broker",
  ExportSink: "export sink",
  Lifecycle: "lifecycle",
  InferenceBroker: "inference broker",
};

/** How many problems the message spells out; `problems` always holds all of them. */
const MESSAGE_PROBLEM_LIMIT = 50;

/** The two numbers of `ArgvTooLarge`. */
export interface ArgvSizes {
  readonly encodedBytes: number;
  readonly limitBytes: number;
}

export interface CellosErrorOptions {
  readonly problems?: readonly CellosProblem[];
  readonly cause?: unknown;
}

/**
 * Mirror of upstream `cellos_core::CellosError`: a `kind` discriminant and the
 * upstream Display text as `message` (`invalid cell specification: …`,
 * `spec.run.argv encoded as base64 is N bytes; exceeds 3072-byte kernel cmdline limit`, …).
 */
export class CellosError extends Error {
  override readonly name = "CellosError";
  readonly kind: CellosErrorKind;
  /** The variant's inner string (for ArgvTooLarge, the message itself). */
  readonly detail: string;
  /** Every problem found, for InvalidSpec (and ArgvTooLarge: its one problem). */
  readonly problems: readonly CellosProblem[];
  /** ArgvTooLarge only: length of the base64 string. */
  declare readonly encodedBytes?: number;
  /** ArgvTooLarge only: the limit it exceeds. */
  declare readonly limitBytes?: number;

  constructor(kind: CellosDetailErrorKind, detail: string, options?: CellosErrorOptions);
  constructor(kind: "ArgvTooLarge", sizes: ArgvSizes, options?: CellosErrorOptions);
  constructor(kind: CellosErrorKind, detailOrSizes: string | ArgvSizes, options: CellosErrorOptions = {}) {
    const message =
      typeof detailOrSizes === "string"
        ? `${PREFIX[kind === "ArgvTooLarge" ? "InvalidSpec" : kind]}: ${detailOrSizes}`
        : argvTooLargeMessage(detailOrSizes.encodedBytes, detailOrSizes.limitBytes);
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.detail = typeof detailOrSizes === "string" ? detailOrSizes : message;
    this.problems = options.problems ?? [];
    if (typeof detailOrSizes !== "string") {
      this.encodedBytes = detailOrSizes.encodedBytes;
      this.limitBytes = detailOrSizes.limitBytes;
    }
  }

  /** `CellosError::ArgvTooLarge { encoded_bytes, limit_bytes }`, located at `spec.run.argv` unless told. */
  static argvTooLarge(encodedBytes: number, limitBytes: number, segments: readonly (string | number)[] = ["spec", "run", "argv"]): CellosError {
    const message = argvTooLargeMessage(encodedBytes, limitBytes);
    return new CellosError("ArgvTooLarge", { encodedBytes, limitBytes }, {
      problems: [{ path: formatJsonPath(segments), segments: [...segments], message }],
    });
  }

  /** `InvalidSpec` listing every problem, each with its JSON path. */
  static invalidSpec(problems: readonly CellosProblem[]): CellosError {
    const shown = problems.slice(0, MESSAGE_PROBLEM_LIMIT).map((p) => `${p.path}: ${p.message}`);
    const more = problems.length > MESSAGE_PROBLEM_LIMIT ? `; … and ${problems.length - MESSAGE_PROBLEM_LIMIT} more problems` : "";
    const count = problems.length === 1 ? "" : `${problems.length} problems: `;
    return new CellosError("InvalidSpec", `${count}${shown.join("; ")}${more}`, { problems });
  }
}

/** Upstream Display of `ArgvTooLarge`. */
export function argvTooLargeMessage(encodedBytes: number, limitBytes: number): string {
  return `spec.run.argv encoded as base64 is ${encodedBytes} bytes; exceeds ${limitBytes}-byte kernel cmdline limit`;
}

/** `true` when `value` is a CellosError (of the given kind, if one is given). */
export function isCellosError(value: unknown, kind?: CellosErrorKind): value is CellosError {
  return value instanceof CellosError && (kind === undefined || value.kind === kind);
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `["spec", "run", "argv", 0]` → `spec.run.argv[0]`; `[]` → `(root)`. */
export function formatJsonPath(segments: readonly (string | number)[]): string {
  if (segments.length === 0) return "(root)";
  let out = "";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (segment.length <= 64 && IDENTIFIER.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment.length > 64 ? `${segment.slice(0, 64)}…` : segment)}]`;
  }
  return out;
}

/** A short, safe rendering of an offending value for messages (never the whole of a 10 MB string). */
export function previewValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "string") {
    const shown = value.length > 64 ? `${value.slice(0, 64)}…` : value;
    return `${JSON.stringify(shown)}${value.length > 64 ? ` (${value.length} chars)` : ""}`;
  }
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return `array(${value.length})`;
  return typeof value;
}
