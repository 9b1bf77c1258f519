import * as z from "zod";
import { CloudEventV1Schema } from "./cloud-event.js";
import { CellosEventDataSchemas } from "./event-data.js";
import type { CellosEventKey } from "./event-types.js";
import { ExecutionCellDocumentSchema } from "./execution-cell.js";

/** A JSON Schema (draft 2020-12) object. */
export type JsonSchema = Record<string, unknown>;

function toJsonSchema(schema: z.ZodType, title: string): JsonSchema {
  // "input": what a parse accepts, which is what a document on the wire may hold.
  const json = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input", unrepresentable: "any" }) as JsonSchema;
  return { ...json, title };
}

/** JSON Schema of an ExecutionCell document, generated from {@link ExecutionCellDocumentSchema}. */
export function executionCellJsonSchema(): JsonSchema {
  return toJsonSchema(ExecutionCellDocumentSchema, "ExecutionCell document (cellos.io/v1)");
}

/** JSON Schema of a CloudEventV1 envelope. */
export function cloudEventV1JsonSchema(): JsonSchema {
  return toJsonSchema(CloudEventV1Schema, "CloudEventV1");
}

/** JSON Schema of the `data` of event `key`. */
export function cellosEventDataJsonSchema(key: CellosEventKey): JsonSchema {
  return toJsonSchema(CellosEventDataSchemas[key], `${key} event data`);
}

/**
 * Every JSON Schema this package publishes, by file name under `schemas/`
 * (what `pnpm --filter @cellos-cortex/cellos-core schemas` writes).
 */
export function allJsonSchemas(): Record<string, JsonSchema> {
  const files: Record<string, JsonSchema> = {
    "execution-cell.schema.json": executionCellJsonSchema(),
    "cloud-event-v1.schema.json": cloudEventV1JsonSchema(),
  };
  for (const key of Object.keys(CellosEventDataSchemas) as CellosEventKey[]) {
    files[`event-data-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}.schema.json`] = cellosEventDataJsonSchema(key);
  }
  return files;
}
