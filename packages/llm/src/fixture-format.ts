import { RuntimeModeSchema, type Blake3 } from "@cellos-cortex/cortex-core";
import { z } from "zod";
import { JsonSchemaObjectSchema, LlmMessageSchema, LlmRequestSchema } from "./llm-request.js";
import { Blake3HexSchema, LlmResponseSchema } from "./llm-response.js";

/**
 * On-disk replay fixtures (ADR 0016). A fixture directory is flat: one
 * `INDEX.json` listing every trusted fixture file with the BLAKE3 of its bytes,
 * and one JSON file per (model, prompt hash).
 */
export const FIXTURE_INDEX_FILE = "INDEX.json";
export const FIXTURE_FORMAT_VERSION = 1;

export const FixtureIndexEntrySchema = z.strictObject({
  /** File name inside the fixture directory (no directories, no `..`). */
  path: z.string(),
  /** Lowercase hex BLAKE3 of the file's bytes. */
  blake3: Blake3HexSchema,
});
export type FixtureIndexEntry = z.infer<typeof FixtureIndexEntrySchema>;

export const FixtureIndexSchema = z.strictObject({
  version: z.literal(FIXTURE_FORMAT_VERSION),
  fixtures: z.array(FixtureIndexEntrySchema),
});
export type FixtureIndex = z.infer<typeof FixtureIndexSchema>;

/** The prompt part of a request, as recorded (what the prompt hash covers). */
export const FixturePromptSchema = z.strictObject({
  system: z.string(),
  messages: z.array(LlmMessageSchema).min(1),
  temperature: LlmRequestSchema.shape.temperature,
  maxTokens: LlmRequestSchema.shape.maxTokens,
  jsonSchema: JsonSchemaObjectSchema.optional(),
});
export type FixturePrompt = z.infer<typeof FixturePromptSchema>;

export const FixtureFileSchema = z.strictObject({
  version: z.literal(FIXTURE_FORMAT_VERSION),
  /** The requested model: replay matches on (model, promptHash). */
  model: z.string().min(1),
  promptHash: Blake3HexSchema,
  /** Runtime mode of the adapter that produced the response. */
  runtimeMode: RuntimeModeSchema,
  prompt: FixturePromptSchema,
  response: LlmResponseSchema,
});
export type FixtureFile = z.infer<typeof FixtureFileSchema>;

/** `<promptHash>.<first 16 hex of BLAKE3(model)>.json`: one file per (model, prompt), any model name. */
export function fixtureFileName(blake3: Blake3, model: string, promptHash: string): string {
  return `${promptHash}.${blake3.hex(model).slice(0, 16)}.json`;
}

/** Why a fixture path is unsafe or not a fixture name, or undefined when it is fine. */
export function fixturePathProblem(path: string): string | undefined {
  if (path.length === 0) return "is empty";
  if (path.includes("/") || path.includes("\\")) return "must be a plain file name inside the fixture directory";
  if (path === "." || path === ".." || path.startsWith(".")) return "must not start with a dot";
  if (path.includes("\0")) return "contains a NUL byte";
  if (!path.endsWith(".json")) return "must end in .json";
  if (path === FIXTURE_INDEX_FILE) return `must not be ${FIXTURE_INDEX_FILE} itself`;
  return undefined;
}

/** Whether a directory entry is a fixture candidate (and so must be listed in the index). */
export function looksLikeFixture(name: string): boolean {
  return name.endsWith(".json") && !name.startsWith(".") && name !== FIXTURE_INDEX_FILE;
}

/** Stable, reviewable text for fixture and index files. */
export function fixtureJsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
