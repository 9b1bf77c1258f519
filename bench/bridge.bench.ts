/**
 * @cellos-cortex/bridge benchmarks, each printing ours, a baseline and the ratio:
 * 1. `runner.translate(pack)` µs/op vs validating an already-built document
 *    (the one step translation cannot skip);
 * 2. `runner.run(pack)` through `LocalCellHost` on `/bin/true` vs awaiting a
 *    direct `child_process.spawn` of exactly the same command line (with the
 *    same bubblewrap wrapper when isolated), for both isolation modes; the
 *    target is ≤ 3 ms added per cell.
 * Cell directories go to a fresh directory under os.tmpdir(), deleted afterwards.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { validateExecutionCellDocument } from "@cellos-cortex/cellos-core";
import { CortexCellRunner, DEFAULT_CELL_PATH, LocalCellHost, MemorySubmitter, bubblewrapArgs, createContextPack, detectBubblewrap } from "@cellos-cortex/bridge";
import { compare, median, printRow } from "./harness.js";

const TARGET_ADDED_MS = 3;

async function translateBench(): Promise<void> {
  const runner = new CortexCellRunner(new MemorySubmitter(), ["node", "agent.js", "--mode", "run"], {
    authority: { egressRules: [{ host: "api.example.com", port: 443 }], secretRefs: ["token"] },
  });
  const pack = { memoryDigest: "5f0c2d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d", doctrineRefs: ["no-egress", "short-lived", "unknown-doctrine"], task: "summarise the incident report and propose a fix" };
  const document = runner.translate(pack).document;
  const row = await compare({
    name: "translate(pack) vs validateExecutionCellDocument(built document)",
    ours: () => runner.translate(pack),
    baseline: () => {
      validateExecutionCellDocument(document);
    },
    note: "translate = cell id + TTL + document + doctrine policy + validation; baseline = validation alone",
  });
  printRow({ name: "translate µs/op", ours: 1e6 / row.ours, baseline: 1e6 / row.baseline, unit: "µs/op", ratio: row.ours / row.baseline });
}

/** Spawns and awaits one process, the way the host does (own process group, piped output, minimal env). */
function spawnAndWait(file: string, args: string[], cwd: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.resume();
    child.stderr.resume();
    child.once("error", reject);
    child.once("close", (code) => {
      resolve(code ?? -1);
    });
  });
}

async function runOverhead(isolation: "none" | "bubblewrap", iterations: number): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), `bridge-bench-${isolation}-`));
  const host = new LocalCellHost({ workDir: join(root, "cells"), isolation });
  const runner = new CortexCellRunner(host, ["/bin/true"]);
  const pack = createContextPack("bench", { memoryDigest: "benchdigest" });
  const { document } = runner.translate(pack);
  const argv = document.spec.run?.argv ?? ["/bin/true"];
  const cellDir = await mkdtemp(join(root, "baseline-"));
  const env = { PATH: DEFAULT_CELL_PATH, LANG: "C.UTF-8", HOME: cellDir, TMPDIR: "/tmp", CELLOS_CELL_ID: document.spec.id, CELLOS_RUN_ID: "00000000-0000-4000-8000-000000000000" };
  let file = argv[0] ?? "/bin/true";
  let args = argv.slice(1);
  if (isolation === "bubblewrap") {
    const status = await detectBubblewrap();
    if (!status.available) throw new Error(`bubblewrap unavailable: ${status.reason}`);
    file = status.path;
    args = [...bubblewrapArgs({ cellDir, cwd: cellDir, shareNetwork: false, readOnly: false, writablePaths: [] }), "--", ...argv];
  }
  try {
    // Warm up both paths (bubblewrap probe, module caches, the first mkdtemp).
    for (let i = 0; i < 5; i++) {
      await runner.run(pack);
      await spawnAndWait(file, args, cellDir, env);
    }
    const ours: number[] = [];
    const baseline: number[] = [];
    // Interleaved so machine noise hits both sides alike.
    for (let i = 0; i < iterations; i++) {
      let start = performance.now();
      const result = await runner.run(pack);
      ours.push(performance.now() - start);
      if (!result.success) throw new Error(`bench cell failed: ${JSON.stringify(result)}`);
      start = performance.now();
      const code = await spawnAndWait(file, args, cellDir, env);
      baseline.push(performance.now() - start);
      if (code !== 0) throw new Error(`baseline spawn exited ${code}`);
    }
    const oursMs = median(ours);
    const baseMs = median(baseline);
    // Median of the paired differences: each pair ran back to back, so machine load cancels out better than in a difference of medians.
    const added = median(ours.map((value, i) => value - (baseline[i] ?? Number.NaN)));
    printRow({
      name: `runner.run(pack) via LocalCellHost (${isolation}) on /bin/true vs direct spawn of the same command line, median of ${iterations} interleaved`,
      ours: oursMs,
      baseline: baseMs,
      unit: "ms/cell",
      ratio: baseMs / oursMs,
      target: `≤ ${TARGET_ADDED_MS} ms added`,
      met: added <= TARGET_ADDED_MS,
      note: `added per cell (median of paired differences): ${added.toFixed(2)} ms — translate, fresh work dir, 4 CloudEvents, result`,
    });
  } finally {
    await host.close();
    await rm(root, { recursive: true, force: true });
  }
}

export default async function (): Promise<void> {
  await translateBench();
  await runOverhead("none", 200);
  const status = await detectBubblewrap();
  if (status.available) await runOverhead("bubblewrap", 200);
  else console.log(`  runner.run via LocalCellHost (bubblewrap): SKIPPED, ${status.reason}`);
}
