import { cp, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FixtureFileSchema, RecordingAdapter, ReplayAdapter, StaticAdapter, promptHash, type FixtureFile } from "@cellos-cortex/llm";
import { afterEach, describe, expect, it } from "vitest";
import { REMOTE_REPLAY_FIXTURES_DIR, REPLAY_FIXTURES_DIR, loadPack, packFor } from "./__fixtures__/context-packs.js";
import { executeRun } from "./execute-run.js";
import { createRun, llmRequestFor } from "./run.js";
import { RuntimeError } from "./runtime-error.js";

/*
 * Deterministic, offline runs against the replay fixtures committed in
 * `src/__fixtures__/replay*` (recorded by `record-replay-fixtures.ts`).
 */

async function fixtureFor(dir: string, hash: string): Promise<FixtureFile> {
  const names = (await readdir(dir)).filter((name) => name.startsWith(hash));
  expect(names).toHaveLength(1);
  return FixtureFileSchema.parse(JSON.parse(await readFile(join(dir, names[0] ?? ""), "utf8")));
}

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cortex-runtime-replay-"));
  tempDirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("runs against committed replay fixtures", () => {
  it("replays each committed local fixture into a full report", async () => {
    const replay = await ReplayAdapter.fromDirectory(REPLAY_FIXTURES_DIR);
    expect(replay.fixtureCount).toBe(2);
    expect(replay.runtimeMode).toBe("local_unsigned");

    for (const name of ["summarize-declared-context", "conflicting-memories"]) {
      const pack = await loadPack(name);
      const run = createRun({ task: pack.task, pack });
      const { report, observability } = await executeRun(run, replay);
      const fixture = await fixtureFor(REPLAY_FIXTURES_DIR, report.promptHash);

      expect(report.promptHash).toBe(await promptHash(llmRequestFor(run)));
      expect(report.adapterId).toBe("replay");
      expect(report.rawHash).toBe(fixture.response.rawHash);
      expect(report.usage).toEqual(fixture.response.usage);
      expect(report.model).toBe(fixture.response.model);
      expect((report.agentResponseEvent.payload as { text: string }).text).toBe(fixture.response.text);
      expect(report.runtimeMode).toBe("local_unsigned");
      expect(report.claimCeiling).toBe("local_unsigned");
      expect(observability.responseHash).toBe(fixture.response.rawHash);
      expect(observability.contextPolicyOutcome).toBe(pack.conflicts.length > 0 ? "warn" : "allow");
    }
  });

  it("a fixture recorded from a remote adapter replays as remote_unsigned, forbidding remote_unsigned use", async () => {
    const replay = await ReplayAdapter.fromDirectory(REMOTE_REPLAY_FIXTURES_DIR);
    expect(replay.runtimeMode).toBe("remote_unsigned");
    const pack = await loadPack("remote-review");
    // The run itself claims local_unsigned; the replayed remote answer lowers it (ADR 0025).
    const { report } = await executeRun(createRun({ task: pack.task, pack }), replay);
    expect(report.runtimeMode).toBe("remote_unsigned");
    expect(report.claimCeiling).toBe("dev_only");
    expect((report.agentResponseEvent.payload as { forbidden_uses: string[] }).forbidden_uses).toContain("remote_unsigned");
  });

  it("a request with no fixture fails loudly as Adapter / NoFixture naming the prompt hash", async () => {
    const replay = await ReplayAdapter.fromDirectory(REPLAY_FIXTURES_DIR);
    const pack = await loadPack("summarize-declared-context");
    const run = createRun({ task: pack.task, pack, system: "a different system prompt" });
    const error = await executeRun(run, replay).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).kind).toBe("Adapter");
    expect((error as RuntimeError).llmErrorKind).toBe("NoFixture");
    expect((error as RuntimeError).message).toContain(await promptHash(llmRequestFor(run)));
  });

  it("a tampered fixture directory is refused before any run", async () => {
    const dir = await tempDir();
    await cp(REPLAY_FIXTURES_DIR, dir, { recursive: true });
    const [name] = (await readdir(dir)).filter((n) => n !== "INDEX.json");
    const path = join(dir, name ?? "");
    await writeFile(path, (await readFile(path, "utf8")).replace("declared", "DECLARED"));
    await expect(ReplayAdapter.fromDirectory(dir)).rejects.toMatchObject({ kind: "FixtureIntegrityFailed" });
  });
});

describe("record, then replay", () => {
  it("records a run with RecordingAdapter over StaticAdapter and replays it to the same report", async () => {
    const dir = await tempDir();
    const task = "record this run";
    const pack = packFor(task);
    const run = createRun({ task, pack });
    const inner = new StaticAdapter([{ text: "recorded answer", usage: { inputTokens: 40, outputTokens: 2 } }]);
    const recorder = new RecordingAdapter(inner, dir);

    const recorded = await executeRun(run, recorder);
    await recorder.flush();
    const replay = await ReplayAdapter.fromDirectory(dir);
    const replayed = await executeRun(run, replay);

    expect(replay.fixtureCount).toBe(1);
    expect(inner.remaining).toBe(0);
    for (const field of ["correlationId", "task", "contextPackId", "model", "rawHash", "usage", "promptHash", "runtimeMode", "proofState", "claimCeiling", "downgradeReasons", "contextPolicyOutcome"] as const) {
      expect(replayed.report[field], field).toEqual(recorded.report[field]);
    }
    const { adapter_id: recordedAdapter, ...recordedPayload } = recorded.report.agentResponseEvent.payload as Record<string, unknown>;
    const { adapter_id: replayedAdapter, ...replayedPayload } = replayed.report.agentResponseEvent.payload as Record<string, unknown>;
    expect(replayedPayload).toEqual(recordedPayload);
    expect([recordedAdapter, replayedAdapter]).toEqual(["static", "replay"]);
    expect(replayed.observability).toEqual({ ...recorded.observability, adapterId: "replay" });
  });
});
