import { BridgeError } from "./bridge-error.js";
import type { ContextPack } from "./context-pack.js";

/**
 * The seed's TTL rule, in seconds: no expiry → `defaultTtlSeconds`; already
 * expired (`expiresAt ≤ nowMs`) → 1, the smallest TTL a supervisor accepts,
 * so it still sees a valid spec and expires it cleanly; otherwise the whole
 * seconds remaining, at least 1 and at most `defaultTtlSeconds`.
 */
export function ttlSecondsFor(pack: Pick<ContextPack, "expiresAt">, defaultTtlSeconds: number, nowMs: number = Date.now()): number {
  checkTtlSeconds(defaultTtlSeconds, "defaultTtlSeconds");
  const expiresAt = pack.expiresAt;
  if (expiresAt === undefined) return defaultTtlSeconds;
  if (expiresAt <= nowMs) return 1;
  const remaining = Math.floor((expiresAt - nowMs) / 1000);
  return Math.min(Math.max(remaining, 1), defaultTtlSeconds);
}

/** Throws `InvalidOptions` unless `value` is a safe integer ≥ 1. */
export function checkTtlSeconds(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new BridgeError("InvalidOptions", `${what} must be an integer number of seconds ≥ 1, got ${String(value)}`);
  }
  return value;
}
