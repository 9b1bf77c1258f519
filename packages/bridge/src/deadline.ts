import { BridgeError } from "./bridge-error.js";

/** Longest delay `setTimeout` honours; longer timeouts mean "no timeout". */
const MAX_TIMER_MS = 2_147_483_647;

export interface DeadlineOptions {
  readonly signal?: AbortSignal | undefined;
  /** Milliseconds; `undefined` or ≥ 2^31 ms: no timeout. */
  readonly timeoutMs?: number | undefined;
  /** The error to reject with when the timeout passes. */
  readonly onTimeout: () => Error;
  /** The error to reject with when the caller's signal fires. */
  readonly onAbort: (reason: unknown) => Error;
}

/**
 * Runs `work` with a signal that fires when the caller's signal fires or the
 * timeout passes, and settles as soon as either happens even when `work`
 * ignores its signal: a hung submitter or sink cannot hold the caller.
 */
export async function withDeadline<T>(work: (signal: AbortSignal) => Promise<T>, options: DeadlineOptions): Promise<T> {
  const outer = options.signal;
  if (outer?.aborted) throw options.onAbort(outer.reason);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onOuterAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_resolve, reject) => {
    const stop = (error: Error): void => {
      controller.abort(error);
      reject(error);
    };
    if (outer !== undefined) {
      onOuterAbort = () => {
        stop(options.onAbort(outer.reason));
      };
      outer.addEventListener("abort", onOuterAbort, { once: true });
    }
    const timeoutMs = options.timeoutMs;
    if (timeoutMs !== undefined && timeoutMs < MAX_TIMER_MS) {
      timer = setTimeout(() => {
        stop(options.onTimeout());
      }, Math.max(0, timeoutMs));
    }
  });
  try {
    return await Promise.race([work(controller.signal), stopped]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (outer !== undefined && onOuterAbort !== undefined) outer.removeEventListener("abort", onOuterAbort);
  }
}

/** Throws `InvalidOptions` unless `value` is a finite number ≥ 0 (or undefined when optional). */
export function checkTimeoutMs(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw new BridgeError("InvalidOptions", `${what} must be a number of milliseconds ≥ 0, got ${typeof value === "number" ? String(value) : JSON.stringify(value)}`);
  }
  return value;
}

/** A promise that resolves after `ms`, or rejects with `onAbort` when `signal` fires first. */
export function delay(ms: number, signal: AbortSignal | undefined, onAbort: (reason: unknown) => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(onAbort(signal.reason));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", abort);
      resolve();
    }, ms);
    const abort = (): void => {
      clearTimeout(timer);
      reject(onAbort(signal?.reason));
    };
    signal?.addEventListener("abort", abort, { once: true });
  });
}
