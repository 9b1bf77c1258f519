/**
 * @cellos-cortex/llm: adapter overhead. One StaticAdapter round trip (request
 * validation, prompt hash, scripted reply, rawHash) for a 2 KB prompt,
 * against the bare `promptHash` of the same request. Target: ≤ 20 µs per call.
 */
import { StaticAdapter, promptHash, type LlmRequest } from "@cellos-cortex/llm";
import { compare, printRow } from "./harness.js";

function twoKilobytePrompt(): LlmRequest {
  const pack = {
    task: "summarise the failing cells of the last deploy",
    context_pack_id: "ctx_01JD5Z8Q0M3V9W6X4Y2T7R1KPA",
    selected_refs: Array.from({ length: 14 }, (_, i) => ({
      ref: `mem_01JD5Z8Q0M3V9W6X4Y2T7R1K${String(i).padStart(2, "0")}`,
      summary: `cell ${i} exited with status ${i % 3} after ${40 + i} s; egress denied by doctrine`,
    })),
  };
  const request: LlmRequest = {
    model: "cortex-runtime-v1",
    system: "You are a Cortex child agent. Use the supplied ContextPack as declared context; do not infer hidden memory.",
    messages: [{ role: "user", content: JSON.stringify(pack) }],
    temperature: 0,
    maxTokens: 512,
    timeoutMs: 30_000,
  };
  const size = Buffer.byteLength(request.system) + request.messages.reduce((n, m) => n + Buffer.byteLength(m.content), 0);
  if (size < 1900 || size > 2200) throw new Error(`prompt is ${size} B, expected about 2 KB`);
  return request;
}

export default async function (): Promise<void> {
  const request = twoKilobytePrompt();
  const adapter = new StaticAdapter(() => ({ text: "Two cells failed: egress was denied.", usage: { inputTokens: 480, outputTokens: 9 } }));
  // Keep the adapter's call log from growing through the benchmark.
  const trim = (): void => {
    if (adapter.calls.length > 1_000) adapter.calls.length = 0;
  };

  const row = await compare({
    name: "StaticAdapter.complete vs bare promptHash, 2 KB prompt",
    ours: async () => {
      await adapter.complete(request);
      trim();
    },
    baseline: () => promptHash(request),
    time: 1_000,
    note: "ours = validate + promptHash + script + rawHash; baseline = promptHash alone (also validates)",
  });

  const oursUs = 1e6 / row.ours;
  const baselineUs = 1e6 / row.baseline;
  printRow({
    name: "StaticAdapter round trip, 2 KB prompt (µs per call)",
    ours: oursUs,
    baseline: baselineUs,
    unit: "µs/op",
    ratio: oursUs / baselineUs,
    target: "ours ≤ 20 µs",
    met: oursUs <= 20,
    note: "ratio = adapter round trip / bare promptHash (lower is better here)",
  });
}
