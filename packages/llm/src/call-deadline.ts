import { LlmError } from "./llm-error.js";

/** setTimeout cannot wait longer than this; longer budgets are clamped to it (~24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

/** The error for a call its caller aborted: `Transport` with `aborted: true` and the abort reason as cause. */
export function callerAbortError(signal: AbortSignal, adapterId: string, what: string): LlmError {
  const reason: unknown = signal.reason;
  return new LlmError("Transport", `${what} aborted by the caller${reason instanceof Error ? `: ${reason.message}` : ""}`, {
    adapterId,
    cause: reason,
    aborted: true,
  });
}

/**
 * The wall-clock budget of one `complete()` call: `timeoutMs` covers every
 * attempt and every backoff wait. `signal` fires when either the caller aborts
 * or the budget runs out; `failure()` says which, as an `LlmError`.
 */
export class CallDeadline {
  readonly timeoutMs: number;
  private readonly startedAt: number;
  private readonly timer: ReturnType<typeof setTimeout>;
  private readonly combined = new AbortController();
  private readonly caller: AbortSignal | undefined;
  /** Which of the two fired first. */
  private cause: "timeout" | "caller" | undefined;
  private readonly onCallerAbort = (): void => {
    if (this.cause !== undefined) return;
    this.cause = "caller";
    this.combined.abort(this.caller?.reason);
  };

  constructor(timeoutMs: number, caller: AbortSignal | undefined) {
    this.timeoutMs = timeoutMs;
    this.caller = caller;
    this.startedAt = performance.now();
    this.timer = setTimeout(() => {
      if (this.cause !== undefined) return;
      this.cause = "timeout";
      this.combined.abort(new Error(`timed out after ${timeoutMs} ms`));
    }, Math.min(timeoutMs, MAX_TIMER_MS));
    // Combined by hand rather than with AbortSignal.any, whose dependants on a
    // long-lived caller signal are only released by GC; dispose() unhooks here.
    if (caller) {
      if (caller.aborted) this.onCallerAbort();
      else caller.addEventListener("abort", this.onCallerAbort, { once: true });
    }
  }

  /** Fires when the caller aborts or the budget runs out. */
  get signal(): AbortSignal {
    return this.combined.signal;
  }

  get aborted(): boolean {
    return this.combined.signal.aborted;
  }

  get timedOut(): boolean {
    return this.cause === "timeout";
  }

  remainingMs(): number {
    return Math.max(0, this.timeoutMs - (performance.now() - this.startedAt));
  }

  /** The error for an aborted call: `Timeout` naming the budget, or `Transport` (aborted by the caller). */
  failure(adapterId: string, what: string): LlmError {
    if (this.cause === "caller" && this.caller) return callerAbortError(this.caller, adapterId, what);
    return new LlmError("Timeout", `${what} timed out after ${this.timeoutMs} ms`, { adapterId, timeoutMs: this.timeoutMs });
  }

  /** Throws `failure()` when the call is already aborted. */
  throwIfAborted(adapterId: string, what: string): void {
    if (this.signal.aborted) throw this.failure(adapterId, what);
  }

  /** Waits `ms`, or rejects with `failure()` as soon as the call is aborted. */
  sleep(ms: number, adapterId: string, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.signal.aborted) {
        reject(this.failure(adapterId, what));
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(this.failure(adapterId, what));
      };
      const timer = setTimeout(() => {
        this.signal.removeEventListener("abort", onAbort);
        resolve();
      }, Math.min(ms, MAX_TIMER_MS));
      this.signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Races `work` against the deadline: rejects with `failure()` once aborted even if `work` ignores the signal. */
  race<T>(work: Promise<T>, adapterId: string, what: string): Promise<T> {
    if (this.signal.aborted) {
      work.catch(() => undefined);
      return Promise.reject(this.failure(adapterId, what));
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        reject(this.failure(adapterId, what));
      };
      this.signal.addEventListener("abort", onAbort, { once: true });
      work.then(
        (value) => {
          this.signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (error: unknown) => {
          this.signal.removeEventListener("abort", onAbort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.caller?.removeEventListener("abort", this.onCallerAbort);
  }
}
