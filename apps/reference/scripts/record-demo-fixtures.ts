/**
 * Re-records the demo's replay fixtures (assets/fixtures) for the sample pack.
 * The model's answer is canned — the demo is offline — what the fixture pins
 * is the exact request a Cortex run of the sample pack sends. Run after a build:
 *
 *   pnpm turbo run build --filter=@cellos-cortex/reference... &&
 *   pnpm exec tsx apps/reference/scripts/record-demo-fixtures.ts
 */
import { readFile, rm } from "node:fs/promises";
import { contextPackFromWire } from "@cellos-cortex/cortex-core";
import { RecordingAdapter, StaticAdapter } from "@cellos-cortex/llm";
import { createRun, executeRun } from "@cellos-cortex/runtime";
import { assets } from "../src/assets.js";

const pack = contextPackFromWire(JSON.parse(await readFile(assets.samplePack, "utf8")));
await rm(assets.fixtures, { recursive: true, force: true });
const inner = new StaticAdapter(
  [
    {
      text: "Two integration tests fail because the build cache path is read from the wrong environment variable. Fix: read CELLOS_CACHE_DIR, fall back to a per-cell temp dir.",
      usage: { inputTokens: 389, outputTokens: 35 },
    },
  ],
  { adapterId: "recorded", runtimeMode: "local_unsigned" },
);
const adapter = new RecordingAdapter(inner, assets.fixtures);
await executeRun(createRun({ task: pack.task, pack }), adapter);
await adapter.flush();
console.log(`recorded the demo fixture in ${assets.fixtures}`);
