import { z } from "zod";
import { CortexCoreError, describeValue } from "./errors.js";

/** A JSON value as Cortex stores it (`serde_json::Value`). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = Record<string, JsonValue>;

/** Deepest nesting `canonicalJson` accepts (serde_json itself stops parsing at 128). */
export const CANONICAL_JSON_MAX_DEPTH = 4096;

/** `String.prototype.isWellFormed` is ES2024 (Node ≥ 20); the project's lib is ES2023. */
export interface WellFormedCheck {
  isWellFormed(): boolean;
}

type Path = (string | number)[];

function renderPath(path: readonly (string | number)[]): string {
  let out = "$";
  for (const segment of path) {
    out +=
      typeof segment === "number"
        ? `[${segment}]`
        : /^[A-Za-z_$][\w$]*$/.test(segment)
          ? `.${segment}`
          : `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function fail(path: readonly (string | number)[], what: string): never {
  throw new CortexCoreError("NotCanonicalizable", `canonicalJson: ${what} at ${renderPath(path)}`);
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function className(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" ? name : "(unknown class)";
}

/**
 * Reports the first problem in `value` with its JSON path. Only called once
 * the fast walk has found something wrong, so it may be slow and careful.
 */
function diagnose(value: unknown, path: Path, ancestors: Set<object>): void {
  switch (typeof value) {
    case "string":
      // I-JSON (RFC 7493), which RFC 8785 requires: a lone surrogate is an
      // error, not something to escape (a Rust String cannot hold one either).
      if (!(value as unknown as WellFormedCheck).isWellFormed()) {
        fail(path, `string with a lone UTF-16 surrogate ${describeValue(value)}`);
      }
      return;
    case "number":
      if (!Number.isFinite(value)) fail(path, `non-finite number ${String(value)}`);
      return;
    case "boolean":
      return;
    case "undefined":
      fail(path, "undefined");
    // falls through (fail never returns)
    case "bigint":
      fail(path, `bigint ${String(value)}n`);
    // falls through
    case "function":
      fail(path, "function");
    // falls through
    case "symbol":
      fail(path, "symbol");
    // falls through
    case "object": {
      if (value === null) return;
      if (ancestors.has(value)) fail(path, "cycle");
      if (path.length >= CANONICAL_JSON_MAX_DEPTH) fail(path, `nesting deeper than ${CANONICAL_JSON_MAX_DEPTH}`);
      ancestors.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          path.push(i);
          if (!(i in value)) fail(path, "array hole (undefined)");
          diagnose(value[i], path, ancestors);
          path.pop();
        }
      } else {
        if (!isPlainObject(value)) fail(path, `non-plain object ${className(value)}`);
        for (const key of Object.keys(value)) {
          path.push(key);
          diagnose(key, path, ancestors);
          diagnose((value as Record<string, unknown>)[key], path, ancestors);
          path.pop();
        }
      }
      ancestors.delete(value);
    }
  }
}

/** Thrown inside the fast writers; the caller then runs `refuse` for a precise message. */
class NotJsonData extends Error {}
/** One preallocated instance: refusing a value costs no stack capture. */
export const INVALID = new NotJsonData("not JSON data");

/**
 * Called when a fast writer threw: rethrows anything that is not a refusal,
 * otherwise throws `NotCanonicalizable` with the path `diagnose` finds.
 */
export function refuse(value: unknown, error: unknown): never {
  if (error !== INVALID && !(error instanceof RangeError)) throw error;
  diagnose(value, [], new Set());
  // diagnose() finds whatever a writer refused; this is a safety net.
  throw new CortexCoreError("NotCanonicalizable", "canonicalJson: value is not JSON data", { cause: error });
}

/** Quoted member names, reused across calls (payloads repeat their schemas). */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_MAX = 4096;

function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    if (!(key as unknown as WellFormedCheck).isWellFormed()) throw INVALID;
    quoted = JSON.stringify(key);
    if (quotedKeys.size < QUOTED_KEYS_MAX) quotedKeys.set(key, quoted);
  }
  return quoted;
}

// The control-character range is the point: RFC 8785 escapes exactly these, the quote and the backslash.
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;
/** Strings at least this long are scanned as UTF-8 words instead of by regex / JSON.stringify. */
const LONG_STRING = 512;
const SCAN_MAX_BYTES = 1 << 24;
const encoder = new TextEncoder();
let scanBytes = new Uint8Array(1 << 16);
let scanWords = new Uint32Array(scanBytes.buffer);

/**
 * True when a long string contains `"`, `\\` or a control character (the only
 * characters RFC 8785 escapes). Checks four UTF-8 bytes at a time with the
 * classic "has a byte below n / equal to c" word tricks; multi-byte UTF-8
 * sequences only contain bytes ≥ 0x80, so they never match.
 */
function longStringNeedsEscape(value: string): boolean {
  const maxBytes = value.length * 3;
  if (maxBytes > SCAN_MAX_BYTES) return NEEDS_ESCAPE.test(value);
  if (maxBytes > scanBytes.length) {
    scanBytes = new Uint8Array(Math.max(maxBytes, scanBytes.length * 2));
    scanWords = new Uint32Array(scanBytes.buffer, 0, scanBytes.length >>> 2);
  }
  const { written } = encoder.encodeInto(value, scanBytes);
  const words = written >>> 2;
  for (let i = 0; i < words; i++) {
    const x = scanWords[i] ?? 0;
    const below = (x - 0x20202020) & ~x;
    const quote = x ^ 0x22222222;
    const backslash = x ^ 0x5c5c5c5c;
    if (((below | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash)) & 0x80808080) !== 0) {
      return true;
    }
  }
  for (let i = words << 2; i < written; i++) {
    const c = scanBytes[i] ?? 0;
    if (c < 0x20 || c === 0x22 || c === 0x5c) return true;
  }
  return false;
}

function writeString(value: string): string {
  if (!(value as unknown as WellFormedCheck).isWellFormed()) throw INVALID;
  if (value.length < LONG_STRING) return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
  return longStringNeedsEscape(value) ? JSON.stringify(value) : `"${value}"`;
}

/**
 * One pass: validates and writes. Throws INVALID on anything that is not
 * JSON data; a cycle shows up as unbounded depth.
 */
function write(value: unknown, depth: number): string {
  switch (typeof value) {
    case "string":
      return writeString(value);
    case "number":
      if (!Number.isFinite(value)) throw INVALID;
      // Number#toString is RFC 8785's number form (and prints -0 as 0).
      return String(value);
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (depth >= CANONICAL_JSON_MAX_DEPTH) throw INVALID;
      if (Array.isArray(value)) {
        const length = value.length;
        if (length === 0) return "[]";
        let out = "[";
        for (let i = 0; i < length; i++) {
          const item: unknown = value[i];
          if (item === undefined) throw INVALID; // also catches holes
          out += (i === 0 ? "" : ",") + write(item, depth + 1);
        }
        return out + "]";
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw INVALID;
      const keys = Object.keys(value);
      const count = keys.length;
      if (count === 0) return "{}";
      // Sort by UTF-16 code units (RFC 8785 §3.2.3): `<` on strings and the
      // default sort both compare code units. Insertion sort wins for the
      // handful of members most objects have.
      if (count <= 16) {
        for (let i = 1; i < count; i++) {
          const key = keys[i] ?? "";
          let j = i - 1;
          let other = keys[j];
          while (other !== undefined && other > key) {
            keys[j + 1] = other;
            j--;
            other = j >= 0 ? keys[j] : undefined;
          }
          keys[j + 1] = key;
        }
      } else {
        keys.sort();
      }
      let out = "{";
      let first = true;
      for (const key of keys) {
        const member: unknown = (value as Record<string, unknown>)[key];
        if (member === undefined) throw INVALID;
        out += (first ? "" : ",") + quoteKey(key) + ":" + write(member, depth + 1);
        first = false;
      }
      return out + "}";
    }
    default:
      throw INVALID; // undefined, bigint, function, symbol
  }
}

/**
 * Serializes a JSON value as RFC 8785 (JCS) canonical JSON: object members
 * sorted by the UTF-16 code units of their names, numbers in ECMAScript
 * `Number#toString` form (`-0` → `0`), strings escaped as `JSON.stringify`
 * does, no whitespace.
 *
 * Throws `CortexCoreError` (`NotCanonicalizable`), naming the JSON path, for
 * anything that is not JSON data: `NaN`/`±Infinity`, `undefined` (also as an
 * object member or array element), bigint, functions, symbols, cycles, lone
 * surrogates, nesting deeper than 4096, and objects other than plain objects
 * and arrays (`Date`, `Map`, class instances …). No JSON member is silently
 * dropped; symbol-keyed properties are not JSON members and are ignored, as
 * `JSON.stringify` ignores them (ADR 0008).
 */
export function canonicalJson(value: unknown): string {
  try {
    return write(value, 0);
  } catch (error) {
    return refuse(value, error);
  }
}

/** Why `value` is not canonicalizable JSON data, or `undefined` when it is. */
export function jsonValueProblem(value: unknown): string | undefined {
  try {
    canonicalJson(value);
    return undefined;
  } catch (error) {
    if (error instanceof CortexCoreError) return error.message;
    throw error;
  }
}

/**
 * zod schema for JSON data that `canonicalJson` accepts. Unlike `z.json()` it
 * returns the input itself rather than a copy: zod's copy silently drops
 * members named `__proto__`, which would change a payload's hash.
 */
export const JsonValueSchema = z.custom<JsonValue>((value) => jsonValueProblem(value) === undefined, {
  error: (issue) => jsonValueProblem(issue.input) ?? "not JSON data",
});
