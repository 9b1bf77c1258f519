/**
 * The one error class of `@cellos-cortex/doctrine`. `kind` says what went
 * wrong; the message names the offending value, and rule-table errors carry
 * every problem found (`issues`), each with its JSON-pointer path.
 */
export type DoctrineErrorKind =
  /** The rule-table text is not parseable YAML/JSON (syntax, duplicate key, alias bomb). */
  | "RuleTableSyntax"
  /** The rule table parsed but does not match the pinned shape (wrong type, unknown op, bad value). */
  | "InvalidRuleTable"
  /** The document handed to `apply` fails `validateExecutionCellDocument`, or cannot be copied. */
  | "InvalidDocument"
  /** The doctrine refs handed to `apply` are not an array of strings. */
  | "InvalidDoctrineRefs";

/** One problem in a rule table: where (`path`, a JSON pointer into the table) and what. */
export interface DoctrineIssue {
  readonly path: string;
  readonly message: string;
}

export class DoctrineError extends Error {
  override readonly name = "DoctrineError";
  readonly kind: DoctrineErrorKind;
  /** Every problem found, for `RuleTableSyntax` / `InvalidRuleTable`; empty otherwise. */
  readonly issues: readonly DoctrineIssue[];

  constructor(
    kind: DoctrineErrorKind,
    message: string,
    options?: { cause?: unknown; issues?: readonly DoctrineIssue[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.issues = Object.freeze([...(options?.issues ?? [])]);
  }
}

/** A short, bounded rendering of an arbitrary value for error messages. */
export function describeValue(value: unknown, maxLength = 80): string {
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value);
  else if (typeof value === "bigint") text = `${value.toString()}n`;
  else if (typeof value === "function") text = "a function";
  else if (typeof value === "symbol") text = value.toString();
  else if (value === undefined) text = "undefined";
  else {
    try {
      // JSON.stringify gives undefined only for functions/symbols/undefined, handled above.
      text = JSON.stringify(value) ?? "undefined";
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}
