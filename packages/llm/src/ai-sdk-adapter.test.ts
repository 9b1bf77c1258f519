import { APICallError, type LanguageModelV3CallOptions, type LanguageModelV3GenerateResult } from "@ai-sdk/provider";
import { blake3Hex, canonicalJson } from "@cellos-cortex/cortex-core";
import { MockLanguageModelV3 } from "ai/test";
import { describe, expect, it } from "vitest";
import { aiSdkAdapter, toLanguageModelPrompt } from "./ai-sdk-adapter.js";
import type { LlmLogger } from "./llm-adapter.js";
import { LlmError } from "./llm-error.js";
import type { LlmRequest } from "./llm-request.js";

const FAST_RETRY = { initialDelayMs: 1, maxDelayMs: 4 };

function request(overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    model: "cortex-runtime-v1",
    system: "Be brief.",
    messages: [
      { role: "user", content: "Question?" },
      { role: "assistant", content: "Earlier answer." },
      { role: "user", content: "Follow-up?" },
    ],
    temperature: 0.3,
    maxTokens: 99,
    timeoutMs: 5_000,
    ...overrides,
  };
}

function generated(text: string, extra: Partial<LanguageModelV3GenerateResult> = {}): LanguageModelV3GenerateResult {
  return {
    content: [{ type: "text", text }],
    finishReason: { unified: "stop", raw: "stop" },
    usage: {
      inputTokens: { total: 14, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
      outputTokens: { total: 6, text: undefined, reasoning: undefined },
    },
    warnings: [],
    ...extra,
  };
}

function apiError(statusCode: number | undefined, headers: Record<string, string> = {}, message = `status ${String(statusCode)}`): APICallError {
  return new APICallError({
    message,
    url: "https://api.example.com/v1/chat",
    requestBodyValues: {},
    ...(statusCode === undefined ? {} : { statusCode }),
    responseHeaders: headers,
    isRetryable: statusCode === undefined || statusCode >= 500 || statusCode === 429,
  });
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

describe("aiSdkAdapter over the AI SDK's MockLanguageModelV3", () => {
  it("maps the request to LanguageModelV3 call options and the result back", async () => {
    const model = new MockLanguageModelV3({ provider: "Mock.Chat", modelId: "mock-1", doGenerate: generated("Short answer.") });
    const adapter = aiSdkAdapter(model, { runtimeMode: "remote_unsigned" });

    const response = await adapter.complete(request());

    expect(adapter.adapterId).toBe("ai-sdk:mock.chat");
    expect(adapter.runtimeMode).toBe("remote_unsigned");
    expect(response).toEqual({
      text: "Short answer.",
      model: "mock-1",
      usage: { inputTokens: 14, outputTokens: 6 },
      rawHash: await blake3Hex("Short answer."),
    });
    const call: LanguageModelV3CallOptions | undefined = model.doGenerateCalls[0];
    expect(call?.prompt).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "Question?" }] },
      { role: "assistant", content: [{ type: "text", text: "Earlier answer." }] },
      { role: "user", content: [{ type: "text", text: "Follow-up?" }] },
    ]);
    expect(call?.maxOutputTokens).toBe(99);
    expect(call?.temperature).toBe(0.3);
    expect(call?.responseFormat).toBeUndefined();
    expect(call?.abortSignal).toBeInstanceOf(AbortSignal);
  });

  it("defaults the runtime mode to unknown: the adapter cannot tell local from remote", () => {
    expect(aiSdkAdapter(new MockLanguageModelV3()).runtimeMode).toBe("unknown");
  });

  it("leaves out an empty system prompt and keeps system messages", () => {
    expect(toLanguageModelPrompt(request({ system: "", messages: [{ role: "system", content: "rules" }] }))).toEqual([
      { role: "system", content: "rules" },
    ]);
  });

  it("uses the model id the provider reports and hashes the raw body when there is one", async () => {
    const body = { id: "resp_1", output: [{ text: "hi" }] };
    const model = new MockLanguageModelV3({ doGenerate: generated("hi", { response: { modelId: "mock-1-2025", body } }) });
    const response = await aiSdkAdapter(model).complete(request());
    expect(response.model).toBe("mock-1-2025");
    expect(response.rawHash).toBe(await blake3Hex(canonicalJson(body)));
  });

  it("joins the text parts and reports missing usage as zero", async () => {
    const model = new MockLanguageModelV3({
      doGenerate: {
        ...generated(""),
        content: [
          { type: "reasoning", text: "thinking…" },
          { type: "text", text: "Hello, " },
          { type: "text", text: "world" },
        ],
        usage: {
          inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
          outputTokens: { total: undefined, text: undefined, reasoning: undefined },
        },
      },
    });
    const response = await aiSdkAdapter(model).complete(request());
    expect(response.text).toBe("Hello, world");
    expect(response.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  it("asks for JSON with the schema and validates the answer", async () => {
    const jsonSchema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] };
    const model = new MockLanguageModelV3({ doGenerate: [generated('{"ok": true}'), generated('{"ok": "yes"}')] });
    const adapter = aiSdkAdapter(model);

    expect((await adapter.complete(request({ jsonSchema }))).parsedJson).toEqual({ ok: true });
    expect(model.doGenerateCalls[0]?.responseFormat).toEqual({ type: "json", name: "response", schema: jsonSchema });
    const error = await rejection(adapter.complete(request({ jsonSchema })));
    expect(error.kind).toBe("Parse");
    expect(error.message).toContain("/ok must be boolean");
  });

  it("retries a 429 after the retry-after the provider sent", async () => {
    let calls = 0;
    const lines: Record<string, unknown>[] = [];
    const logger: LlmLogger = { warn: (_m, fields) => lines.push(fields ?? {}) };
    const model = new MockLanguageModelV3({
      doGenerate: async () => {
        calls += 1;
        if (calls === 1) throw apiError(429, { "retry-after-ms": "15" });
        return generated("made it");
      },
    });
    const response = await aiSdkAdapter(model, { retry: FAST_RETRY, logger }).complete(request());
    expect(response.text).toBe("made it");
    expect(calls).toBe(2);
    expect(lines[0]).toMatchObject({ status: 429, delayMs: 15, honouredRetryAfter: true });
  });

  it("retries a 500 then succeeds", async () => {
    const model = new MockLanguageModelV3({
      doGenerate: [generated("unused")],
    });
    let calls = 0;
    model.doGenerate = async () => {
      calls += 1;
      if (calls === 1) throw apiError(500);
      return generated("second");
    };
    expect((await aiSdkAdapter(model, { retry: FAST_RETRY }).complete(request())).text).toBe("second");
    expect(calls).toBe(2);
  });

  it("does not retry a 400 and reports it as Upstream with the status", async () => {
    let calls = 0;
    const model = new MockLanguageModelV3({
      doGenerate: async () => {
        calls += 1;
        throw apiError(400, {}, "invalid temperature");
      },
    });
    const error = await rejection(aiSdkAdapter(model, { retry: FAST_RETRY }).complete(request()));
    expect(error.kind).toBe("Upstream");
    expect(error.status).toBe(400);
    expect(error.message).toContain("invalid temperature");
    expect(calls).toBe(1);
  });

  it("reports a network failure (no status) as Transport", async () => {
    const model = new MockLanguageModelV3({
      doGenerate: async () => {
        throw apiError(undefined, {}, "Cannot connect to API: ECONNREFUSED");
      },
    });
    const error = await rejection(aiSdkAdapter(model, { retry: { ...FAST_RETRY, maxRetries: 0 } }).complete(request()));
    expect(error.kind).toBe("Transport");
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("reports an unexpected provider error as Upstream", async () => {
    const model = new MockLanguageModelV3({
      doGenerate: async () => {
        throw new TypeError("response shape changed");
      },
    });
    const error = await rejection(aiSdkAdapter(model).complete(request()));
    expect(error.kind).toBe("Upstream");
    expect(error.message).toContain("response shape changed");
  });

  it("reports a finish reason of error as Upstream", async () => {
    const model = new MockLanguageModelV3({ doGenerate: generated("", { finishReason: { unified: "error", raw: "server_error" } }) });
    const error = await rejection(aiSdkAdapter(model).complete(request()));
    expect(error.kind).toBe("Upstream");
    expect(error.message).toContain("server_error");
  });

  it("times out a provider that never answers, even one that ignores the signal", async () => {
    const model = new MockLanguageModelV3({ doGenerate: () => new Promise<never>(() => undefined) });
    const error = await rejection(aiSdkAdapter(model).complete(request({ timeoutMs: 60 })));
    expect(error.kind).toBe("Timeout");
    expect(error.timeoutMs).toBe(60);
    expect(error.message).toContain("60 ms");
  });

  it("passes the caller's abort through to the provider", async () => {
    const controller = new AbortController();
    let providerSignal: AbortSignal | undefined;
    const model = new MockLanguageModelV3({
      doGenerate: (options) => {
        providerSignal = options.abortSignal;
        return new Promise<never>((_resolve, reject) => {
          options.abortSignal?.addEventListener("abort", () => {
            reject(new DOMException("aborted", "AbortError"));
          });
          controller.abort(new Error("stop now"));
        });
      },
    });
    const error = await rejection(aiSdkAdapter(model).complete(request({ timeoutMs: 60_000 }), { signal: controller.signal }));
    expect(error.kind).toBe("Transport");
    expect(error.aborted).toBe(true);
    expect(error.message).toContain("stop now");
    expect(providerSignal?.aborted).toBe(true);
  });

  it("redacts configured secrets from errors and logs", async () => {
    const secret = "sk-ant-VERY-SECRET-9999";
    const lines: unknown[] = [];
    const model = new MockLanguageModelV3({
      doGenerate: async () => {
        throw apiError(503, {}, `upstream said: bad key ${secret}`);
      },
    });
    const error = await rejection(
      aiSdkAdapter(model, { secrets: [secret], retry: FAST_RETRY, logger: { warn: (m, f) => lines.push([m, f]) } }).complete(request()),
    );
    expect(error.message).toContain("[redacted]");
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(lines)).not.toContain(secret);
    expect(lines).toHaveLength(2);
  });

  it("rejects something that is not a LanguageModelV3", () => {
    const v2 = { ...new MockLanguageModelV3(), specificationVersion: "v2" };
    expect(() => aiSdkAdapter(v2 as unknown as MockLanguageModelV3)).toThrow(/LanguageModelV3/);
  });
});
