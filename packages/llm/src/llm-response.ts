import { JsonValueSchema } from "@cellos-cortex/cortex-core";
import { z } from "zod";

/** Token accounting echoed by the provider (`TokenUsage`). Zero when the provider did not report a count. */
export const TokenUsageSchema = z.strictObject({
  inputTokens: z.int().min(0),
  outputTokens: z.int().min(0),
});
export type TokenUsage = z.infer<typeof TokenUsageSchema>;

/** Lowercase 64-hex BLAKE3 digest. */
export const Blake3HexSchema = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex characters (BLAKE3)");

/** One completion (`cortex_llm::LlmResponse`). */
export const LlmResponseSchema = z.strictObject({
  /** The model's text, verbatim. */
  text: z.string(),
  /** Present when the request carried a `jsonSchema`: the parsed and validated text. */
  parsedJson: JsonValueSchema.optional(),
  /** The model that actually answered (as the provider reports it). */
  model: z.string(),
  usage: TokenUsageSchema,
  /** BLAKE3 hex of the raw response bytes, so audits can cite the response without quoting it. */
  rawHash: Blake3HexSchema,
});
export type LlmResponse = z.infer<typeof LlmResponseSchema>;
