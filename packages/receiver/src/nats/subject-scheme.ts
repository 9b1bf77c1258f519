import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import { eventCellId } from "../cell-result.js";
import { ReceiverError } from "../receiver-error.js";

/**
 * The subject scheme of CellOS events on NATS (ADR-0027):
 *
 *     <prefix>.<cell token>.<type tokens>
 *     cellos.events.cortex-abc-task.dev.cellos.events.cell.lifecycle.v1.destroyed
 *
 * - `<prefix>`: one or more plain tokens (default `cellos.events`); the stream holds `<prefix>.>`.
 * - `<cell token>`: the event's `data.cellId`, escaped by {@link encodeSubjectToken} (cell ids
 *   may contain `.`), or `~` when the event names no cell.
 * - `<type tokens>`: the CloudEvent `type`, split at `.`, each part escaped (an empty part is `~`).
 *
 * So one cell's events are `<prefix>.<cell token>.>` (one filter subject per consumer, which
 * nats-server 2.9 requires) and one type across all cells is `<prefix>.*.<type tokens>`.
 */
export const DEFAULT_EVENT_SUBJECT_PREFIX = "cellos.events";

/** The stream that holds `<prefix>.>` by default. */
export const DEFAULT_EVENT_STREAM = "CELLOS_EVENTS";

/** The cell token of an event that names no cell, and the token of an empty type part. */
export const NO_CELL_TOKEN = "~";

/** Characters kept as they are in a subject token; every other UTF-8 byte becomes `%XX`. */
const PLAIN = /^[A-Za-z0-9_-]$/;
const PLAIN_TOKEN = /^[A-Za-z0-9_-]+$/;
const ESCAPE = /%([0-9A-F]{2})/g;
const ENCODED_TOKEN = /^(?:[A-Za-z0-9_-]|%[0-9A-F]{2})+$/;

/**
 * Escapes any string into one NATS subject token, injectively: `[A-Za-z0-9_-]` stay, every
 * other UTF-8 byte (`.`, `*`, `>`, `%`, whitespace, …) becomes `%XX` (upper-case hex). The
 * empty string has no token; callers map it to {@link NO_CELL_TOKEN}.
 */
export function encodeSubjectToken(value: string): string {
  if (PLAIN_TOKEN.test(value)) return value;
  let out = "";
  for (const char of value) {
    if (PLAIN.test(char)) {
      out += char;
      continue;
    }
    for (const byte of Buffer.from(char, "utf8")) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Inverse of {@link encodeSubjectToken}; throws `InvalidOptions` for a string it could not have produced. */
export function decodeSubjectToken(token: string): string {
  if (!ENCODED_TOKEN.test(token)) throw new ReceiverError("InvalidOptions", `not an encoded subject token: ${JSON.stringify(token)}`);
  if (!token.includes("%")) return token;
  const bytes: number[] = [];
  let last = 0;
  for (const match of token.matchAll(ESCAPE)) {
    for (const byte of Buffer.from(token.slice(last, match.index), "utf8")) bytes.push(byte);
    bytes.push(Number.parseInt(match[1] ?? "", 16));
    last = match.index + match[0].length;
  }
  for (const byte of Buffer.from(token.slice(last), "utf8")) bytes.push(byte);
  const decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  try {
    return decoded.decode(Uint8Array.from(bytes));
  } catch (cause) {
    throw new ReceiverError("InvalidOptions", `subject token ${JSON.stringify(token)} does not decode to UTF-8`, { cause });
  }
}

/** The cell token of a cell id (`~` for none or ""). */
export function cellSubjectToken(cellId: string | undefined): string {
  return cellId === undefined || cellId === "" ? NO_CELL_TOKEN : encodeSubjectToken(cellId);
}

/** Types seen so far and their tokens: a supervisor sends a handful of types, millions of times. */
const typeTokens = new Map<string, string>();
const TYPE_CACHE_LIMIT = 256;

/** The type tokens of a CloudEvent type (`a.b` → `a.b`; each part escaped, an empty part `~`). */
export function typeSubjectTokens(type: string): string {
  const cached = typeTokens.get(type);
  if (cached !== undefined) return cached;
  const tokens = type
    .split(".")
    .map((part) => (part === "" ? NO_CELL_TOKEN : encodeSubjectToken(part)))
    .join(".");
  if (typeTokens.size < TYPE_CACHE_LIMIT) typeTokens.set(type, tokens);
  return tokens;
}

/**
 * Checks a subject prefix: one or more `.`-separated non-empty tokens without wildcards or
 * whitespace. Returns it, or throws `InvalidOptions` naming it.
 */
export function checkSubjectPrefix(prefix: unknown, what = "subjectPrefix"): string {
  if (typeof prefix !== "string" || prefix === "" || prefix.split(".").some((token) => token === "" || /[\s*>]/.test(token))) {
    throw new ReceiverError("InvalidOptions", `${what} must be one or more "."-separated tokens without wildcards or whitespace, got ${JSON.stringify(prefix)}`);
  }
  return prefix;
}

/** `<prefix>.<cell token>.<type tokens>` for a cell id and an event type. */
export function cellEventSubject(prefix: string, cellId: string | undefined, type: string): string {
  return `${prefix}.${cellSubjectToken(cellId)}.${typeSubjectTokens(type)}`;
}

/** The subject an event is published to: by its `data.cellId` and `type`. */
export function eventSubject(prefix: string, event: CloudEventV1): string {
  return cellEventSubject(prefix, eventCellId(event), event.type);
}

/** The filter subject of one cell's events: `<prefix>.<cell token>.>`. */
export function cellSubjectFilter(prefix: string, cellId: string): string {
  return `${prefix}.${cellSubjectToken(cellId)}.>`;
}

/** The subjects of a whole event stream: `<prefix>.>`. */
export function streamSubjectFilter(prefix: string): string {
  return `${prefix}.>`;
}
