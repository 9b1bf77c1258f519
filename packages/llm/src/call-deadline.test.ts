import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { CallDeadline } from "./call-deadline.js";
import { LlmError } from "./llm-error.js";

describe("CallDeadline", () => {
  it("fires on the budget and reports Timeout naming the ms", async () => {
    const deadline = new CallDeadline(20, undefined);
    await once(deadline.signal, "abort");
    expect(deadline.timedOut).toBe(true);
    const error = deadline.failure("unit", "call");
    expect(error.kind).toBe("Timeout");
    expect(error.timeoutMs).toBe(20);
    expect(error.message).toBe("llm Timeout (unit): call timed out after 20 ms");
    deadline.dispose();
  });

  it("fires on the caller's abort and reports it, not a timeout", () => {
    const controller = new AbortController();
    const deadline = new CallDeadline(60_000, controller.signal);
    controller.abort(new Error("user cancelled"));
    expect(deadline.aborted).toBe(true);
    expect(deadline.timedOut).toBe(false);
    const error = deadline.failure("unit", "call");
    expect(error.kind).toBe("Transport");
    expect(error.aborted).toBe(true);
    expect(error.message).toContain("user cancelled");
    deadline.dispose();
  });

  it("keeps the first cause when both fire", async () => {
    const controller = new AbortController();
    const deadline = new CallDeadline(10, controller.signal);
    await once(deadline.signal, "abort");
    controller.abort();
    expect(deadline.failure("unit", "call").kind).toBe("Timeout");
    deadline.dispose();
  });

  it("starts aborted for an already-aborted caller signal", () => {
    const deadline = new CallDeadline(60_000, AbortSignal.abort());
    expect(() => {
      deadline.throwIfAborted("unit", "call");
    }).toThrow(LlmError);
    deadline.dispose();
  });

  it("unhooks from the caller's signal on dispose", () => {
    const controller = new AbortController();
    const deadline = new CallDeadline(60_000, controller.signal);
    deadline.dispose();
    controller.abort();
    expect(deadline.aborted).toBe(false);
  });

  it("rejects a race as soon as it is aborted, even if the work never settles", async () => {
    const controller = new AbortController();
    const deadline = new CallDeadline(60_000, controller.signal);
    const racing = deadline.race(new Promise<never>(() => undefined), "unit", "call");
    controller.abort();
    await expect(racing).rejects.toMatchObject({ kind: "Transport", aborted: true });
    deadline.dispose();
  });
});
