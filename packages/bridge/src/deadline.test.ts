import { describe, expect, it } from "vitest";
import { BridgeError } from "./bridge-error.js";
import { withDeadline } from "./deadline.js";

const errors = {
  onTimeout: () => new BridgeError("Timeout", "timed out"),
  onAbort: () => new BridgeError("Aborted", "aborted"),
};

describe("withDeadline", () => {
  it("returns the work's value and cleans up its listener", async () => {
    const controller = new AbortController();
    await expect(withDeadline(() => Promise.resolve(7), { ...errors, signal: controller.signal, timeoutMs: 1000 })).resolves.toBe(7);
    controller.abort();
  });

  it("settles on timeout even when the work ignores its signal, and aborts the work's signal", async () => {
    let inner: AbortSignal | undefined;
    const pending = withDeadline(
      (signal) => {
        inner = signal;
        return new Promise<never>(() => undefined);
      },
      { ...errors, timeoutMs: 10 },
    );
    await expect(pending).rejects.toMatchObject({ kind: "Timeout" });
    expect(inner?.aborted).toBe(true);
  });

  it("does not start work when already aborted", async () => {
    let started = false;
    await expect(
      withDeadline(
        () => {
          started = true;
          return Promise.resolve(1);
        },
        { ...errors, signal: AbortSignal.abort() },
      ),
    ).rejects.toMatchObject({ kind: "Aborted" });
    expect(started).toBe(false);
  });

  it("passes the work's own rejection through", async () => {
    await expect(withDeadline(() => Promise.reject(new Error("own")), { ...errors, timeoutMs: 1000 })).rejects.toThrow("own");
  });
});
