import type { LlmError, LlmErrorKind } from "@cellos-cortex/llm";
import type { RuntimeClaimPreflight } from "./runtime-claim.js";

/**
 * What went wrong in a runtime run (`crtx-runtime`'s `RuntimeError`, plus the
 * claims engine's denial):
 * - `Validation`: the run request (or a claim request) is malformed; nothing was sent to the adapter.
 * - `Adapter`: the LLM adapter failed, timed out or was aborted; `llmError` is the adapter's `LlmError`.
 * - `ClaimDenied`: `requireRuntimeClaim*` refused a claim; `preflight` says why.
 */
export type RuntimeErrorKind = "Validation" | "Adapter" | "ClaimDenied";

/** The one error class of `@cellos-cortex/runtime`. */
export class RuntimeError extends Error {
  override readonly name = "RuntimeError";
  readonly kind: RuntimeErrorKind;
  /** `Validation`: the check that failed, e.g. `runtime task must not be empty`. */
  readonly detail: string;
  /** `Adapter`: the adapter's error, unchanged. */
  readonly llmError: LlmError | undefined;
  /** `Adapter`: the `LlmError` kind (kept, so callers can branch on `Timeout`, `NoFixture`, …). */
  readonly llmErrorKind: LlmErrorKind | undefined;
  /** `ClaimDenied`: the preflight that denied the claim. */
  readonly preflight: RuntimeClaimPreflight | undefined;

  private constructor(
    kind: RuntimeErrorKind,
    message: string,
    detail: string,
    extra: { llmError?: LlmError; preflight?: RuntimeClaimPreflight; cause?: unknown },
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.kind = kind;
    this.detail = detail;
    this.llmError = extra.llmError;
    this.llmErrorKind = extra.llmError?.kind;
    this.preflight = extra.preflight;
  }

  /** `validation failed: <detail>`. */
  static validation(detail: string, cause?: unknown): RuntimeError {
    return new RuntimeError("Validation", `validation failed: ${detail}`, detail, cause === undefined ? {} : { cause });
  }

  /** `llm adapter failed: <llm error message>`; the `LlmError` is also the `cause`. */
  static adapter(llmError: LlmError): RuntimeError {
    return new RuntimeError("Adapter", `llm adapter failed: ${llmError.message}`, llmError.message, {
      llmError,
      cause: llmError,
    });
  }

  /** `runtime claim denied: <preflight message>`. */
  static claimDenied(preflight: RuntimeClaimPreflight): RuntimeError {
    return new RuntimeError("ClaimDenied", `runtime claim denied: ${preflight.message}`, preflight.message, {
      preflight,
    });
  }
}

/** True when `value` is a `RuntimeError`, optionally of the given kind. */
export function isRuntimeError(value: unknown, kind?: RuntimeErrorKind): value is RuntimeError {
  return value instanceof RuntimeError && (kind === undefined || value.kind === kind);
}
