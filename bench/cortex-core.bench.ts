/**
 * cortex-core: canonical JSON + BLAKE3 payload hashing and hash-chain
 * verification, each against hash-wasm hashing the same bytes.
 */
import {
  CortexEventType,
  canonicalJson,
  createCortexHasher,
  newEventId,
  payloadHash,
  verifyChain,
  type CortexEvent,
  type JsonValue,
} from "@cellos-cortex/cortex-core";
import { blake3, createBLAKE3 } from "hash-wasm";
import { compare } from "./harness.js";

const encoder = new TextEncoder();

/** ~200 B: the shape of a runtime agent-response payload. */
const small: JsonValue = {
  task: "answer with declared context",
  model: "cortex-runtime-v1",
  adapter_id: "replay",
  runtime_mode: "local_unsigned",
  text: "runtime response",
  usage: { prompt_tokens: 12, completion_tokens: 3 },
  trusted_run_history: false,
};

/** ~64 KiB, text-heavy: a long model answer plus metadata (the common large payload). */
const largeText: JsonValue = {
  ...(small as Record<string, JsonValue>),
  text: "The deploy script must never touch prod on Fridays; see doctrine. ".repeat(980),
};

/** ~64 KiB, structured: ~700 small records with floats (worst case for any JSON writer). */
const records: JsonValue[] = [];
for (let i = 0; JSON.stringify(records).length < 65_536; i++) {
  records.push({ id: `mem_${i}`, score: i * 0.37, tags: ["doctrine", "ops"], summary: `memory summary ${i}`, ok: i % 2 === 0 });
}
const largeStructured: JsonValue = { records };

export default async function run(): Promise<void> {
  const hasher = await createCortexHasher();
  const raw = await createBLAKE3();

  for (const [label, payload] of [
    ["200 B", small],
    ["64 KiB text", largeText],
    ["64 KiB structured", largeStructured],
  ] as const) {
    const bytes = encoder.encode(canonicalJson(payload));
    const size = `${label} (${bytes.length} B canonical)`;
    // The baseline: hash-wasm's blake3() on the already-canonical bytes.
    await compare({
      name: `payloadHash ${size} vs hash-wasm blake3()`,
      ours: () => payloadHash(payload),
      baseline: () => blake3(bytes),
      minRatio: 0.5,
      note: "both async one-shot calls; ours canonicalizes the object first",
    });
    // Stricter: the synchronous hasher against a pre-initialized hash-wasm instance.
    await compare({
      name: `CortexHasher.payloadHash ${size} vs createBLAKE3() hasher`,
      ours: () => hasher.payloadHash(payload),
      baseline: () => raw.init().update(bytes).digest("hex"),
      minRatio: 0.5,
      note: "both synchronous, no promise per hash",
    });
  }

  // Context for the structured case: even V8's native, *unsorted* JSON.stringify
  // plus hashing stays far below 0.5× there (number formatting dominates).
  const structuredBytes = encoder.encode(canonicalJson(largeStructured));
  await compare({
    name: "lower bound: JSON.stringify + hash, 64 KiB structured (not canonical) vs createBLAKE3() hasher",
    ours: () => raw.init().update(JSON.stringify(largeStructured)).digest("hex"),
    baseline: () => raw.init().update(structuredBytes).digest("hex"),
    note: "no target: shows what any JSON writer costs on this payload",
  });

  // A sealed chain of 100 000 events with ~200 B payloads that differ.
  const count = 100_000;
  const events: CortexEvent[] = [];
  let prev: CortexEvent | null = null;
  for (let i = 0; i < count; i++) {
    const unsealed: CortexEvent = {
      id: newEventId(),
      schemaVersion: 2,
      observedAt: "2026-01-01T00:00:00Z",
      recordedAt: "2026-01-01T00:00:00Z",
      source: { type: "child_agent", model: "cortex-runtime-v1" },
      eventType: CortexEventType.agentResponse,
      traceId: null,
      sessionId: null,
      domainTags: ["runtime"],
      payload: { ...(small as Record<string, JsonValue>), seq: i },
      payloadHash: "",
      prevEventHash: null,
      eventHash: "",
    };
    prev = hasher.sealEvent(unsealed, prev);
    events.push(prev);
  }
  // Baseline inputs: the exact bytes verifyChain hashes, prepared up front.
  const payloadBytes = events.map((e) => encoder.encode(canonicalJson(e.payload)));
  const frames = events.map((e) => {
    const frame = new Uint8Array(e.prevEventHash === null ? 49 : 81);
    frame[0] = 0x01;
    let at = 1;
    if (e.prevEventHash !== null) {
      frame[at] = 32;
      frame.set(Buffer.from(e.prevEventHash, "hex"), at + 8);
      at += 40;
    } else {
      at += 8;
    }
    frame[at] = 32;
    frame.set(Buffer.from(e.payloadHash, "hex"), at + 8);
    return frame;
  });
  const check = await verifyChain(events);
  if (!check.ok) throw new Error(`bench chain does not verify: ${check.reason ?? ""}`);
  if (raw.init().update(frames[count - 1] ?? new Uint8Array()).digest("hex") !== events[count - 1]?.eventHash) {
    throw new Error("baseline frames do not reproduce the event hashes");
  }

  await compare({
    name: `verifyChain ${count.toLocaleString("en-US")} events vs tight hash loop`,
    ours: () => verifyChain(events),
    baseline: () => {
      let last = "";
      for (let i = 0; i < count; i++) {
        raw.init().update(payloadBytes[i] ?? new Uint8Array()).digest("hex");
        last = raw.init().update(frames[i] ?? new Uint8Array()).digest("hex");
      }
      return last;
    },
    minRatio: 0.5,
    time: 3000,
    note: "baseline hashes pre-encoded payloads and pre-built frames; ours also canonicalizes, frames, hex-encodes and compares",
  });
}
