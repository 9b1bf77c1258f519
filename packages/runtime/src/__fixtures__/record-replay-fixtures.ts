/**
 * Re-records the committed replay fixtures (`replay/`, `replay-remote/`) from
 * scripted answers. Run from the repository root after building:
 *
 *   pnpm turbo run build --filter=@cellos-cortex/runtime... &&
 *   pnpm exec tsx packages/runtime/src/__fixtures__/record-replay-fixtures.ts
 *
 * The answers are canned (there is no model offline); what the fixtures pin is
 * the request a run sends — any change to `llmRequestFor`, the default system
 * prompt or the packs makes the replay tests fail with `NoFixture`.
 */
import { rm } from "node:fs/promises";
import type { RuntimeMode } from "@cellos-cortex/cortex-core";
import { RecordingAdapter, StaticAdapter } from "@cellos-cortex/llm";
import { createRun, executeRun } from "../index.js";
import { REMOTE_REPLAY_FIXTURES_DIR, REPLAY_FIXTURES_DIR, loadPack } from "./context-packs.js";

interface Recording {
  pack: string;
  answer: string;
  usage: { inputTokens: number; outputTokens: number };
}

const LOCAL_RECORDINGS: readonly Recording[] = [
  {
    pack: "summarize-declared-context",
    answer:
      "The declared context says the build cache lives on the local disk and that authority should be narrowed, never widened. One raw event was excluded by the redaction policy.",
    usage: { inputTokens: 412, outputTokens: 38 },
  },
  {
    pack: "conflicting-memories",
    answer: "Two declared memories disagree (Tuesday vs Thursday); the pack surfaces the conflict, so I cannot say which window applies.",
    usage: { inputTokens: 301, outputTokens: 29 },
  },
];

const REMOTE_RECORDINGS: readonly Recording[] = [
  { pack: "remote-review", answer: "The change summary is consistent with the declared context.", usage: { inputTokens: 188, outputTokens: 11 } },
];

async function record(dir: string, runtimeMode: RuntimeMode, recordings: readonly Recording[]): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  for (const recording of recordings) {
    const pack = await loadPack(recording.pack);
    const inner = new StaticAdapter([{ text: recording.answer, usage: recording.usage }], { adapterId: "recorded", runtimeMode });
    const adapter = new RecordingAdapter(inner, dir);
    await executeRun(createRun({ task: pack.task, pack, runtimeMode }), adapter);
    await adapter.flush();
  }
}

await record(REPLAY_FIXTURES_DIR, "local_unsigned", LOCAL_RECORDINGS);
await record(REMOTE_REPLAY_FIXTURES_DIR, "remote_unsigned", REMOTE_RECORDINGS);
console.log(`recorded ${LOCAL_RECORDINGS.length} fixtures in ${REPLAY_FIXTURES_DIR} and ${REMOTE_RECORDINGS.length} in ${REMOTE_REPLAY_FIXTURES_DIR}`);
