import { mkdir, mkdtemp, readFile, readdir, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { blake3Hex } from "@cellos-cortex/cortex-core";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { FIXTURE_INDEX_FILE, FixtureIndexSchema, fixtureJsonText, type FixtureFile } from "./fixture-format.js";
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
  const dir = await mkdtemp(join(tmpdir(), "llm-replay-"));
  dirs.push(dir);
  return dir;
}

function request(content: string, overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    model: "cortex-runtime-v1",
    system: "You are a Cortex child agent.",
    messages: [{ role: "user", content }],
    temperature: 0,
    maxTokens: 128,
    timeoutMs: 30_000,
    ...overrides,
  };
}

/** Records one fixture per request (reply text = "answer to <content>") and returns the directory. */
async function recorded(requests: LlmRequest[], runtimeMode: "local_unsigned" | "remote_unsigned" = "local_unsigned"): Promise<string> {
  const dir = await tempDir();
  const live = new StaticAdapter((req) => ({ text: `answer to ${req.messages[0]?.content ?? ""}`, usage: { inputTokens: 5, outputTokens: 2 } }), {
    runtimeMode,
  });
  const recorder = new RecordingAdapter(live, dir);
  for (const req of requests) await recorder.complete(req);
  return dir;
}

async function openFailure(dir: string): Promise<LlmError> {
  try {
    await ReplayAdapter.fromDirectory(dir);
  } catch (error) {
    expect(error).toBeInstanceOf(LlmError);
    return error as LlmError;
  }
  throw new Error("expected fromDirectory to fail");
}

async function fixtureNames(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n !== FIXTURE_INDEX_FILE).sort();
}

describe("ReplayAdapter", () => {
  it("reads the committed v1 fixture directory (the on-disk format is stable)", async () => {
    const replay = await ReplayAdapter.fromDirectory(fileURLToPath(new URL("./__fixtures__/replay-v1", import.meta.url)));
    expect(replay.fixtureCount).toBe(2);
    expect(replay.runtimeMode).toBe("local_unsigned");
    const summary = await replay.complete({
      model: "cortex-runtime-v1",
      system: "You are a Cortex child agent.",
      messages: [{ role: "user", content: "Summarise the failed cells." }],
      temperature: 0,
      maxTokens: 256,
      timeoutMs: 1,
    });
    expect(summary).toEqual({
      text: "Two cells failed: egress was denied by doctrine no-egress.",
      model: "llama3.1:8b",
      usage: { inputTokens: 61, outputTokens: 14 },
      rawHash: await blake3Hex("Two cells failed: egress was denied by doctrine no-egress."),
    });
    const verdict = await replay.complete({
      model: "gpt-4o-mini",
      system: "",
      messages: [{ role: "user", content: "May cell c-1 reach example.com?" }],
      temperature: 0.2,
      maxTokens: 64,
      timeoutMs: 30_000,
      jsonSchema: { type: "object", properties: { verdict: { enum: ["allow", "deny"] }, reason: { type: "string" } }, required: ["verdict"] },
    });
    expect(verdict.parsedJson).toEqual({ verdict: "deny", reason: "no egress" });
  });

  it("replays what was recorded, byte for byte", async () => {
    const live = new StaticAdapter([{ text: '{"ok": true}', usage: { inputTokens: 9, outputTokens: 4 } }]);
    const dir = await tempDir();
    const req = request("check", { jsonSchema: { type: "object", required: ["ok"] } });
    const original = await new RecordingAdapter(live, dir).complete(req);

    const replay = await ReplayAdapter.fromDirectory(dir);

    expect(replay.adapterId).toBe("replay");
    expect(replay.fixtureCount).toBe(1);
    expect(await replay.complete(req)).toEqual(original);
    expect(original.parsedJson).toEqual({ ok: true });
  });

  it("matches on model and prompt hash, ignoring timeoutMs", async () => {
    const dir = await recorded([request("a"), request("b")]);
    const replay = await ReplayAdapter.fromDirectory(dir);
    expect((await replay.complete(request("b", { timeoutMs: 5 }))).text).toBe("answer to b");
    expect((await replay.complete(request("a"))).text).toBe("answer to a");
  });

  it("fails a miss with NoFixture naming model and prompt hash, never falling back", async () => {
    const dir = await recorded([request("known")]);
    const replay = await ReplayAdapter.fromDirectory(dir);
    const unknown = request("unknown");
    const hash = await promptHash(unknown);

    const error = await replay.complete(unknown).then(
      () => undefined,
      (e: unknown) => e as LlmError,
    );

    expect(error).toBeInstanceOf(LlmError);
    expect(error?.kind).toBe("NoFixture");
    expect(error?.model).toBe("cortex-runtime-v1");
    expect(error?.promptHash).toBe(hash);
    expect(error?.message).toContain("cortex-runtime-v1");
    expect(error?.message).toContain(hash);
  });

  it("does not answer the same prompt for another model", async () => {
    const dir = await recorded([request("p")]);
    const replay = await ReplayAdapter.fromDirectory(dir);
    await expect(replay.complete(request("p", { model: "gpt-4o" }))).rejects.toMatchObject({ kind: "NoFixture", model: "gpt-4o" });
  });

  it("keeps one fixture per model for the same prompt", async () => {
    const dir = await recorded([request("p"), request("p", { model: "gpt-4o" })]);
    const replay = await ReplayAdapter.fromDirectory(dir);
    expect(replay.fixtureCount).toBe(2);
    expect((await replay.complete(request("p", { model: "gpt-4o" }))).model).toBe("gpt-4o");
  });

  it("hands out copies, so a caller cannot change the fixture", async () => {
    const dir = await recorded([request("x")]);
    const replay = await ReplayAdapter.fromDirectory(dir);
    const first = await replay.complete(request("x"));
    first.text = "mutated";
    expect((await replay.complete(request("x"))).text).toBe("answer to x");
  });

  it("validates the request before looking up", async () => {
    const replay = await ReplayAdapter.fromDirectory(await recorded([request("x")]));
    await expect(replay.complete(request("x", { maxTokens: -1 }))).rejects.toMatchObject({ kind: "InvalidRequest", adapterId: "replay" });
  });

  it("honours an aborted signal", async () => {
    const dir = await recorded([request("x")]);
    const replay = await ReplayAdapter.fromDirectory(dir);
    await expect(replay.complete(request("x"), { signal: AbortSignal.abort() })).rejects.toMatchObject({ kind: "Transport", aborted: true });
  });

  it("accepts an empty index", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, FIXTURE_INDEX_FILE), JSON.stringify({ version: 1, fixtures: [] }));
    expect((await ReplayAdapter.fromDirectory(dir)).fixtureCount).toBe(0);
  });

  describe("runtime mode", () => {
    it("is local_unsigned for locally produced fixtures", async () => {
      expect((await ReplayAdapter.fromDirectory(await recorded([request("a")]))).runtimeMode).toBe("local_unsigned");
    });

    it("is the weakest recorded mode: replaying a remote answer never upgrades it", async () => {
      const dir = await recorded([request("a")], "remote_unsigned");
      expect((await ReplayAdapter.fromDirectory(dir)).runtimeMode).toBe("remote_unsigned");
    });

    it("can be lowered but not raised by the caller", async () => {
      const dir = await recorded([request("a")]);
      expect((await ReplayAdapter.fromDirectory(dir, { runtimeMode: "dev" })).runtimeMode).toBe("dev");
      expect((await ReplayAdapter.fromDirectory(dir, { runtimeMode: "authority_grade" })).runtimeMode).toBe("local_unsigned");
    });
  });

  describe("integrity is verified up front", () => {
    it("a tampered fixture fails with FixtureIntegrityFailed naming the file", async () => {
      const dir = await recorded([request("a"), request("b")]);
      const [victim] = await fixtureNames(dir);
      if (victim === undefined) throw new Error("no fixture");
      const path = join(dir, victim);
      const text = await readFile(path, "utf8");
      await writeFile(path, text.replace(/answer to (a|b)/, "answer to evil"));

      const error = await openFailure(dir);

      expect(error.kind).toBe("FixtureIntegrityFailed");
      expect(error.file).toBe(path);
      expect(error.message).toContain(path);
      expect(error.message).toContain("BLAKE3 mismatch");
    });

    it("a single flipped byte anywhere in a fixture is caught", async () => {
      const dir = await recorded([request("a")]);
      const [name] = await fixtureNames(dir);
      if (name === undefined) throw new Error("no fixture");
      const path = join(dir, name);
      const original = await readFile(path);
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: original.length - 1 }), fc.integer({ min: 1, max: 255 }), async (offset, flip) => {
          const tampered = Buffer.from(original);
          tampered[offset] = (tampered[offset] ?? 0) ^ flip;
          await writeFile(path, tampered);
          const error = await openFailure(dir);
          return error.kind === "FixtureIntegrityFailed" && error.file === path;
        }),
        { numRuns: 40 },
      );
    });

    it("a listed fixture that is missing fails naming the file", async () => {
      const dir = await recorded([request("a")]);
      const [name] = await fixtureNames(dir);
      if (name === undefined) throw new Error("no fixture");
      await unlink(join(dir, name));
      const error = await openFailure(dir);
      expect(error.kind).toBe("FixtureIntegrityFailed");
      expect(error.file).toBe(join(dir, name));
      expect(error.message).toContain("missing");
    });

    it("a fixture not listed in the index is untrusted and fails naming the file", async () => {
      const dir = await recorded([request("a")]);
      const [name] = await fixtureNames(dir);
      if (name === undefined) throw new Error("no fixture");
      const stray = join(dir, "stray.json");
      await writeFile(stray, await readFile(join(dir, name)));
      const error = await openFailure(dir);
      expect(error.kind).toBe("FixtureIntegrityFailed");
      expect(error.file).toBe(stray);
      expect(error.message).toContain("not listed");
    });

    it("a missing INDEX.json fails naming it", async () => {
      const dir = await recorded([request("a")]);
      await unlink(join(dir, FIXTURE_INDEX_FILE));
      const error = await openFailure(dir);
      expect(error.kind).toBe("FixtureIntegrityFailed");
      expect(error.file).toBe(join(dir, FIXTURE_INDEX_FILE));
    });

    it("a missing directory is an Io error naming it", async () => {
      const dir = join(await tempDir(), "nope");
      const error = await openFailure(dir);
      expect(error.kind).toBe("Io");
      expect(error.message).toContain(dir);
    });

    it.each([
      ["not JSON", "{", "not JSON"],
      ["wrong version", JSON.stringify({ version: 2, fixtures: [] }), "version"],
      ["bad hash", JSON.stringify({ version: 1, fixtures: [{ path: "a.json", blake3: "XYZ" }] }), "BLAKE3"],
      ["path escaping the directory", JSON.stringify({ version: 1, fixtures: [{ path: "../a.json", blake3: "0".repeat(64) }] }), "plain file name"],
      ["absolute path", JSON.stringify({ version: 1, fixtures: [{ path: "/etc/passwd.json", blake3: "0".repeat(64) }] }), "plain file name"],
      ["duplicate entry", JSON.stringify({ version: 1, fixtures: [{ path: "a.json", blake3: "0".repeat(64) }, { path: "a.json", blake3: "0".repeat(64) }] }), "listed twice"],
    ])("a malformed index (%s) fails naming INDEX.json", async (_name, text, expected) => {
      const dir = await tempDir();
      await writeFile(join(dir, FIXTURE_INDEX_FILE), text);
      const error = await openFailure(dir);
      expect(error.kind).toBe("FixtureIntegrityFailed");
      expect(error.file).toBe(join(dir, FIXTURE_INDEX_FILE));
      expect(error.message).toContain(expected);
    });

    /** Writes a fixture file by hand and lists it with its correct hash. */
    async function handWritten(mutate: (fixture: FixtureFile) => unknown): Promise<{ dir: string; path: string }> {
      const dir = await recorded([request("a")]);
      const [name] = await fixtureNames(dir);
      if (name === undefined) throw new Error("no fixture");
      const path = join(dir, name);
      const fixture = JSON.parse(await readFile(path, "utf8")) as FixtureFile;
      const text = fixtureJsonText(mutate(fixture));
      await writeFile(path, text);
      const index = FixtureIndexSchema.parse(JSON.parse(await readFile(join(dir, FIXTURE_INDEX_FILE), "utf8")));
      for (const entry of index.fixtures) if (entry.path === name) entry.blake3 = await blake3Hex(text);
      await writeFile(join(dir, FIXTURE_INDEX_FILE), JSON.stringify(index));
      return { dir, path };
    }

    it("a correctly hashed fixture whose prompt no longer matches its prompt hash fails", async () => {
      const { dir, path } = await handWritten((f) => ({ ...f, prompt: { ...f.prompt, system: "edited" } }));
      const error = await openFailure(dir);
      expect(error.file).toBe(path);
      expect(error.message).toContain("not to its promptHash");
    });

    it("a correctly hashed fixture that is not a fixture fails naming it", async () => {
      const { dir, path } = await handWritten(() => ({ hello: "world" }));
      const error = await openFailure(dir);
      expect(error.kind).toBe("FixtureIntegrityFailed");
      expect(error.file).toBe(path);
      expect(error.message).toContain("malformed fixture");
    });

    it("a fixture whose response breaks its own jsonSchema fails", async () => {
      const { dir, path } = await handWritten((f) => ({ ...f, prompt: { ...f.prompt, jsonSchema: { type: "object" } } }));
      // The prompt hash must be updated too for the schema check to be reached.
      const fixture = JSON.parse(await readFile(path, "utf8")) as FixtureFile;
      fixture.promptHash = await promptHash({ ...fixture.prompt, model: fixture.model, timeoutMs: 1 });
      const text = fixtureJsonText(fixture);
      await writeFile(path, text);
      const indexPath = join(dir, FIXTURE_INDEX_FILE);
      const index = FixtureIndexSchema.parse(JSON.parse(await readFile(indexPath, "utf8")));
      for (const entry of index.fixtures) entry.blake3 = await blake3Hex(text);
      await writeFile(indexPath, JSON.stringify(index));

      const error = await openFailure(dir);
      expect(error.file).toBe(path);
      expect(error.message).toContain("does not satisfy its jsonSchema");
    });

    it("two fixtures answering the same (model, prompt hash) fail naming both", async () => {
      const dir = await recorded([request("a")]);
      const [name] = await fixtureNames(dir);
      if (name === undefined) throw new Error("no fixture");
      const text = await readFile(join(dir, name), "utf8");
      await writeFile(join(dir, "copy.json"), text);
      const indexPath = join(dir, FIXTURE_INDEX_FILE);
      const index = FixtureIndexSchema.parse(JSON.parse(await readFile(indexPath, "utf8")));
      index.fixtures.push({ path: "copy.json", blake3: await blake3Hex(text) });
      await writeFile(indexPath, JSON.stringify(index));
      const error = await openFailure(dir);
      expect(error.kind).toBe("FixtureIntegrityFailed");
      expect(error.message).toContain("copy.json");
      expect(error.message).toContain(name);
    });

    it("ignores files that are not fixtures (hidden temp files, notes)", async () => {
      const dir = await recorded([request("a")]);
      await writeFile(join(dir, ".INDEX.json.abc.tmp"), "partial");
      await writeFile(join(dir, "README.md"), "# fixtures");
      await mkdir(join(dir, "archive"));
      expect((await ReplayAdapter.fromDirectory(dir)).fixtureCount).toBe(1);
    });
  });
});
