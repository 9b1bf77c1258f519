import type { RuntimeMode } from "@cellos-cortex/cortex-core";
import { z } from "zod";
import { CallDeadline } from "./call-deadline.js";
import { buildResponse, prepareCall, type PreparedCall } from "./completion.js";
import { silentLogger, type CompleteOptions, type LlmAdapter, type LlmLogger } from "./llm-adapter.js";
import { LlmError } from "./llm-error.js";
import type { LlmRequest } from "./llm-request.js";
import type { LlmResponse } from "./llm-response.js";
import { runtimeModeForBaseUrl } from "./loopback.js";
import { isRetryableStatus, parseRetryAfterMs, resolveRetryPolicy, withRetries, type RetryPolicy } from "./retry-policy.js";
import { redactSecrets } from "./secret-redaction.js";

export const OPENAI_COMPATIBLE_ADAPTER_ID = "openai-compatible";

export interface OpenAiCompatibleAdapterOptions {
  /** API root, e.g. `http://127.0.0.1:11434/v1` (Ollama) or `https://api.openai.com/v1`; `/chat/completions` is appended. */
  baseUrl: string | URL;
  /** The model this adapter calls (`request.model` is the logical name used for fixtures; ADR 0017). */
  model: string;
  /** Sent as `Authorization: Bearer …`; never appears in errors, logs or fixtures. */
  apiKey?: string;
  /** Default `"openai-compatible"`. */
  adapterId?: string;
  /** Extra request headers; their values are treated as secrets too. */
  headers?: Record<string, string>;
  /** Default: 2 retries, 500 ms initial backoff, 8 s cap, jitter, `retry-after` honoured. */
  retry?: Partial<RetryPolicy>;
  /** Receives retry notices (never secrets). */
  logger?: LlmLogger;
  /** Largest successful response body accepted (default 8 MiB). */
  maxResponseBytes?: number;
  /** The fetch implementation (default: the global `fetch`). */
  fetch?: typeof fetch;
}

const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 8 * 1024;

/** The parts of a chat-completions response we read; everything else is allowed and ignored. */
const ChatCompletionSchema = z.looseObject({
  model: z.string().optional(),
  choices: z
    .array(
      z.looseObject({
        finish_reason: z.string().nullish(),
        message: z.looseObject({
          content: z.string().nullish(),
          refusal: z.string().nullish(),
        }),
      }),
    )
    .min(1, "choices must not be empty"),
  usage: z
    .looseObject({
      prompt_tokens: z.int().min(0).nullish(),
      completion_tokens: z.int().min(0).nullish(),
    })
    .nullish(),
});

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  // undici reports "fetch failed" and keeps the useful part (ECONNREFUSED …) in `cause`.
  return cause instanceof Error && cause.message && cause.message !== error.message ? `${error.message}: ${cause.message}` : error.message;
}

/**
 * An adapter for any server speaking the OpenAI chat-completions API (OpenAI,
 * Ollama, vLLM, llama.cpp, LM Studio, …), written on `fetch` so that retries,
 * `retry-after`, timeouts and the raw bytes behind `rawHash` are under our
 * control (ADR 0017). Runtime mode: `local_unsigned` for a loopback base URL,
 * `remote_unsigned` otherwise.
 */
export class OpenAiCompatibleAdapter implements LlmAdapter {
  readonly adapterId: string;
  readonly runtimeMode: RuntimeMode;
  readonly model: string;
  /** `…/chat/completions`, without credentials. */
  readonly endpoint: string;
  // True private fields: invisible to JSON.stringify, util.inspect and spreading.
  readonly #apiKey: string | undefined;
  readonly #headers: Record<string, string>;
  readonly #secrets: readonly string[];
  private readonly retry: RetryPolicy;
  private readonly logger: LlmLogger;
  private readonly maxResponseBytes: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: OpenAiCompatibleAdapterOptions) {
    this.adapterId = options.adapterId ?? OPENAI_COMPATIBLE_ADAPTER_ID;
    this.#apiKey = options.apiKey;
    this.#headers = { ...options.headers };
    this.#secrets = [options.apiKey ?? "", ...Object.values(this.#headers)].filter((s) => s.length >= 4);
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch (error) {
      throw new LlmError("InvalidRequest", `baseUrl is not a URL: ${redactSecrets(String(options.baseUrl), this.#secrets)}`, {
        adapterId: this.adapterId,
        cause: error,
      });
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new LlmError("InvalidRequest", `baseUrl must be http or https, got ${base.protocol}`, { adapterId: this.adapterId });
    }
    if (base.username || base.password) {
      throw new LlmError("InvalidRequest", `baseUrl must not embed credentials (host ${base.host}); pass apiKey instead`, {
        adapterId: this.adapterId,
      });
    }
    if (typeof options.model !== "string" || options.model.trim() === "") {
      throw new LlmError("InvalidRequest", "model must be a non-empty string", { adapterId: this.adapterId });
    }
    this.model = options.model;
    base.pathname = `${base.pathname.replace(/\/+$/, "")}/chat/completions`;
    base.search = "";
    base.hash = "";
    this.endpoint = base.toString();
    this.runtimeMode = runtimeModeForBaseUrl(base);
    this.retry = resolveRetryPolicy(options.retry, this.adapterId);
    this.logger = options.logger ?? silentLogger;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.fetchImpl = options.fetch ?? fetch;
  }

  async complete(request: LlmRequest, options: CompleteOptions = {}): Promise<LlmResponse> {
    const call = await prepareCall(this.adapterId, request);
    const what = `POST ${this.endpoint}`;
    const deadline = new CallDeadline(call.request.timeoutMs, options.signal);
    try {
      return await withRetries({ adapterId: this.adapterId, policy: this.retry, deadline, logger: this.logger, what }, () =>
        this.attempt(call, deadline, what),
      );
    } finally {
      deadline.dispose();
    }
  }

  private body(request: LlmRequest): string {
    const messages = [
      ...(request.system === "" ? [] : [{ role: "system", content: request.system }]),
      ...request.messages.map((m) => ({ role: m.role, content: m.content })),
    ];
    return JSON.stringify({
      model: this.model,
      messages,
      temperature: request.temperature,
      max_tokens: request.maxTokens,
      stream: false,
      ...(request.jsonSchema === undefined
        ? {}
        : { response_format: { type: "json_schema", json_schema: { name: "response", schema: request.jsonSchema } } }),
    });
  }

  private redact(text: string): string {
    return redactSecrets(text, this.#secrets);
  }

  private async attempt(call: PreparedCall, deadline: CallDeadline, what: string): Promise<LlmResponse> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.endpoint, {
        method: "POST",
        headers: {
          ...this.#headers,
          "content-type": "application/json",
          accept: "application/json",
          ...(this.#apiKey === undefined ? {} : { authorization: `Bearer ${this.#apiKey}` }),
        },
        body: this.body(call.request),
        signal: deadline.signal,
      });
    } catch (error) {
      if (deadline.aborted) throw deadline.failure(this.adapterId, what);
      throw new LlmError("Transport", this.redact(`${what} failed: ${errorText(error)}`), { adapterId: this.adapterId, retryable: true });
    }

    if (!response.ok) {
      const detail = await this.readErrorDetail(response, deadline, what);
      const retryAfterMs = parseRetryAfterMs(response.headers);
      throw new LlmError(
        "Upstream",
        this.redact(`${what} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}${detail ? `: ${detail}` : ""}`),
        {
          adapterId: this.adapterId,
          status: response.status,
          retryable: isRetryableStatus(response.status),
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        },
      );
    }

    const bytes = await this.readBody(response, this.maxResponseBytes, deadline, what, true);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as unknown;
    } catch (error) {
      throw new LlmError("Upstream", this.redact(`${what} returned a body that is not JSON (${errorText(error)})`), { adapterId: this.adapterId });
    }
    const parsed = ChatCompletionSchema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
      throw new LlmError("Upstream", this.redact(`${what} returned a malformed chat completion: ${problems}`), { adapterId: this.adapterId });
    }
    const choice = parsed.data.choices[0];
    const content = choice?.message.content;
    if (typeof content !== "string") {
      const why = choice?.message.refusal ? `refused: ${choice.message.refusal}` : `finish_reason ${choice?.finish_reason ?? "none"}`;
      throw new LlmError("Upstream", this.redact(`${what} returned no message content (${why})`), { adapterId: this.adapterId });
    }
    return buildResponse(this.adapterId, call, {
      text: content,
      model: parsed.data.model ?? this.model,
      usage: {
        inputTokens: parsed.data.usage?.prompt_tokens ?? 0,
        outputTokens: parsed.data.usage?.completion_tokens ?? 0,
      },
      raw: bytes,
    });
  }

  /** Reads a body up to `limit` bytes. Over the limit: an error when `strict`, else the truncated prefix. */
  private async readBody(response: Response, limit: number, deadline: CallDeadline, what: string, strict: boolean): Promise<Uint8Array> {
    if (!response.body) return new Uint8Array(0);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > limit) {
          await reader.cancel().catch(() => undefined);
          if (strict) {
            throw new LlmError("Upstream", `${what} returned a body larger than ${limit} bytes`, { adapterId: this.adapterId });
          }
          chunks.push(value.subarray(0, value.byteLength - (total - limit)));
          total = limit;
          break;
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof LlmError) throw error;
      if (deadline.aborted) throw deadline.failure(this.adapterId, what);
      throw new LlmError("Transport", this.redact(`${what}: reading the response failed: ${errorText(error)}`), {
        adapterId: this.adapterId,
        retryable: true,
      });
    } finally {
      reader.releaseLock();
    }
    const out = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }

  /** The provider's error message (`error.message`, `message`, or the text), shortened; secrets are redacted by the caller. */
  private async readErrorDetail(response: Response, deadline: CallDeadline, what: string): Promise<string> {
    let bytes: Uint8Array;
    try {
      bytes = await this.readBody(response, MAX_ERROR_BODY_BYTES, deadline, what, false);
    } catch (error) {
      if (deadline.aborted) throw deadline.failure(this.adapterId, what);
      // The status decides what happens next; an unreadable error body only loses the detail.
      return `(error body unreadable: ${errorText(error)})`;
    }
    const text = new TextDecoder().decode(bytes).trim();
    let detail = text;
    try {
      const json = JSON.parse(text) as unknown;
      if (typeof json === "object" && json !== null) {
        const error = (json as { error?: unknown }).error;
        const message = (json as { message?: unknown }).message;
        if (typeof error === "string") detail = error;
        else if (typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string") {
          detail = (error as { message: string }).message;
        } else if (typeof message === "string") detail = message;
      }
    } catch {
      // Not JSON: the text itself is the detail.
    }
    return detail.length > 500 ? `${detail.slice(0, 497)}…` : detail;
  }
}

/** `new OpenAiCompatibleAdapter(options)`. */
export function openAiCompatibleAdapter(options: OpenAiCompatibleAdapterOptions): OpenAiCompatibleAdapter {
  return new OpenAiCompatibleAdapter(options);
}
