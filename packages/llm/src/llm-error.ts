/**
 * The one error class of this package. Mirrors `cortex_llm::LlmError`: eight
 * kinds, each message saying what failed, and every error carrying the id of
 * the adapter that raised it (the id that audit envelopes record).
 */
export const LLM_ERROR_KINDS = [
  "Transport",
  "Upstream",
  "InvalidRequest",
  "Timeout",
  "Parse",
  "NoFixture",
  "FixtureIntegrityFailed",
  "Io",
] as const;

export type LlmErrorKind = (typeof LLM_ERROR_KINDS)[number];

export interface LlmErrorDetails {
  /** Id of the adapter that raised the error (e.g. "replay", "openai-compatible"). */
  adapterId: string;
  cause?: unknown;
  /** `Timeout`: the original wall-clock budget. */
  timeoutMs?: number;
  /** `NoFixture`: the requested model. */
  model?: string;
  /** `NoFixture`: the prompt hash that had no fixture. */
  promptHash?: string;
  /** `FixtureIntegrityFailed` / `Io`: the file concerned. */
  file?: string;
  /** `Upstream`: the HTTP status the provider answered with, when there was one. */
  status?: number;
  /** Whether the retry policy may try again after this error. */
  retryable?: boolean;
  /** Delay the provider asked for (`retry-after`), in milliseconds. */
  retryAfterMs?: number;
  /** `Transport`: the caller aborted the request through its AbortSignal. */
  aborted?: boolean;
}

export class LlmError extends Error {
  override readonly name = "LlmError";
  readonly kind: LlmErrorKind;
  readonly adapterId: string;
  readonly timeoutMs: number | undefined;
  readonly model: string | undefined;
  readonly promptHash: string | undefined;
  readonly file: string | undefined;
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly aborted: boolean;

  /**
   * `message` says what failed; the final message is prefixed with the kind
   * and the adapter id, e.g. `llm Timeout (openai-compatible): request timed out after 250 ms`.
   */
  constructor(kind: LlmErrorKind, message: string, details: LlmErrorDetails) {
    super(`llm ${kind} (${details.adapterId}): ${message}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.adapterId = details.adapterId;
    this.timeoutMs = details.timeoutMs;
    this.model = details.model;
    this.promptHash = details.promptHash;
    this.file = details.file;
    this.status = details.status;
    this.retryable = details.retryable ?? false;
    this.retryAfterMs = details.retryAfterMs;
    this.aborted = details.aborted ?? false;
  }
}

/** True when `value` is an `LlmError`, optionally of the given kind. */
export function isLlmError(value: unknown, kind?: LlmErrorKind): value is LlmError {
  return value instanceof LlmError && (kind === undefined || value.kind === kind);
}
