import type { CallDeadline } from "./call-deadline.js";
import type { LlmLogger } from "./llm-adapter.js";
import { LlmError } from "./llm-error.js";

/**
 * How an adapter retries a failed attempt (ADR 0017). Retries happen inside
 * the request's `timeoutMs` budget: a wait that would outlast the budget is not
 * started, and the last error is returned instead.
 */
export interface RetryPolicy {
  /** Retries after the first attempt (default 2, so at most 3 attempts). */
  maxRetries: number;
  /** Backoff before the first retry, before jitter (default 500 ms). */
  initialDelayMs: number;
  /** Upper bound of any computed backoff (default 8000 ms); `retry-after` is not capped by it. */
  maxDelayMs: number;
  /** Source of jitter in [0, 1); defaults to `Math.random`. */
  random?: () => number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxRetries: 2,
  initialDelayMs: 500,
  maxDelayMs: 8_000,
});

/** Fills in defaults and checks the numbers; a bad policy is `InvalidRequest`. */
export function resolveRetryPolicy(policy: Partial<RetryPolicy> | undefined, adapterId: string): RetryPolicy {
  const resolved: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...policy };
  const check = (name: keyof RetryPolicy, value: number): void => {
    if (!Number.isInteger(value) || value < 0) {
      throw new LlmError("InvalidRequest", `retry policy ${name} must be a non-negative integer, got ${String(value)}`, { adapterId });
    }
  };
  check("maxRetries", resolved.maxRetries);
  check("initialDelayMs", resolved.initialDelayMs);
  check("maxDelayMs", resolved.maxDelayMs);
  return resolved;
}

/** Whether an HTTP status may be retried: 408, 429 and 5xx; never any other 4xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * Exponential backoff with equal jitter before retry number `retry` (0-based):
 * half of `min(maxDelayMs, initialDelayMs · 2^retry)` plus a random share of the other half.
 */
export function backoffDelayMs(policy: RetryPolicy, retry: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** retry);
  const random = policy.random ?? Math.random;
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

type HeaderSource = Headers | Record<string, string | undefined> | undefined;

function header(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/**
 * The delay a provider asks for, in ms: `retry-after-ms` (OpenAI's
 * millisecond form) first, then `retry-after` as delta-seconds or an HTTP
 * date. Unparseable or negative values are ignored (undefined).
 */
export function parseRetryAfterMs(headers: HeaderSource, nowMs: number = Date.now()): number | undefined {
  const ms = header(headers, "retry-after-ms")?.trim();
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const value = header(headers, "retry-after")?.trim();
  if (value === undefined || value === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  // An HTTP-date starts with a day name; Date.parse alone would read "-3" as a year.
  if (!/^[A-Za-z]{3},/.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

export interface RetryContext {
  adapterId: string;
  policy: RetryPolicy;
  deadline: CallDeadline;
  logger: LlmLogger;
  /** Names the call in errors and logs, e.g. `POST http://127.0.0.1:8080/v1/chat/completions`. */
  what: string;
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, runs out
 * of retries, or the deadline passes. Retryable errors are `LlmError`s with
 * `retryable: true`; their `retryAfterMs`, when given, replaces the backoff.
 */
export async function withRetries<T>(context: RetryContext, attempt: (attemptNumber: number) => Promise<T>): Promise<T> {
  const { adapterId, policy, deadline, logger, what } = context;
  for (let retry = 0; ; retry += 1) {
    deadline.throwIfAborted(adapterId, what);
    try {
      return await attempt(retry + 1);
    } catch (error) {
      if (!(error instanceof LlmError) || !error.retryable || retry >= policy.maxRetries || deadline.aborted) throw error;
      const delayMs = error.retryAfterMs ?? backoffDelayMs(policy, retry);
      if (delayMs >= deadline.remainingMs()) {
        logger.warn("llm retry skipped: the wait would outlast the request budget", {
          adapterId,
          what,
          attempt: retry + 1,
          delayMs,
          remainingMs: Math.floor(deadline.remainingMs()),
          error: error.message,
        });
        throw error;
      }
      logger.warn("llm attempt failed, retrying", {
        adapterId,
        what,
        attempt: retry + 1,
        delayMs,
        honouredRetryAfter: error.retryAfterMs !== undefined,
        status: error.status,
        error: error.message,
      });
      await deadline.sleep(delayMs, adapterId, what);
    }
  }
}
