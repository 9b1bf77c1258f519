import { LlmError, LlmResponseSchema, type LlmAdapter, type LlmRequest, type LlmResponse } from "@cellos-cortex/llm";

/**
 * One adapter call bounded by the caller's signal and the run's timeout. The
 * adapter gets a signal that fires on either; the call is also raced against
 * it, so an adapter that ignores its signal still cannot hold the run past
 * the deadline. Every failure is an `LlmError`, following the llm package's
 * conventions: the timeout is `Timeout` (with `timeoutMs`), a caller abort is
 * `Transport` with `aborted: true`, anything else an adapter throws that is
 * not an `LlmError` becomes `Upstream`, and so does a response that is not an
 * `LlmResponse`.
 */
export async function completeWithin(
  adapter: LlmAdapter,
  request: LlmRequest,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
): Promise<LlmResponse> {
  const adapterId = String(adapter.adapterId);
  const callerAborted = (): LlmError =>
    new LlmError("Transport", "runtime run aborted by the caller", {
      adapterId,
      cause: callerSignal?.reason,
      aborted: true,
    });
  if (callerSignal?.aborted) throw callerAborted();

  const budget = new AbortController();
  const timer = setTimeout(() => {
    budget.abort(new LlmError("Timeout", `runtime run timed out after ${timeoutMs} ms`, { adapterId, timeoutMs }));
  }, timeoutMs);
  const signal = callerSignal ? AbortSignal.any([callerSignal, budget.signal]) : budget.signal;
  const failure = (): LlmError => (callerSignal?.aborted ? callerAborted() : (budget.signal.reason as LlmError));

  let onAbort: (() => void) | undefined;
  try {
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => {
        reject(failure());
      };
      signal.addEventListener("abort", onAbort, { once: true });
    });
    const answer = new Promise<unknown>((resolve) => {
      resolve(adapter.complete(request, { signal }));
    });
    // The losing promise's rejection is already handled by the race; keep it from surfacing as unhandled.
    answer.catch(() => undefined);
    aborted.catch(() => undefined);
    let raw: unknown;
    try {
      raw = await Promise.race([answer, aborted]);
    } catch (error) {
      if (signal.aborted) {
        // An adapter that reports the abort itself keeps its own error when it is the same cause.
        const own = error instanceof LlmError ? error : undefined;
        const ours = failure();
        throw own?.kind === ours.kind ? own : ours;
      }
      if (error instanceof LlmError) throw error;
      throw new LlmError("Upstream", `adapter ${adapterId} failed: ${error instanceof Error ? error.message : String(error)}`, {
        adapterId,
        cause: error,
      });
    }
    const parsed = LlmResponseSchema.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.length ? issue.path.join(".") : "(response)"}: ${issue.message}`);
      throw new LlmError("Upstream", `adapter ${adapterId} returned a malformed response: ${problems.join("; ")}`, {
        adapterId,
        cause: parsed.error,
      });
    }
    return parsed.data;
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
  }
}
