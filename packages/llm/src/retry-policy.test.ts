import { describe, expect, it } from "vitest";
import { CallDeadline } from "./call-deadline.js";
import type { LlmLogger } from "./llm-adapter.js";
import { LlmError } from "./llm-error.js";
import {
  DEFAULT_RETRY_POLICY,
  backoffDelayMs,
  isRetryableStatus,
  parseRetryAfterMs,
  resolveRetryPolicy,
  withRetries,
  type RetryPolicy,
} from "./retry-policy.js";

const quiet: LlmLogger = { warn: () => undefined };

function retryable(message: string, extra: { retryAfterMs?: number; status?: number } = {}): LlmError {
  return new LlmError("Upstream", message, { adapterId: "unit", retryable: true, ...extra });
}

async function run<T>(policy: Partial<RetryPolicy>, timeoutMs: number, attempt: (n: number) => Promise<T>, logger: LlmLogger = quiet) {
  const deadline = new CallDeadline(timeoutMs, undefined);
  try {
    return await withRetries({ adapterId: "unit", policy: resolveRetryPolicy(policy, "unit"), deadline, logger, what: "unit call" }, attempt);
  } finally {
    deadline.dispose();
  }
}

describe("retry policy", () => {
  it("defaults to two retries with exponential backoff", () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ maxRetries: 2, initialDelayMs: 500, maxDelayMs: 8_000 });
  });

  it.each([
    [408, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [599, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [409, false],
    [413, false],
    [422, false],
    [200, false],
  ])("status %i retryable: %s", (status, expected) => {
    expect(isRetryableStatus(status)).toBe(expected);
  });

  it("backs off exponentially with equal jitter, capped", () => {
    const low = { ...DEFAULT_RETRY_POLICY, random: () => 0 };
    const high = { ...DEFAULT_RETRY_POLICY, random: () => 0.999_999 };
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelayMs(low, n))).toEqual([250, 500, 1000, 2000, 4000, 4000]);
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelayMs(high, n))).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
  });

  it("rejects a nonsensical policy", () => {
    expect(() => resolveRetryPolicy({ maxRetries: -1 }, "unit")).toThrow(/maxRetries must be a non-negative integer/);
    expect(() => resolveRetryPolicy({ initialDelayMs: 1.5 }, "unit")).toThrow(LlmError);
  });

  describe("retry-after", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    it.each([
      [{ "retry-after": "3" }, 3000],
      [{ "Retry-After": "0" }, 0],
      [{ "retry-after": "1.5" }, 1500],
      [{ "retry-after": "Wed, 01 Jan 2025 00:00:10 GMT" }, 10_000],
      [{ "retry-after": "Tue, 31 Dec 2024 23:59:00 GMT" }, 0],
      [{ "retry-after-ms": "250", "retry-after": "9" }, 250],
      [{ "retry-after": "soon" }, undefined],
      [{ "retry-after": "-3" }, undefined],
      [{}, undefined],
    ])("%j → %s ms", (headers, expected) => {
      expect(parseRetryAfterMs(headers, now)).toBe(expected);
      expect(parseRetryAfterMs(new Headers(headers as Record<string, string>), now)).toBe(expected);
    });
  });

  it("retries retryable errors and returns the first success", async () => {
    const seen: number[] = [];
    const result = await run({ initialDelayMs: 1, maxDelayMs: 2 }, 5_000, async (n) => {
      seen.push(n);
      if (n < 3) throw retryable(`attempt ${n}`);
      return "done";
    });
    expect(result).toBe("done");
    expect(seen).toEqual([1, 2, 3]);
  });

  it("stops after maxRetries and throws the last error", async () => {
    let calls = 0;
    await expect(
      run({ maxRetries: 1, initialDelayMs: 1 }, 5_000, async () => {
        calls += 1;
        throw retryable(`attempt ${calls}`);
      }),
    ).rejects.toThrow("attempt 2");
    expect(calls).toBe(2);
  });

  it("does not retry non-retryable errors", async () => {
    let calls = 0;
    await expect(
      run({ initialDelayMs: 1 }, 5_000, async () => {
        calls += 1;
        throw new LlmError("Upstream", "bad request", { adapterId: "unit", status: 400 });
      }),
    ).rejects.toThrow("bad request");
    expect(calls).toBe(1);
  });

  it("uses retry-after instead of the backoff and logs it", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger: LlmLogger = { warn: (_m, fields) => lines.push(fields ?? {}) };
    let calls = 0;
    await run({ initialDelayMs: 5_000 }, 5_000, async () => {
      calls += 1;
      if (calls === 1) throw retryable("429", { retryAfterMs: 5, status: 429 });
      return "ok";
    }, logger);
    expect(lines).toEqual([expect.objectContaining({ delayMs: 5, honouredRetryAfter: true, status: 429, attempt: 1 })]);
  });

  it("does not start a wait that would outlast the budget", async () => {
    let calls = 0;
    const lines: string[] = [];
    await expect(
      run({}, 1_000, async () => {
        calls += 1;
        throw retryable("overloaded", { retryAfterMs: 60_000 });
      }, { warn: (m) => lines.push(m) }),
    ).rejects.toThrow("overloaded");
    expect(calls).toBe(1);
    expect(lines[0]).toContain("retry skipped");
  });

  it("turns an expired budget during a wait into Timeout", async () => {
    const deadline = new CallDeadline(30, undefined);
    try {
      await expect(deadline.sleep(10_000, "unit", "wait")).rejects.toMatchObject({ kind: "Timeout", timeoutMs: 30 });
    } finally {
      deadline.dispose();
    }
  });
});
