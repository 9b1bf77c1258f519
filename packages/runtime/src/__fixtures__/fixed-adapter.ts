import type { RuntimeMode } from "@cellos-cortex/cortex-core";
import { StaticAdapter } from "@cellos-cortex/llm";
import { DEFAULT_RUNTIME_MODEL } from "../constants.js";

/**
 * The seed's `FixedAdapter`: id `fixed-runtime`, always answers
 * "runtime response" as `cortex-runtime-v1` with 12 prompt / 3 completion
 * tokens, and keeps every request it saw (`calls`).
 */
export function fixedAdapter(runtimeMode: RuntimeMode = "local_unsigned", text = "runtime response"): StaticAdapter {
  return new StaticAdapter(() => ({ text, model: DEFAULT_RUNTIME_MODEL, usage: { inputTokens: 12, outputTokens: 3 } }), {
    adapterId: "fixed-runtime",
    runtimeMode,
  });
}
