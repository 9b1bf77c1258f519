import { JsonValueSchema } from "@cellos-cortex/cortex-core";
import type { JsonObject } from "@cellos-cortex/cortex-core";
import { z } from "zod";
import { LlmError } from "./llm-error.js";

/** Largest `maxTokens` (the Rust field is a `u32`). */
export const MAX_TOKENS_LIMIT = 4_294_967_295;

/** Who said a message. Lowercase wire strings (ADR 0015). */
export const LlmRoleSchema = z.enum(["system", "user", "assistant"]);
export type LlmRole = z.infer<typeof LlmRoleSchema>;

export const LlmMessageSchema = z.strictObject({
  role: LlmRoleSchema,
  content: z.string(),
});
export type LlmMessage = z.infer<typeof LlmMessageSchema>;

/**
 * A JSON Schema document (an object whose values are JSON values). Validated
 * in place with cortex-core's `JsonValueSchema`, never copied: zod's copy would
 * drop a `__proto__` member and so change the prompt hash.
 */
export const JsonSchemaObjectSchema = z.custom<JsonObject>((value) => typeof value === "object" && value !== null && !Array.isArray(value) && JsonValueSchema.safeParse(value).success, {
  error: "jsonSchema must be a JSON object",
});

/**
 * One completion request (`cortex_llm::LlmRequest`, BUILD_SPEC §12). Unknown
 * fields are rejected rather than dropped: a field the caller thinks matters
 * but that the prompt hash ignores would make fixtures lie.
 */
export const LlmRequestSchema = z.strictObject({
  /** Provider model id, e.g. `claude-3-5-sonnet-20240620`. Not part of the prompt hash. */
  model: z.string().refine((s) => s.trim() !== "", "model must not be empty"),
  /** System prompt; may be empty. */
  system: z.string(),
  /** Chronological conversation; at least one message. */
  messages: z.array(LlmMessageSchema).min(1, "messages must not be empty"),
  /** Sampling temperature, passed through verbatim. */
  temperature: z.number().min(0, "temperature must be ≥ 0"),
  /** Hard cap on the completion, 1 ..= 2^32-1. */
  maxTokens: z.int().min(1, "maxTokens must be ≥ 1").max(MAX_TOKENS_LIMIT, `maxTokens must be ≤ ${MAX_TOKENS_LIMIT}`),
  /** When set, the response text must be JSON valid against this schema. */
  jsonSchema: JsonSchemaObjectSchema.optional(),
  /** Wall-clock budget for the whole call, retries included. Not part of the prompt hash. */
  timeoutMs: z.int().min(1, "timeoutMs must be ≥ 1"),
});
export type LlmRequest = z.infer<typeof LlmRequestSchema>;

/**
 * Validates an unknown value as an `LlmRequest`. Throws `LlmError`
 * `InvalidRequest` listing every problem with its path.
 */
export function parseLlmRequest(value: unknown, adapterId = "llm"): LlmRequest {
  const result = LlmRequestSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`);
    throw new LlmError("InvalidRequest", `invalid llm request: ${problems.join("; ")}`, { adapterId, cause: result.error });
  }
  return result.data;
}
