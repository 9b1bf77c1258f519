import type { RuntimeMode } from "@cellos-cortex/cortex-core";
import type { LlmRequest } from "./llm-request.js";
import type { LlmResponse } from "./llm-response.js";

export interface CompleteOptions {
  /** Aborting rejects the call with `LlmError` kind `Transport` (`aborted: true`). */
  signal?: AbortSignal;
}

/**
 * The single entry point Cortex runs agent turns through (`cortex_llm::LlmAdapter`).
 * Adapters never write memory rows; they only answer.
 */
export interface LlmAdapter {
  /** Stable, lowercase id recorded in audit envelopes; constant for the adapter's lifetime. */
  readonly adapterId: string;
  /** How the answers are produced; caps the claims a run may make (ADR 0037 weakest link). */
  readonly runtimeMode: RuntimeMode;
  /**
   * Completes one request. Rejects with `LlmError` only; the request is validated
   * first (`InvalidRequest`), and `request.timeoutMs` bounds the whole call.
   */
  complete(request: LlmRequest, options?: CompleteOptions): Promise<LlmResponse>;
}

/** Where adapters report best-effort events (retries, skipped work). Never receives secrets. */
export interface LlmLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: LlmLogger = {
  warn: () => undefined,
};
