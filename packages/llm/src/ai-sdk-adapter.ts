import {
  APICallError,
  type LanguageModelV3,
  type LanguageModelV3CallOptions,
  type LanguageModelV3GenerateResult,
  type LanguageModelV3Prompt,
} from "@ai-sdk/provider";
import { canonicalJson, type RuntimeMode } from "@cellos-cortex/cortex-core";
import { CallDeadline } from "./call-deadline.js";
import { buildResponse, prepareCall, type PreparedCall } from "./completion.js";
import { silentLogger, type CompleteOptions, type LlmAdapter, type LlmLogger } from "./llm-adapter.js";
import { LlmError } from "./llm-error.js";
import type { LlmRequest } from "./llm-request.js";
import type { LlmResponse } from "./llm-response.js";
import { isRetryableStatus, parseRetryAfterMs, resolveRetryPolicy, withRetries, type RetryPolicy } from "./retry-policy.js";
import { redactSecrets } from "./secret-redaction.js";

export interface AiSdkAdapterOptions {
  /**
   * How the model's answers are produced. Default `unknown`: the adapter
   * cannot see whether a provider is local or remote, so say so (for example
   * `remote_unsigned` for a hosted API, `local_unsigned` for Ollama on this machine).
   */
  runtimeMode?: RuntimeMode;
  /** Default `ai-sdk:<provider>` in lowercase, e.g. `ai-sdk:openai.chat`. */
  adapterId?: string;
  /** Default: 2 retries with jittered exponential backoff, `retry-after` honoured, no 4xx but 408/429. */
  retry?: Partial<RetryPolicy>;
  logger?: LlmLogger;
  /** Strings (API keys, tokens) to redact from every error and log message. */
  secrets?: readonly string[];
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The request as an AI SDK prompt: the system prompt first (when not empty), then the messages. */
export function toLanguageModelPrompt(request: LlmRequest): LanguageModelV3Prompt {
  const prompt: LanguageModelV3Prompt = [];
  if (request.system !== "") prompt.push({ role: "system", content: request.system });
  for (const message of request.messages) {
    if (message.role === "system") prompt.push({ role: "system", content: message.content });
    else prompt.push({ role: message.role, content: [{ type: "text", text: message.content }] });
  }
  return prompt;
}

/**
 * The bytes behind `rawHash`: the provider's raw body when the provider
 * exposes it (a string as is, JSON canonicalised), else the text.
 */
function rawOf(result: LanguageModelV3GenerateResult, text: string): string {
  const body = result.response?.body;
  if (typeof body === "string") return body;
  if (body !== undefined) {
    try {
      return canonicalJson(body);
    } catch {
      // A body that is not JSON data (bytes, class instances) has no stable text form.
      return text;
    }
  }
  return text;
}

class AiSdkAdapter implements LlmAdapter {
  readonly adapterId: string;
  readonly runtimeMode: RuntimeMode;
  private readonly model: LanguageModelV3;
  private readonly retry: RetryPolicy;
  private readonly logger: LlmLogger;
  private readonly secrets: readonly string[];

  constructor(model: LanguageModelV3, options: AiSdkAdapterOptions) {
    this.adapterId = options.adapterId ?? `ai-sdk:${String(model.provider).toLowerCase()}`;
    if ((model as { specificationVersion?: unknown }).specificationVersion !== "v3") {
      throw new LlmError(
        "InvalidRequest",
        `model must implement the AI SDK LanguageModelV3 specification, got specificationVersion ${JSON.stringify((model as { specificationVersion?: unknown }).specificationVersion)}`,
        { adapterId: this.adapterId },
      );
    }
    this.model = model;
    this.runtimeMode = options.runtimeMode ?? "unknown";
    this.retry = resolveRetryPolicy(options.retry, this.adapterId);
    this.logger = options.logger ?? silentLogger;
    this.secrets = (options.secrets ?? []).filter((s) => s.length > 0);
  }

  async complete(request: LlmRequest, options: CompleteOptions = {}): Promise<LlmResponse> {
    const call = await prepareCall(this.adapterId, request);
    const what = `${this.model.provider} ${this.model.modelId} doGenerate`;
    const deadline = new CallDeadline(call.request.timeoutMs, options.signal);
    try {
      return await withRetries({ adapterId: this.adapterId, policy: this.retry, deadline, logger: this.logger, what }, () =>
        this.attempt(call, deadline, what),
      );
    } finally {
      deadline.dispose();
    }
  }

  private async attempt(call: PreparedCall, deadline: CallDeadline, what: string): Promise<LlmResponse> {
    const request = call.request;
    let result: LanguageModelV3GenerateResult;
    try {
      const callOptions: LanguageModelV3CallOptions = {
        prompt: toLanguageModelPrompt(request),
        maxOutputTokens: request.maxTokens,
        temperature: request.temperature,
        abortSignal: deadline.signal,
      };
      if (request.jsonSchema !== undefined) {
        callOptions.responseFormat = { type: "json", name: "response", schema: request.jsonSchema };
      }
      const generating = Promise.resolve(this.model.doGenerate(callOptions));
      // A provider that ignores the abort signal still cannot outlive the budget.
      result = await deadline.race(generating, this.adapterId, what);
    } catch (error) {
      throw this.translate(error, deadline, what);
    }
    if (result.finishReason.unified === "error") {
      throw new LlmError("Upstream", redactSecrets(`${what} finished with an error (${result.finishReason.raw ?? "no reason"})`, this.secrets), {
        adapterId: this.adapterId,
      });
    }
    let text = "";
    for (const part of result.content) if (part.type === "text") text += part.text;
    return buildResponse(this.adapterId, call, {
      text,
      model: result.response?.modelId ?? this.model.modelId,
      usage: {
        inputTokens: result.usage.inputTokens.total ?? 0,
        outputTokens: result.usage.outputTokens.total ?? 0,
      },
      raw: rawOf(result, text),
    });
  }

  private translate(error: unknown, deadline: CallDeadline, what: string): LlmError {
    if (error instanceof LlmError) return error;
    if (deadline.aborted) return deadline.failure(this.adapterId, what);
    const message = redactSecrets(`${what} failed: ${errorText(error)}`, this.secrets);
    if (APICallError.isInstance(error)) {
      if (error.statusCode === undefined) {
        return new LlmError("Transport", message, { adapterId: this.adapterId, retryable: error.isRetryable });
      }
      const retryAfterMs = parseRetryAfterMs(error.responseHeaders);
      return new LlmError("Upstream", message, {
        adapterId: this.adapterId,
        status: error.statusCode,
        retryable: isRetryableStatus(error.statusCode),
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    }
    return new LlmError("Upstream", message, { adapterId: this.adapterId });
  }
}

/**
 * Wraps any AI SDK `LanguageModelV3` (OpenAI, Anthropic, Google, Ollama …
 * through their official providers) as an `LlmAdapter`. Requests are validated
 * and timed by us; the provider's own HTTP client does the I/O; failed calls
 * are retried by our policy (ADR 0017).
 */
export function aiSdkAdapter(model: LanguageModelV3, options: AiSdkAdapterOptions = {}): LlmAdapter {
  return new AiSdkAdapter(model, options);
}
