import type { ExecutionCellDocument } from "@cellos-cortex/cellos-core";

/**
 * One change a policy made: the JSON pointer of the value, what it was and
 * what it became. `before` is `undefined` when the path was absent; setting
 * every `path` to `after` in the input gives the output.
 */
export interface DoctrineChange {
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** A doctrine id that matched a rule, and the changes that rule is responsible for (may be empty). */
export interface AppliedDoctrine {
  readonly doctrineId: string;
  readonly changes: readonly DoctrineChange[];
}

/** The result of {@link AuthorityPolicy.apply}. */
export interface PolicyApplication {
  /** A new document; the input is never mutated and shares nothing with it. */
  readonly document: ExecutionCellDocument;
  /** Matched doctrine ids, each once, in the order of first mention. */
  readonly applied: readonly AppliedDoctrine[];
  /** Refs that matched no rule, each once, in the order of first mention. They changed nothing. */
  readonly unknownDoctrineIds: readonly string[];
}

/** Narrows a cell document's authority according to doctrine refs; never widens it. */
export interface AuthorityPolicy {
  apply(document: ExecutionCellDocument, doctrineRefs: readonly string[]): PolicyApplication;
}
