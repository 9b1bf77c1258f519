import { blake3Hex } from "@cellos-cortex/cortex-core";
import { describe, expect, it } from "vitest";
import { LlmError } from "./llm-error.js";
import type { LlmRequest } from "./llm-request.js";
import { promptHash } from "./prompt-hash.js";
import { StaticAdapter } from "./static-adapter.js";

function request(overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    model: "cortex-runtime-v1",
    system: "",
    messages: [{ role: "user", content: "hello" }],
    temperature: 0,
    maxTokens: 16,
    timeoutMs: 1_000,
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<LlmError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(LlmError);
    return error as LlmError;
  }
  throw new Error("expected the promise to reject");
}

describe("StaticAdapter", () => {
  it("answers scripted replies in order, hashing the text into rawHash", async () => {
    const adapter = new StaticAdapter([{ text: "one", usage: { inputTokens: 12, outputTokens: 3 } }, { text: "two", model: "other" }]);
    const first = await adapter.complete(request());
    const second = await adapter.complete(request());
    expect(first).toEqual({ text: "one", model: "cortex-runtime-v1", usage: { inputTokens: 12, outputTokens: 3 }, rawHash: await blake3Hex("one") });
    expect(second.text).toBe("two");
    expect(second.model).toBe("other");
    expect(second.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(adapter.remaining).toBe(0);
  });

  it("has stable defaults for id and runtime mode, both overridable", () => {
    const plain = new StaticAdapter([]);
    expect(plain.adapterId).toBe("static");
    expect(plain.runtimeMode).toBe("local_unsigned");
    const custom = new StaticAdapter([], { adapterId: "fixed-runtime", runtimeMode: "remote_unsigned" });
    expect(custom.adapterId).toBe("fixed-runtime");
    expect(custom.runtimeMode).toBe("remote_unsigned");
  });

  it("records each request with its prompt hash", async () => {
    const adapter = new StaticAdapter([{ text: "a" }]);
    const req = request({ system: "sys" });
    await adapter.complete(req);
    expect(adapter.calls).toEqual([{ request: req, promptHash: await promptHash(req) }]);
  });

  it("fails with NoFixture naming model and prompt hash once the script is used up", async () => {
    const adapter = new StaticAdapter([{ text: "only" }]);
    await adapter.complete(request());
    const error = await rejection(adapter.complete(request({ model: "m-2" })));
    const hash = await promptHash(request());
    expect(error.kind).toBe("NoFixture");
    expect(error.model).toBe("m-2");
    expect(error.promptHash).toBe(hash);
    expect(error.message).toContain("m-2");
    expect(error.message).toContain(hash);
  });

  it("throws scripted errors", async () => {
    const scripted = new LlmError("Upstream", "scripted outage", { adapterId: "static", status: 503 });
    const adapter = new StaticAdapter([scripted, { text: "recovered" }]);
    expect(await rejection(adapter.complete(request()))).toBe(scripted);
    expect((await adapter.complete(request())).text).toBe("recovered");
  });

  it("validates the request and does not consume a reply for an invalid one", async () => {
    const adapter = new StaticAdapter([{ text: "kept" }]);
    const error = await rejection(adapter.complete(request({ messages: [] })));
    expect(error.kind).toBe("InvalidRequest");
    expect(error.adapterId).toBe("static");
    expect(adapter.calls).toHaveLength(0);
    expect((await adapter.complete(request())).text).toBe("kept");
  });

  it("parses and validates JSON replies when the request has a jsonSchema", async () => {
    const jsonSchema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] };
    const adapter = new StaticAdapter([{ text: '{"n": 3}' }, { text: '{"n": "three"}' }]);
    expect((await adapter.complete(request({ jsonSchema }))).parsedJson).toEqual({ n: 3 });
    const error = await rejection(adapter.complete(request({ jsonSchema })));
    expect(error.kind).toBe("Parse");
    expect(error.message).toContain("/n must be integer");
  });

  it("answers through a function script with the call context", async () => {
    const adapter = new StaticAdapter((req, { callIndex, promptHash: hash }) => ({ text: `${callIndex}:${req.messages.length}:${hash.slice(0, 8)}` }));
    const hash = await promptHash(request());
    expect((await adapter.complete(request())).text).toBe(`0:1:${hash.slice(0, 8)}`);
    expect((await adapter.complete(request())).text).toBe(`1:1:${hash.slice(0, 8)}`);
    expect(adapter.remaining).toBe(Number.POSITIVE_INFINITY);
  });

  it("wraps a throwing function script in an LlmError", async () => {
    const adapter = new StaticAdapter(() => {
      throw new TypeError("script bug");
    });
    const error = await rejection(adapter.complete(request()));
    expect(error.kind).toBe("Upstream");
    expect(error.message).toContain("script bug");
  });

  it("times out a function script that never answers", async () => {
    const adapter = new StaticAdapter(() => new Promise<never>(() => undefined));
    const error = await rejection(adapter.complete(request({ timeoutMs: 50 })));
    expect(error.kind).toBe("Timeout");
    expect(error.timeoutMs).toBe(50);
    expect(error.message).toContain("50 ms");
  });

  it("gives the function script a signal that fires when the caller aborts", async () => {
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const adapter = new StaticAdapter((_req, { signal }) => {
      seen = signal;
      controller.abort();
      return new Promise<never>(() => undefined);
    });
    const error = await rejection(adapter.complete(request(), { signal: controller.signal }));
    expect(error.kind).toBe("Transport");
    expect(error.aborted).toBe(true);
    expect(seen?.aborted).toBe(true);
  });

  it("refuses to answer when the signal is already aborted", async () => {
    const adapter = new StaticAdapter([{ text: "x" }]);
    const error = await rejection(adapter.complete(request(), { signal: AbortSignal.abort() }));
    expect(error.aborted).toBe(true);
    expect(adapter.remaining).toBe(1);
  });
});
