import type { RuntimeMode } from "@cellos-cortex/cortex-core";
import { CallDeadline, callerAbortError } from "./call-deadline.js";
import { asLlmError, buildResponse, prepareCall } from "./completion.js";
import type { CompleteOptions, LlmAdapter } from "./llm-adapter.js";
import { LlmError } from "./llm-error.js";
import type { LlmRequest } from "./llm-request.js";
import type { LlmResponse, TokenUsage } from "./llm-response.js";
import { promptHashWith } from "./prompt-hash.js";

/** One scripted answer: the text (and optionally model and usage), or an error to throw. */
export type StaticReply = { text: string; model?: string; usage?: TokenUsage } | LlmError;

export interface StaticCallContext {
  promptHash: string;
  /** 0-based number of this call on the adapter. */
  callIndex: number;
  signal: AbortSignal;
}

/** Replies consumed in order, or a function answering each request. */
export type StaticScript = readonly StaticReply[] | ((request: LlmRequest, context: StaticCallContext) => StaticReply | Promise<StaticReply>);

export interface StaticAdapterOptions {
  /** Default `"static"`. */
  adapterId?: string;
  /** Default `local_unsigned`: answers are produced in-process. */
  runtimeMode?: RuntimeMode;
}

export interface StaticAdapterCall {
  request: LlmRequest;
  promptHash: string;
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/**
 * A scripted adapter for tests. Requests go through the same validation,
 * prompt hashing and `jsonSchema` checking as every other adapter; the answer
 * comes from the script. An exhausted script fails with `NoFixture`.
 */
export class StaticAdapter implements LlmAdapter {
  readonly adapterId: string;
  readonly runtimeMode: RuntimeMode;
  /** Every request that reached the script, with its prompt hash, in order. */
  readonly calls: StaticAdapterCall[] = [];
  private readonly script: StaticScript;
  private next = 0;

  constructor(script: StaticScript, options: StaticAdapterOptions = {}) {
    this.script = typeof script === "function" ? script : [...script];
    this.adapterId = options.adapterId ?? "static";
    this.runtimeMode = options.runtimeMode ?? "local_unsigned";
  }

  /** How many scripted replies are left (`Infinity` for a function script). */
  get remaining(): number {
    return typeof this.script === "function" ? Number.POSITIVE_INFINITY : this.script.length - this.next;
  }

  async complete(request: LlmRequest, options: CompleteOptions = {}): Promise<LlmResponse> {
    const call = await prepareCall(this.adapterId, request);
    const hash = promptHashWith(call.blake3, call.request);
    const callIndex = this.calls.length;
    this.calls.push({ request: call.request, promptHash: hash });

    let reply: StaticReply;
    if (typeof this.script === "function") {
      reply = await this.answer(this.script, call.request, hash, callIndex, options.signal);
    } else {
      if (options.signal?.aborted) throw callerAbortError(options.signal, this.adapterId, "static completion");
      const scripted = this.script[this.next];
      if (scripted === undefined) {
        throw new LlmError(
          "NoFixture",
          `no scripted response left (${this.script.length} used) for model ${call.request.model} prompt hash ${hash}`,
          { adapterId: this.adapterId, model: call.request.model, promptHash: hash },
        );
      }
      this.next += 1;
      reply = scripted;
    }

    if (reply instanceof LlmError) throw reply;
    return buildResponse(this.adapterId, call, {
      text: reply.text,
      model: reply.model ?? call.request.model,
      usage: reply.usage ?? { inputTokens: 0, outputTokens: 0 },
    });
  }

  /**
   * Runs a function script. The call's deadline (timer + combined signal) is
   * only built when the script needs it — it reads `signal` or returns a
   * promise — so synchronous scripts stay cheap.
   */
  private async answer(
    script: (request: LlmRequest, context: StaticCallContext) => StaticReply | Promise<StaticReply>,
    request: LlmRequest,
    promptHash: string,
    callIndex: number,
    signal: AbortSignal | undefined,
  ): Promise<StaticReply> {
    const what = "static completion";
    if (signal?.aborted) throw callerAbortError(signal, this.adapterId, what);
    let deadline: CallDeadline | undefined;
    const ensureDeadline = (): CallDeadline => (deadline ??= new CallDeadline(request.timeoutMs, signal));
    try {
      let result: StaticReply | Promise<StaticReply>;
      try {
        result = script(request, {
          promptHash,
          callIndex,
          get signal() {
            return ensureDeadline().signal;
          },
        });
      } catch (error) {
        throw asLlmError(error, this.adapterId, "static script");
      }
      if (!isThenable(result)) return result;
      const answer = Promise.resolve(result).catch((error: unknown) => {
        throw asLlmError(error, this.adapterId, "static script");
      });
      return await ensureDeadline().race(answer, this.adapterId, what);
    } finally {
      deadline?.dispose();
    }
  }
}
