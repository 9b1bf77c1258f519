import { monotonicFactory } from "ulid";
import { z } from "zod";
import { CortexCoreError, describeValue } from "./errors.js";

/** `evt_<ULID>`: an event id, also the ledger's dedup key. */
export type EventId = `evt_${string}`;
/** `cor_<ULID>`: the correlation id of one runtime run. */
export type CorrelationId = `cor_${string}`;
/**
 * `<prefix>_<ULID>` for Cortex ids whose prefix is not known upstream
 * (context pack, trace, doctrine, memory, principle …); see ADR 0005.
 */
export type PrefixedId = `${string}_${string}`;

/**
 * Canonical ULID text: 26 upper-case Crockford base32 characters, the first
 * at most `7` so the value fits 128 bits. Lower case is rejected so that an id
 * has exactly one spelling (ADR 0005).
 */
const ULID_PATTERN = "[0-7][0-9A-HJKMNP-TV-Z]{25}";
const ULID_RE = new RegExp(`^${ULID_PATTERN}$`);
const PREFIXED_ID_RE = new RegExp(`^([a-z][a-z0-9]*)_(.*)$`);
const ANY_PREFIXED_ID_RE = new RegExp(`^[a-z][a-z0-9]*_${ULID_PATTERN}$`);

const nextUlid = monotonicFactory();

/** A new event id, `evt_<ULID>`; ULIDs are monotonic within one millisecond. */
export function newEventId(): EventId {
  return `evt_${nextUlid()}`;
}

/** A new correlation id, `cor_<ULID>`. */
export function newCorrelationId(): CorrelationId {
  return `cor_${nextUlid()}`;
}

/** A new id with any lower-case prefix, `<prefix>_<ULID>`. */
export function newPrefixedId<P extends string>(prefix: P): `${P}_${string}` {
  if (!/^[a-z][a-z0-9]*$/.test(prefix)) {
    throw new CortexCoreError("InvalidId", `id prefix ${describeValue(prefix)} must match [a-z][a-z0-9]*`);
  }
  return `${prefix}_${nextUlid()}`;
}

function explain(value: unknown, prefix: string | undefined): string | undefined {
  if (typeof value !== "string") return `expected a string id, got ${describeValue(value)}`;
  const match = PREFIXED_ID_RE.exec(value);
  if (!match) return `id ${describeValue(value)} is not <prefix>_<ULID>`;
  const [, actualPrefix = "", ulid = ""] = match;
  if (prefix !== undefined && actualPrefix !== prefix) {
    return `id ${describeValue(value)} has prefix "${actualPrefix}", expected "${prefix}"`;
  }
  if (!ULID_RE.test(ulid)) {
    return `id ${describeValue(value)} does not end in a canonical ULID (26 upper-case Crockford base32 characters, first at most 7)`;
  }
  return undefined;
}

/** Returns the id when it is `<prefix>_<ULID>`; throws `CortexCoreError` (`InvalidId`) otherwise. */
export function parsePrefixedId<P extends string>(value: unknown, prefix: P): `${P}_${string}` {
  const problem = explain(value, prefix);
  if (problem !== undefined) throw new CortexCoreError("InvalidId", problem);
  return value as `${P}_${string}`;
}

/** Returns `value` as an `EventId`; throws `CortexCoreError` (`InvalidId`) on a wrong prefix or malformed ULID. */
export function parseEventId(value: unknown): EventId {
  return parsePrefixedId(value, "evt");
}

/** Returns `value` as a `CorrelationId`; throws `CortexCoreError` (`InvalidId`) on a wrong prefix or malformed ULID. */
export function parseCorrelationId(value: unknown): CorrelationId {
  return parsePrefixedId(value, "cor");
}

/** True when `value` is `<prefix>_<ULID>` (with that prefix when one is given). */
export function isPrefixedId(value: unknown, prefix?: string): boolean {
  return prefix === undefined
    ? typeof value === "string" && ANY_PREFIXED_ID_RE.test(value)
    : explain(value, prefix) === undefined;
}

function idSchema<T extends string>(prefix: string | undefined) {
  return z.custom<T>((value) => explain(value, prefix) === undefined, {
    error: (issue) => explain(issue.input, prefix) ?? "invalid id",
  });
}

export const EventIdSchema = idSchema<EventId>("evt");
export const CorrelationIdSchema = idSchema<CorrelationId>("cor");
/** Any `<prefix>_<ULID>` id (prefix not checked). */
export const PrefixedIdSchema = idSchema<PrefixedId>(undefined);
