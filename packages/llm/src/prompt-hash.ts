import { canonicalJson, loadBlake3, type Blake3 } from "@cellos-cortex/cortex-core";
import { parseLlmRequest, type LlmRequest } from "./llm-request.js";

/** Domain tag inside every prompt-hash preimage; bump it if the framing ever changes (ADR 0015). */
export const PROMPT_HASH_TAG = "cortex_llm.prompt_hash.v1";

/**
 * The exact text that `promptHash` hashes: RFC 8785 canonical JSON of
 * `{tag, system, messages: [{role, content}], temperature, max_tokens, json_schema}`
 * (`json_schema` is `null` when absent). `model` and `timeoutMs` are left out,
 * so one prompt replays against several models and budget tweaks keep fixtures
 * valid. The request must already be valid.
 */
export function promptHashPreimage(request: LlmRequest): string {
  return canonicalJson({
    tag: PROMPT_HASH_TAG,
    system: request.system,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    temperature: request.temperature,
    max_tokens: request.maxTokens,
    json_schema: request.jsonSchema ?? null,
  });
}

/** `promptHash` for an already-validated request with a loaded hasher (no promise, no re-validation). */
export function promptHashWith(blake3: Blake3, request: LlmRequest): string {
  return blake3.hex(promptHashPreimage(request));
}

/**
 * Stable lowercase-hex BLAKE3 of the prompt (everything but `model` and
 * `timeoutMs`): equal prompts hash equal on every run and machine. Validates
 * the request first (`LlmError` `InvalidRequest`).
 */
export async function promptHash(request: LlmRequest): Promise<string> {
  const valid = parseLlmRequest(request);
  return promptHashWith(await loadBlake3(), valid);
}
