import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import { LlmError } from "./llm-error.js";

type JsonSchemaObject = Record<string, unknown>;

/**
 * Compiled response validators, keyed by schema object (fast path) and by its
 * JSON text (so equal schemas built afresh per request compile once). The text
 * cache is bounded; compiling is the expensive part, not looking up.
 */
const byObject = new WeakMap<object, ValidateFunction>();
const byText = new Map<string, ValidateFunction>();
const MAX_CACHED_SCHEMAS = 256;

function ajvFor(schema: JsonSchemaObject): Ajv | Ajv2019 | Ajv2020 {
  const dialect = typeof schema.$schema === "string" ? schema.$schema : "";
  // One instance per schema: two schemas sharing an `$id` must not collide.
  const options = { strict: false, allErrors: true } as const;
  if (dialect.includes("2020-12")) return new Ajv2020(options);
  if (dialect.includes("2019-09")) return new Ajv2019(options);
  return new Ajv(options);
}

/**
 * Compiles (once) the JSON Schema a request carries. An uncompilable schema is
 * the caller's mistake: `LlmError` `InvalidRequest` with Ajv's reason.
 */
export function compileResponseSchema(schema: JsonSchemaObject, adapterId: string): ValidateFunction {
  const cached = byObject.get(schema);
  if (cached) return cached;
  const text = JSON.stringify(schema);
  let validate = byText.get(text);
  if (!validate) {
    try {
      validate = ajvFor(schema).compile(schema);
    } catch (error) {
      throw new LlmError("InvalidRequest", `jsonSchema does not compile: ${error instanceof Error ? error.message : String(error)}`, {
        adapterId,
        cause: error,
      });
    }
    if (byText.size >= MAX_CACHED_SCHEMAS) {
      const oldest = byText.keys().next();
      if (!oldest.done) byText.delete(oldest.value);
    }
    byText.set(text, validate);
  }
  byObject.set(schema, validate);
  return validate;
}

/**
 * Parses the model's text as JSON and validates it against the request's
 * schema. The text must be the JSON document itself (surrounding whitespace
 * allowed, no Markdown fences). Failure is `LlmError` `Parse` with the reason.
 */
export function parseJsonResponse(text: string, schema: JsonSchemaObject, adapterId: string): unknown {
  const validate = compileResponseSchema(schema, adapterId);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (error) {
    throw new LlmError("Parse", `response text is not JSON (${error instanceof Error ? error.message : String(error)}): ${preview(text)}`, {
      adapterId,
      cause: error,
    });
  }
  if (!validate(parsed)) {
    const reasons = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
    throw new LlmError("Parse", `response JSON does not match jsonSchema: ${reasons.join("; ")}`, { adapterId });
  }
  return parsed;
}

function preview(text: string): string {
  const oneLine = JSON.stringify(text);
  return oneLine.length > 120 ? `${oneLine.slice(0, 117)}…` : oneLine;
}
