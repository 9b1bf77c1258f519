import { loadBlake3, type Blake3 } from "@cellos-cortex/cortex-core";
import { LlmError } from "./llm-error.js";
import { parseLlmRequest, type LlmRequest } from "./llm-request.js";
import type { LlmResponse, TokenUsage } from "./llm-response.js";
import { compileResponseSchema, parseJsonResponse } from "./response-schema.js";

/** What every adapter does before it answers: a validated request and a ready hasher. */
export interface PreparedCall {
  request: LlmRequest;
  blake3: Blake3;
}

/**
 * Validates the request (`InvalidRequest` on any problem, including a
 * `jsonSchema` that does not compile) and loads the BLAKE3 hasher.
 */
export async function prepareCall(adapterId: string, request: unknown): Promise<PreparedCall> {
  const valid = parseLlmRequest(request, adapterId);
  if (valid.jsonSchema) compileResponseSchema(valid.jsonSchema, adapterId);
  return { request: valid, blake3: await loadBlake3() };
}

export interface RawCompletion {
  text: string;
  /** The model that answered. */
  model: string;
  usage: TokenUsage;
  /** The provider's raw response bytes (hashed into `rawHash`); the text when there is nothing rawer. */
  raw?: Uint8Array | string;
}

/**
 * Turns what a provider said into an `LlmResponse`: `rawHash` over the raw
 * bytes, and — when the request carries a `jsonSchema` — the text parsed and
 * validated into `parsedJson` (`Parse` on failure).
 */
export function buildResponse(adapterId: string, call: PreparedCall, raw: RawCompletion): LlmResponse {
  const response: LlmResponse = {
    text: raw.text,
    model: raw.model,
    usage: raw.usage,
    rawHash: call.blake3.hex(raw.raw ?? raw.text),
  };
  if (call.request.jsonSchema) {
    response.parsedJson = parseJsonResponse(raw.text, call.request.jsonSchema, adapterId) as LlmResponse["parsedJson"];
  }
  return response;
}

/** Wraps anything thrown by foreign code (a user callback, a provider SDK) so only `LlmError`s escape. */
export function asLlmError(error: unknown, adapterId: string, what: string): LlmError {
  if (error instanceof LlmError) return error;
  return new LlmError("Upstream", `${what} failed: ${error instanceof Error ? error.message : String(error)}`, { adapterId, cause: error });
}
