import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { blake3Hex } from "@cellos-cortex/cortex-core";
import { afterEach, describe, expect, it } from "vitest";
import { FIXTURE_INDEX_FILE, FixtureFileSchema, FixtureIndexSchema } from "./fixture-format.js";
import { LlmError } from "./llm-error.js";
import type { LlmRequest } from "./llm-request.js";
import { promptHash } from "./prompt-hash.js";
import { RecordingAdapter } from "./recording-adapter.js";
import { ReplayAdapter } from "./replay-adapter.js";
import { StaticAdapter } from "./static-adapter.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "llm-record-"));
  dirs.push(dir);
  return dir;
}

function request(content: string): LlmRequest {
  return { model: "m", system: "", messages: [{ role: "user", content }], temperature: 0.7, maxTokens: 10, timeoutMs: 1_000 };
}

const echo = (): StaticAdapter => new StaticAdapter((req) => ({ text: `echo ${req.messages[0]?.content ?? ""}` }), { adapterId: "echo" });

describe("RecordingAdapter", () => {
  it("passes answers through and takes the inner adapter's id and mode", async () => {
    const inner = new StaticAdapter([{ text: "hi" }], { adapterId: "ollama", runtimeMode: "remote_unsigned" });
    const recorder = new RecordingAdapter(inner, await tempDir());
    expect(recorder.adapterId).toBe("ollama");
    expect(recorder.runtimeMode).toBe("remote_unsigned");
    expect((await recorder.complete(request("x"))).text).toBe("hi");
  });

  it("writes a fixture per call and an INDEX listing each with its BLAKE3", async () => {
    const dir = join(await tempDir(), "nested", "fixtures");
    const recorder = new RecordingAdapter(echo(), dir);
    await recorder.complete(request("a"));
    await recorder.complete(request("b"));

    const index = FixtureIndexSchema.parse(JSON.parse(await readFile(join(dir, FIXTURE_INDEX_FILE), "utf8")));
    expect(index.fixtures).toHaveLength(2);
    for (const entry of index.fixtures) {
      const text = await readFile(join(dir, entry.path), "utf8");
      expect(entry.blake3).toBe(await blake3Hex(text));
      const fixture = FixtureFileSchema.parse(JSON.parse(text));
      expect(entry.path.startsWith(fixture.promptHash)).toBe(true);
      expect(fixture.model).toBe("m");
      expect(fixture.runtimeMode).toBe("local_unsigned");
    }
    const hashes = index.fixtures.map((e) => e.path.slice(0, 64)).sort();
    expect(hashes).toEqual([await promptHash(request("a")), await promptHash(request("b"))].sort());
  });

  it("leaves no temp files behind", async () => {
    const dir = await tempDir();
    const recorder = new RecordingAdapter(echo(), dir);
    await recorder.complete(request("a"));
    expect((await readdir(dir)).filter((n) => n.startsWith("."))).toEqual([]);
  });

  it("records concurrent calls without losing index entries", async () => {
    const dir = await tempDir();
    const recorder = new RecordingAdapter(echo(), dir);
    await Promise.all(Array.from({ length: 12 }, (_, i) => recorder.complete(request(`q${i}`))));
    const replay = await ReplayAdapter.fromDirectory(dir);
    expect(replay.fixtureCount).toBe(12);
    expect((await replay.complete(request("q7"))).text).toBe("echo q7");
  });

  it("adds to an existing fixture directory and replaces a re-recorded answer", async () => {
    const dir = await tempDir();
    await new RecordingAdapter(new StaticAdapter([{ text: "old" }, { text: "kept" }]), dir).complete(request("same"));
    const second = new RecordingAdapter(new StaticAdapter([{ text: "new" }, { text: "other" }]), dir);
    await second.complete(request("same"));
    await second.complete(request("different"));

    const replay = await ReplayAdapter.fromDirectory(dir);
    expect(replay.fixtureCount).toBe(2);
    expect((await replay.complete(request("same"))).text).toBe("new");
  });

  it("records nothing when the inner adapter fails", async () => {
    const dir = await tempDir();
    const failing = new StaticAdapter([new LlmError("Upstream", "down", { adapterId: "static" })]);
    await expect(new RecordingAdapter(failing, dir).complete(request("a"))).rejects.toMatchObject({ kind: "Upstream" });
    expect(await readdir(dir)).toEqual([]);
  });

  it("refuses to extend a malformed existing index", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, FIXTURE_INDEX_FILE), "{not json");
    const error = await new RecordingAdapter(echo(), dir).complete(request("a")).then(
      () => undefined,
      (e: unknown) => e as LlmError,
    );
    expect(error?.kind).toBe("FixtureIntegrityFailed");
    expect(error?.file).toBe(join(dir, FIXTURE_INDEX_FILE));
  });

  it("reports an unwritable directory as Io naming it", async () => {
    const file = join(await tempDir(), "a-file");
    await writeFile(file, "");
    const error = await new RecordingAdapter(echo(), join(file, "fixtures")).complete(request("a")).then(
      () => undefined,
      (e: unknown) => e as LlmError,
    );
    expect(error?.kind).toBe("Io");
    expect(error?.message).toContain(join(file, "fixtures"));
  });
});
