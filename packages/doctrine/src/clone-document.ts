/**
 * A deep copy of JSON-shaped data, faster than `structuredClone` for the
 * small documents policies see. Plain objects and arrays are copied key by
 * key (an own `__proto__` key stays a key); other objects go through
 * `structuredClone`; functions and symbols are refused; depth is bounded so a
 * cycle is an error, not a stack overflow.
 */
import { DoctrineError } from "./doctrine-error.js";
import { jsonPointer } from "./json-pointer.js";

/** Deeper than this is refused (a cycle, or not a cell document). */
export const MAX_DOCUMENT_DEPTH = 128;

/** Why a value cannot be copied, or undefined when it can (shallow: this node only). */
function problemWith(value: unknown, depth: number): string | undefined {
  if (typeof value === "function" || typeof value === "symbol") return `${typeof value} is not data`;
  if (depth >= MAX_DOCUMENT_DEPTH && typeof value === "object" && value !== null) {
    return `nested deeper than ${MAX_DOCUMENT_DEPTH} levels (a cycle?)`;
  }
  return undefined;
}

class CopyFailure extends Error {}

/** The fast path: no path bookkeeping; a failure is located afterwards by {@link locate}. */
function copy(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== "object") {
    if (typeof value === "function" || typeof value === "symbol") throw new CopyFailure();
    return value;
  }
  if (depth >= MAX_DOCUMENT_DEPTH) throw new CopyFailure();
  if (Array.isArray(value)) {
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copy(value[i], depth + 1);
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    try {
      return structuredClone(value);
    } catch {
      throw new CopyFailure();
    }
  }
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = proto === null ? (Object.create(null) as Record<string, unknown>) : {};
  for (const key of Object.keys(source)) {
    const item = copy(source[key], depth + 1);
    if (key === "__proto__") Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    else out[key] = item;
  }
  return out;
}

/** The slow path, after a failure: walk again, this time keeping the path, to say where and why. */
function locate(value: unknown, depth: number, path: PropertyKey[]): DoctrineError | undefined {
  const problem = problemWith(value, depth);
  if (problem !== undefined) return new DoctrineError("InvalidDocument", `document cannot be copied at ${jsonPointer(path) || "/"}: ${problem}`);
  if (typeof value !== "object" || value === null) return undefined;
  const proto: unknown = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
    try {
      structuredClone(value);
      return undefined;
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return new DoctrineError("InvalidDocument", `document cannot be copied at ${jsonPointer(path) || "/"}: ${why}`, { cause: error });
    }
  }
  for (const key of Array.isArray(value) ? value.keys() : Object.keys(value)) {
    const found = locate((value as Record<PropertyKey, unknown>)[key], depth + 1, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

/** A deep copy of `value` that shares nothing mutable with it. Throws `DoctrineError` (`InvalidDocument`). */
export function cloneDocument<T>(value: T): T {
  try {
    return copy(value, 0) as T;
  } catch (error) {
    if (!(error instanceof CopyFailure)) throw error;
    throw locate(value, 0, []) ?? new DoctrineError("InvalidDocument", "document cannot be copied (it changed while being copied)");
  }
}
