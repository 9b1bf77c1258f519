import type * as z from "zod";
import type { CellosProblem } from "./cellos-error.js";
import { formatJsonPath, previewValue } from "./cellos-error.js";

type Segment = string | number;

/** An ArgvTooLarge problem found by the schema carries its numbers here. */
export interface ArgvTooLargeParams {
  readonly cellosKind: "ArgvTooLarge";
  readonly encodedBytes: number;
  readonly limitBytes: number;
}

export interface LocatedProblem extends CellosProblem {
  readonly argvTooLarge?: ArgvTooLargeParams;
}

function describe(issue: z.core.$ZodIssue): string {
  const input: unknown = issue.input;
  if (issue.code === "invalid_type") {
    if (input === undefined) return `is required (expected ${issue.expected})`;
    return `expected ${issue.expected}, got ${previewValue(input)}`;
  }
  return "input" in issue ? `${issue.message} (got ${previewValue(input)})` : issue.message;
}

/** zod issues → problems with JSON paths and the offending value, in zod's order. */
export function problemsFromZod(error: z.ZodError, prefix: readonly Segment[] = []): LocatedProblem[] {
  return error.issues.map((issue) => {
    const segments: Segment[] = [...prefix, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
    const params = issue.code === "custom" ? (issue.params as Partial<ArgvTooLargeParams> | undefined) : undefined;
    if (params?.cellosKind === "ArgvTooLarge" && typeof params.encodedBytes === "number" && typeof params.limitBytes === "number") {
      return {
        path: formatJsonPath(segments),
        segments,
        message: issue.message,
        argvTooLarge: { cellosKind: "ArgvTooLarge", encodedBytes: params.encodedBytes, limitBytes: params.limitBytes },
      };
    }
    return { path: formatJsonPath(segments), segments, message: describe(issue) };
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Marks "no parsed output to reorder" for {@link walkModelled}. */
export const NO_OUTPUT: unique symbol = Symbol("no output");

/**
 * One pass over the parts of `input` that `schema` models (bounded by the
 * schema's depth however deep the input is; values kept verbatim by
 * `z.unknown()` are not entered):
 *
 * - zod leaves out own `__proto__` keys of the objects it models (it must, to
 *   avoid replacing the output's prototype). To lose nothing, each one is
 *   reported in `problems` instead.
 * - zod builds modelled objects in schema order, then unknown keys. When
 *   `output` is given, it is returned rebuilt with each object's keys in the
 *   order `input` had them, so parse → `JSON.stringify` is byte-identical.
 *   Objects already in input order are reused, not copied.
 */
export function walkModelled(schema: z.core.$ZodType, input: unknown, output: unknown, prefix: readonly Segment[], problems: LocatedProblem[]): unknown {
  return walk(schema, input, output, [...prefix], problems);
}

function walk(schema: z.core.$ZodType, input: unknown, output: unknown, path: Segment[], problems: LocatedProblem[]): unknown {
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "readonly":
      return walk(def.innerType as z.core.$ZodType, input, output, path, problems);
    case "pipe":
      return walk(def.in as z.core.$ZodType, input, output, path, problems);
    case "object":
    case "record":
      return walkObject(def, input, output, path, problems);
    case "array": {
      if (!Array.isArray(input)) return output;
      const element = def.element as z.core.$ZodType;
      if (!mayHoldObjects(element)) return output;
      const outArray = Array.isArray(output) ? output : undefined;
      let changed = false;
      const result = input.map((item: unknown, index) => {
        path.push(index);
        const before: unknown = outArray ? outArray[index] : NO_OUTPUT;
        const after = walk(element, item, before, path, problems);
        path.pop();
        if (after !== before) changed = true;
        return after;
      });
      return outArray && changed ? result : output;
    }
    case "union":
      for (const option of def.options as z.core.$ZodType[]) {
        const kind = option._zod.def.type;
        if ((kind === "object" || kind === "record") && isPlainObject(input)) return walk(option, input, output, path, problems);
      }
      return output;
    default:
      return output;
  }
}

function walkObject(def: z.core.$ZodTypeDef & Record<string, unknown>, input: unknown, output: unknown, path: Segment[], problems: LocatedProblem[]): unknown {
  if (!isPlainObject(input)) return output;
  if (Object.hasOwn(input, "__proto__")) {
    const segments = [...path, "__proto__"];
    problems.push({ path: formatJsonPath(segments), segments, message: 'the key "__proto__" is not allowed' });
  }
  const shape = def.type === "object" ? (def.shape as Record<string, z.core.$ZodType>) : undefined;
  const valueType = def.type === "record" ? (def.valueType as z.core.$ZodType) : undefined;
  const out = isPlainObject(output) ? output : undefined;
  const inputKeys = Object.keys(input);
  let changed = false;
  const children: Record<string, unknown> = {};
  for (const key of inputKeys) {
    const child = shape ? (Object.hasOwn(shape, key) ? shape[key] : undefined) : valueType;
    if (!child || !mayHoldObjects(child)) continue;
    path.push(key);
    const before: unknown = out ? out[key] : NO_OUTPUT;
    const after = walk(child, input[key], before, path, problems);
    path.pop();
    if (out && after !== before) {
      children[key] = after;
      changed = true;
    }
  }
  if (!out) return output;
  const outputKeys = Object.keys(out);
  const sameOrder = outputKeys.length === inputKeys.length && outputKeys.every((key, i) => key === inputKeys[i]);
  if (sameOrder && !changed) return out;
  const result: Record<string, unknown> = {};
  for (const key of inputKeys) if (Object.hasOwn(out, key)) result[key] = Object.hasOwn(children, key) ? children[key] : out[key];
  // Keys the output has and the input lacks (none today: no defaults) keep their place at the end.
  for (const key of outputKeys) if (!Object.hasOwn(result, key)) result[key] = out[key];
  return result;
}

const holdsObjects = new WeakMap<z.core.$ZodType, boolean>();

/** Whether a value of this schema can contain a modelled object (else there is nothing to walk). */
function mayHoldObjects(schema: z.core.$ZodType): boolean {
  const cached = holdsObjects.get(schema);
  if (cached !== undefined) return cached;
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  let result: boolean;
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "readonly":
      result = mayHoldObjects(def.innerType as z.core.$ZodType);
      break;
    case "pipe":
      result = mayHoldObjects(def.in as z.core.$ZodType);
      break;
    case "object":
    case "record":
      result = true;
      break;
    case "array":
      result = mayHoldObjects(def.element as z.core.$ZodType);
      break;
    case "union":
      result = (def.options as z.core.$ZodType[]).some((option) => mayHoldObjects(option));
      break;
    default:
      result = false;
  }
  holdsObjects.set(schema, result);
  return result;
}
