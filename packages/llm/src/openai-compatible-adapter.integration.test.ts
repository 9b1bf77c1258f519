import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { blake3Hex } from "@cellos-cortex/cortex-core";
import { afterEach, describe, expect, it } from "vitest";
import { chatCompletion, ok, startChatServer, type ChatServer, type Step } from "./__fixtures__/chat-completions-server.js";
import type { LlmLogger } from "./llm-adapter.js";
import { LlmError } from "./llm-error.js";
import type { LlmRequest } from "./llm-request.js";
import { OpenAiCompatibleAdapter, openAiCompatibleAdapter } from "./openai-compatible-adapter.js";
import { RecordingAdapter } from "./recording-adapter.js";
import { ReplayAdapter } from "./replay-adapter.js";

const API_KEY = "sk-test-SECRET-0123456789abcdef";
const FAST_RETRY = { initialDelayMs: 1, maxDelayMs: 4 };

function request(overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    model: "cortex-runtime-v1",
    system: "You are terse.",
    messages: [{ role: "user", content: "Say hi." }],
    temperature: 0,
    maxTokens: 64,
    timeoutMs: 5_000,
    ...overrides,
  };
}

interface LogLine {
  message: string;
  fields: Record<string, unknown> | undefined;
}

function memoryLogger(): LlmLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return { lines, warn: (message, fields) => lines.push({ message, fields }) };
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

let server: ChatServer | undefined;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function serve(steps: Step[]): Promise<ChatServer> {
  server = await startChatServer(steps);
  return server;
}

describe("openAiCompatibleAdapter against a local chat-completions server", () => {
  it("sends a chat-completions request and maps the answer", async () => {
    const s = await serve([ok("hi there", { model: "llama3.1:8b-served", promptTokens: 21, completionTokens: 3 })]);
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "llama3.1:8b", apiKey: API_KEY });

    const response = await adapter.complete(request({ temperature: 0.2 }));

    expect(response.text).toBe("hi there");
    expect(response.model).toBe("llama3.1:8b-served");
    expect(response.usage).toEqual({ inputTokens: 21, outputTokens: 3 });
    expect(response.parsedJson).toBeUndefined();
    expect(s.requests).toHaveLength(1);
    const sent = s.requests[0];
    expect(sent?.method).toBe("POST");
    expect(sent?.url).toBe("/v1/chat/completions");
    expect(sent?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent?.headers["content-type"]).toBe("application/json");
    expect(sent?.body).toEqual({
      model: "llama3.1:8b",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Say hi." },
      ],
      temperature: 0.2,
      max_tokens: 64,
      stream: false,
    });
  });

  it("hashes the raw response bytes into rawHash", async () => {
    const body = chatCompletion("bytes matter");
    const s = await serve([{ kind: "reply", body }]);
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m" });
    const response = await adapter.complete(request());
    expect(response.rawHash).toBe(await blake3Hex(body));
  });

  it("is local_unsigned on a loopback base URL and remote_unsigned elsewhere", () => {
    expect(openAiCompatibleAdapter({ baseUrl: "http://127.0.0.1:11434/v1", model: "m" }).runtimeMode).toBe("local_unsigned");
    expect(openAiCompatibleAdapter({ baseUrl: "http://localhost:11434/v1", model: "m" }).runtimeMode).toBe("local_unsigned");
    expect(openAiCompatibleAdapter({ baseUrl: "http://[::1]:8080/v1", model: "m" }).runtimeMode).toBe("local_unsigned");
    expect(openAiCompatibleAdapter({ baseUrl: "https://api.openai.com/v1", model: "m" }).runtimeMode).toBe("remote_unsigned");
    expect(openAiCompatibleAdapter({ baseUrl: "http://127.0.0.1.nip.io/v1", model: "m" }).runtimeMode).toBe("remote_unsigned");
  });

  it("sends the jsonSchema as response_format and returns the validated parsedJson", async () => {
    const s = await serve([ok('{"answer": 42}')]);
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m" });
    const jsonSchema = { type: "object", properties: { answer: { type: "integer" } }, required: ["answer"] };

    const response = await adapter.complete(request({ jsonSchema }));

    expect(response.parsedJson).toEqual({ answer: 42 });
    expect((s.requests[0]?.body as { response_format?: unknown }).response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "response", schema: jsonSchema },
    });
  });

  it("reports a reply that breaks the jsonSchema as Parse with the reason", async () => {
    const s = await serve([ok('{"answer": "forty-two"}')]);
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m" });
    const error = await rejection(
      adapter.complete(request({ jsonSchema: { type: "object", properties: { answer: { type: "integer" } } } })),
    );
    expect(error.kind).toBe("Parse");
    expect(error.message).toContain("/answer must be integer");
    expect(s.requests).toHaveLength(1);
  });

  it("waits as long as retry-after says on 429, then succeeds", async () => {
    const s = await serve([
      { kind: "reply", status: 429, headers: { "retry-after": "1" }, body: JSON.stringify({ error: { message: "slow down" } }) },
      ok("after the wait"),
    ]);
    const logger = memoryLogger();
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m", retry: FAST_RETRY, logger });

    const response = await adapter.complete(request());

    expect(response.text).toBe("after the wait");
    expect(s.requests).toHaveLength(2);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]?.fields).toMatchObject({ status: 429, delayMs: 1000, honouredRetryAfter: true, attempt: 1 });
  });

  it("honours retry-after-ms before retry-after", async () => {
    const s = await serve([
      { kind: "reply", status: 429, headers: { "retry-after-ms": "25", "retry-after": "60" }, body: "{}" },
      ok("ok"),
    ]);
    const logger = memoryLogger();
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m", retry: FAST_RETRY, logger });
    await adapter.complete(request());
    expect(logger.lines[0]?.fields).toMatchObject({ delayMs: 25, honouredRetryAfter: true });
  });

  it("does not wait for a retry-after longer than the remaining budget", async () => {
    const s = await serve([{ kind: "reply", status: 429, headers: { "retry-after": "120" }, body: JSON.stringify({ error: "rate limited" }) }]);
    const logger = memoryLogger();
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m", retry: FAST_RETRY, logger });

    const error = await rejection(adapter.complete(request({ timeoutMs: 2_000 })));

    expect(error.kind).toBe("Upstream");
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBe(120_000);
    expect(error.message).toContain("429");
    expect(error.message).toContain("rate limited");
    expect(s.requests).toHaveLength(1);
    expect(logger.lines[0]?.message).toContain("retry skipped");
  });

  it("retries a 500 and then succeeds", async () => {
    const s = await serve([{ kind: "reply", status: 500, body: "internal oops" }, ok("second time lucky")]);
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m", retry: FAST_RETRY });
    const response = await adapter.complete(request());
    expect(response.text).toBe("second time lucky");
    expect(s.requests).toHaveLength(2);
  });

  it("gives up after two retries by default and reports the last status", async () => {
    const s = await serve([{ kind: "reply", status: 503, body: JSON.stringify({ message: "overloaded" }) }]);
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m", retry: FAST_RETRY });
    const error = await rejection(adapter.complete(request()));
    expect(error.kind).toBe("Upstream");
    expect(error.status).toBe(503);
    expect(error.message).toContain("overloaded");
    expect(error.adapterId).toBe("openai-compatible");
    expect(s.requests).toHaveLength(3);
  });

  it("retries 408 like 429", async () => {
    const s = await serve([{ kind: "reply", status: 408, body: "{}" }, ok("fine")]);
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m", retry: FAST_RETRY });
    expect((await adapter.complete(request())).text).toBe("fine");
    expect(s.requests).toHaveLength(2);
  });

  it.each([400, 401, 403, 404, 409, 422])("never retries a %i", async (status) => {
    const s = await serve([{ kind: "reply", status, body: JSON.stringify({ error: { message: `nope ${status}` } }) }, ok("unreachable")]);
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m", retry: FAST_RETRY });
    const error = await rejection(adapter.complete(request()));
    expect(error.kind).toBe("Upstream");
    expect(error.status).toBe(status);
    expect(error.message).toContain(`nope ${status}`);
    expect(s.requests).toHaveLength(1);
  });

  it("times out a hung response with Timeout naming the budget", async () => {
    const s = await serve([{ kind: "hang" }]);
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m", retry: FAST_RETRY });
    const error = await rejection(adapter.complete(request({ timeoutMs: 200 })));
    expect(error.kind).toBe("Timeout");
    expect(error.timeoutMs).toBe(200);
    expect(error.message).toContain("200 ms");
    expect(s.requests).toHaveLength(1);
  });

  it("times out a body that stalls halfway", async () => {
    const s = await serve([{ kind: "stall-body", partial: '{"choices": [' }]);
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m", retry: FAST_RETRY });
    const error = await rejection(adapter.complete(request({ timeoutMs: 250 })));
    expect(error.kind).toBe("Timeout");
    expect(error.timeoutMs).toBe(250);
  });

  it("reports malformed JSON in a 200 as Upstream without retrying", async () => {
    const s = await serve([{ kind: "reply", body: '{"choices": [ {"message": ' }]);
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m", retry: FAST_RETRY });
    const error = await rejection(adapter.complete(request()));
    expect(error.kind).toBe("Upstream");
    expect(error.message).toContain("not JSON");
    expect(s.requests).toHaveLength(1);
  });

  it("reports JSON that is not a chat completion as Upstream naming the problem", async () => {
    const s = await serve([{ kind: "reply", body: JSON.stringify({ choices: [] }) }]);
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m" });
    const error = await rejection(adapter.complete(request()));
    expect(error.kind).toBe("Upstream");
    expect(error.message).toContain("choices must not be empty");
  });

  it("reports a null content with the refusal", async () => {
    const body = JSON.stringify({ choices: [{ message: { role: "assistant", content: null, refusal: "I can't help with that" }, finish_reason: "stop" }] });
    const s = await serve([{ kind: "reply", body }]);
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m" });
    const error = await rejection(adapter.complete(request()));
    expect(error.kind).toBe("Upstream");
    expect(error.message).toContain("I can't help with that");
  });

  it("rejects a body over maxResponseBytes", async () => {
    const s = await serve([ok("x".repeat(5_000))]);
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m", maxResponseBytes: 1_000 });
    const error = await rejection(adapter.complete(request()));
    expect(error.kind).toBe("Upstream");
    expect(error.message).toContain("larger than 1000 bytes");
  });

  it("aborts an in-flight request when the caller's signal fires", async () => {
    const s = await serve([{ kind: "hang" }]);
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m", retry: FAST_RETRY });
    const controller = new AbortController();
    const pending = adapter.complete(request({ timeoutMs: 30_000 }), { signal: controller.signal });
    await s.received(1);
    controller.abort(new Error("user pressed stop"));
    const error = await rejection(pending);
    expect(error.kind).toBe("Transport");
    expect(error.aborted).toBe(true);
    expect(error.message).toContain("aborted by the caller");
    expect(error.message).toContain("user pressed stop");
    expect(s.requests).toHaveLength(1);
  });

  it("aborts during a backoff wait", async () => {
    const s = await serve([{ kind: "reply", status: 429, headers: { "retry-after": "20" }, body: "{}" }]);
    const controller = new AbortController();
    const logger: LlmLogger = { warn: () => controller.abort() };
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m", logger });
    const error = await rejection(adapter.complete(request({ timeoutMs: 60_000 }), { signal: controller.signal }));
    expect(error.kind).toBe("Transport");
    expect(error.aborted).toBe(true);
    expect(s.requests).toHaveLength(1);
  });

  it("does not send anything when the signal is already aborted", async () => {
    const s = await serve([ok("never")]);
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m" });
    const error = await rejection(adapter.complete(request(), { signal: AbortSignal.abort() }));
    expect(error.aborted).toBe(true);
    expect(s.requests).toHaveLength(0);
  });

  it("retries a dropped connection as Transport and then succeeds", async () => {
    const s = await serve([{ kind: "drop" }, ok("reconnected")]);
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m", retry: FAST_RETRY });
    expect((await adapter.complete(request())).text).toBe("reconnected");
    expect(s.requests).toHaveLength(2);
  });

  it("reports a refused connection as Transport after the retries", async () => {
    const s = await serve([ok("x")]);
    const baseUrl = s.baseUrl;
    await s.close();
    server = undefined;
    const adapter = openAiCompatibleAdapter({ baseUrl, model: "m", retry: FAST_RETRY });
    const error = await rejection(adapter.complete(request()));
    expect(error.kind).toBe("Transport");
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("rejects an invalid request before sending it", async () => {
    const s = await serve([ok("never")]);
    const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m" });
    const error = await rejection(adapter.complete(request({ maxTokens: 0 })));
    expect(error.kind).toBe("InvalidRequest");
    expect(error.message).toContain("maxTokens");
    expect(s.requests).toHaveLength(0);
  });

  it("rejects a base URL with embedded credentials without echoing them", () => {
    let caught: unknown;
    try {
      new OpenAiCompatibleAdapter({ baseUrl: "https://user:hunter2-password@api.example.com/v1", model: "m" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(LlmError);
    expect((caught as LlmError).kind).toBe("InvalidRequest");
    expect((caught as LlmError).message).not.toContain("hunter2");
  });

  describe("the API key never leaks", () => {
    const echoKey: Step = {
      kind: "custom",
      handle: (req, res) => {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${String(req.headers.authorization)}` } }));
      },
    };

    it("is redacted from an upstream error that echoes it", async () => {
      const s = await serve([echoKey]);
      const logger = memoryLogger();
      const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m", apiKey: API_KEY, logger });
      const error = await rejection(adapter.complete(request()));
      expect(error.kind).toBe("Upstream");
      expect(error.message).toContain("Incorrect API key provided");
      expect(error.message).toContain("[redacted]");
      expect(error.message).not.toContain(API_KEY);
      expect(JSON.stringify(error)).not.toContain(API_KEY);
      expect(String(error.stack)).not.toContain(API_KEY);
    });

    it("is absent from retry logs, even when the server echoes it", async () => {
      const s = await serve([
        {
          kind: "custom",
          handle: (req, res) => {
            res.writeHead(500);
            res.end(`upstream died holding ${String(req.headers.authorization)}`);
          },
        },
        ok("ok"),
      ]);
      const logger = memoryLogger();
      const adapter = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "m", apiKey: API_KEY, logger, retry: FAST_RETRY });
      await adapter.complete(request());
      expect(logger.lines).toHaveLength(1);
      expect(JSON.stringify(logger.lines)).toContain("[redacted]");
      expect(JSON.stringify(logger.lines)).not.toContain(API_KEY);
    });

    it("is absent from the adapter's enumerable state", () => {
      const adapter = openAiCompatibleAdapter({ baseUrl: "http://127.0.0.1:1/v1", model: "m", apiKey: API_KEY });
      expect(JSON.stringify(adapter)).not.toContain(API_KEY);
      expect(inspect(adapter, { showHidden: true, depth: 5 })).not.toContain(API_KEY);
      expect(JSON.stringify({ ...adapter })).not.toContain(API_KEY);
    });

    it("is absent from recorded fixtures, and the recording replays", async () => {
      const s = await serve([ok('{"verdict": "fine"}')]);
      const dir = await mkdtemp(join(tmpdir(), "llm-openai-record-"));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const live = openAiCompatibleAdapter({ baseUrl: s.baseUrl, model: "gpt-test", apiKey: API_KEY });
      const recorder = new RecordingAdapter(live, dir);
      const req = request({ jsonSchema: { type: "object", required: ["verdict"] } });

      const recorded = await recorder.complete(req);

      for (const name of await readdir(dir)) {
        expect(await readFile(join(dir, name), "utf8")).not.toContain(API_KEY);
      }
      const replay = await ReplayAdapter.fromDirectory(dir);
      expect(replay.runtimeMode).toBe("local_unsigned");
      expect(await replay.complete(req)).toEqual(recorded);
    });
  });
});
