import { describe, expect, it } from "vitest";
import { LLM_ERROR_KINDS, LlmError, isLlmError } from "./llm-error.js";

describe("LlmError", () => {
  it("has the eight kinds of cortex_llm::LlmError", () => {
    expect([...LLM_ERROR_KINDS]).toEqual([
      "Transport",
      "Upstream",
      "InvalidRequest",
      "Timeout",
      "Parse",
      "NoFixture",
      "FixtureIntegrityFailed",
      "Io",
    ]);
  });

  it.each(LLM_ERROR_KINDS)("%s says what failed and carries the adapter id", (kind) => {
    const error = new LlmError(kind, "the thing failed", { adapterId: "ollama" });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("LlmError");
    expect(error.kind).toBe(kind);
    expect(error.adapterId).toBe("ollama");
    expect(error.message).toBe(`llm ${kind} (ollama): the thing failed`);
    expect(isLlmError(error, kind)).toBe(true);
  });

  it("keeps the details it is given", () => {
    const cause = new Error("root");
    const error = new LlmError("Timeout", "timed out after 30 ms", { adapterId: "a", timeoutMs: 30, cause });
    expect(error.timeoutMs).toBe(30);
    expect(error.cause).toBe(cause);
    expect(error.retryable).toBe(false);
    expect(error.aborted).toBe(false);
  });

  it("is told apart from other errors", () => {
    expect(isLlmError(new Error("x"))).toBe(false);
    expect(isLlmError(new LlmError("Io", "x", { adapterId: "a" }), "Parse")).toBe(false);
  });
});
