import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { canonicalJson, loadBlake3, minRuntimeMode, type Blake3, type RuntimeMode } from "@cellos-cortex/cortex-core";
import { callerAbortError } from "./call-deadline.js";
import { prepareCall } from "./completion.js";
import {
  FIXTURE_INDEX_FILE,
  FixtureFileSchema,
  FixtureIndexSchema,
  fixturePathProblem,
  looksLikeFixture,
  type FixtureFile,
} from "./fixture-format.js";
import type { CompleteOptions, LlmAdapter } from "./llm-adapter.js";
import { LlmError } from "./llm-error.js";
import type { LlmRequest } from "./llm-request.js";
import type { LlmResponse } from "./llm-response.js";
import { promptHashWith } from "./prompt-hash.js";
import { parseJsonResponse } from "./response-schema.js";

export const REPLAY_ADAPTER_ID = "replay";

export interface ReplayAdapterOptions {
  /** Default `"replay"`. */
  adapterId?: string;
  /**
   * Upper bound of the adapter's runtime mode (default `local_unsigned`). The
   * effective mode is the weakest of this and every fixture's recorded mode:
   * replaying a remote answer never upgrades it.
   */
  runtimeMode?: RuntimeMode;
}

interface LoadedFixture {
  file: string;
  response: LlmResponse;
}

const READ_CONCURRENCY = 8;

function key(model: string, promptHash: string): string {
  return `${model}\u0000${promptHash}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "ENOENT";
}

/**
 * Deterministic adapter answering from recorded fixtures (`cortex_llm::ReplayAdapter`).
 * The whole directory is verified when it is opened: every fixture must be
 * listed in `INDEX.json` with the BLAKE3 of its exact bytes, and must parse.
 * A request without a fixture fails with `NoFixture` — there is no fallback.
 */
export class ReplayAdapter implements LlmAdapter {
  readonly adapterId: string;
  readonly runtimeMode: RuntimeMode;
  /** Absolute path of the fixture directory. */
  readonly fixturesDir: string;
  private readonly fixtures: ReadonlyMap<string, LoadedFixture>;

  private constructor(adapterId: string, runtimeMode: RuntimeMode, fixturesDir: string, fixtures: ReadonlyMap<string, LoadedFixture>) {
    this.adapterId = adapterId;
    this.runtimeMode = runtimeMode;
    this.fixturesDir = fixturesDir;
    this.fixtures = fixtures;
  }

  get fixtureCount(): number {
    return this.fixtures.size;
  }

  /**
   * Opens and verifies a fixture directory. Throws `LlmError`:
   * `Io` when the directory cannot be read; `FixtureIntegrityFailed` naming the
   * file when `INDEX.json` is missing or malformed, a listed fixture is missing,
   * its bytes do not hash to the indexed BLAKE3, it does not parse, its prompt
   * does not hash to its recorded prompt hash, two fixtures claim the same
   * (model, prompt hash), or a fixture file in the directory is not listed.
   */
  static async fromDirectory(dir: string, options: ReplayAdapterOptions = {}): Promise<ReplayAdapter> {
    const adapterId = options.adapterId ?? REPLAY_ADAPTER_ID;
    const fixturesDir = resolve(dir);
    const integrity = (file: string, message: string, cause?: unknown): LlmError =>
      new LlmError("FixtureIntegrityFailed", `${file}: ${message}`, {
        adapterId,
        file,
        ...(cause === undefined ? {} : { cause }),
      });

    let names: string[];
    try {
      names = await readdir(fixturesDir);
    } catch (error) {
      throw new LlmError("Io", `cannot read fixture directory ${fixturesDir}: ${errorText(error)}`, { adapterId, file: fixturesDir, cause: error });
    }

    const indexPath = join(fixturesDir, FIXTURE_INDEX_FILE);
    let indexText: string;
    try {
      indexText = await readFile(indexPath, "utf8");
    } catch (error) {
      if (isNotFound(error)) throw integrity(indexPath, `missing: every fixture must be listed with its BLAKE3 in ${FIXTURE_INDEX_FILE}`);
      throw new LlmError("Io", `cannot read ${indexPath}: ${errorText(error)}`, { adapterId, file: indexPath, cause: error });
    }
    let indexJson: unknown;
    try {
      indexJson = JSON.parse(indexText) as unknown;
    } catch (error) {
      throw integrity(indexPath, `not JSON (${errorText(error)})`, error);
    }
    const index = FixtureIndexSchema.safeParse(indexJson);
    if (!index.success) {
      throw integrity(indexPath, `malformed index: ${index.error.issues.map((i) => `${i.path.join(".") || "(root)"} ${i.message}`).join("; ")}`);
    }

    const listed = new Set<string>();
    for (const entry of index.data.fixtures) {
      const problem = fixturePathProblem(entry.path);
      if (problem !== undefined) throw integrity(indexPath, `entry ${JSON.stringify(entry.path)} ${problem}`);
      if (listed.has(entry.path)) throw integrity(indexPath, `entry ${JSON.stringify(entry.path)} is listed twice`);
      listed.add(entry.path);
    }
    for (const name of [...names].sort()) {
      if (looksLikeFixture(name) && !listed.has(name)) {
        throw integrity(join(fixturesDir, name), `fixture file is not listed in ${FIXTURE_INDEX_FILE} (untrusted)`);
      }
    }

    const blake3 = await loadBlake3();
    const loaded: { file: string; fixture: FixtureFile }[] = [];
    const entries = index.data.fixtures;
    for (let start = 0; start < entries.length; start += READ_CONCURRENCY) {
      const batch = entries.slice(start, start + READ_CONCURRENCY);
      const results = await Promise.all(
        batch.map(async (entry) => {
          const file = join(fixturesDir, entry.path);
          return { file, fixture: await verifyFixture(file, entry.blake3, blake3, integrity, adapterId) };
        }),
      );
      loaded.push(...results);
    }

    const fixtures = new Map<string, LoadedFixture>();
    let runtimeMode: RuntimeMode = options.runtimeMode ?? "local_unsigned";
    for (const { file, fixture } of loaded) {
      const k = key(fixture.model, fixture.promptHash);
      const clash = fixtures.get(k);
      if (clash) {
        throw integrity(file, `model ${fixture.model} prompt hash ${fixture.promptHash} is already answered by ${clash.file}`);
      }
      fixtures.set(k, { file, response: fixture.response });
      runtimeMode = minRuntimeMode(runtimeMode, fixture.runtimeMode);
    }
    return new ReplayAdapter(adapterId, runtimeMode, fixturesDir, fixtures);
  }

  /** Answers from the fixture for `(request.model, promptHash(request))`, or fails with `NoFixture`. */
  async complete(request: LlmRequest, options: CompleteOptions = {}): Promise<LlmResponse> {
    const call = await prepareCall(this.adapterId, request);
    if (options.signal?.aborted) throw callerAbortError(options.signal, this.adapterId, "replay");
    const hash = promptHashWith(call.blake3, call.request);
    const hit = this.fixtures.get(key(call.request.model, hash));
    if (!hit) {
      throw new LlmError("NoFixture", `no fixture for model ${call.request.model} prompt hash ${hash} in ${this.fixturesDir}`, {
        adapterId: this.adapterId,
        model: call.request.model,
        promptHash: hash,
      });
    }
    return structuredClone(hit.response);
  }
}

async function verifyFixture(
  file: string,
  expected: string,
  blake3: Blake3,
  integrity: (file: string, message: string, cause?: unknown) => LlmError,
  adapterId: string,
): Promise<FixtureFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if (isNotFound(error)) throw integrity(file, `listed in ${FIXTURE_INDEX_FILE} but missing`);
    throw new LlmError("Io", `cannot read fixture ${file}: ${errorText(error)}`, { adapterId, file, cause: error });
  }
  const actual = blake3.hex(bytes);
  if (actual !== expected) throw integrity(file, `BLAKE3 mismatch: ${FIXTURE_INDEX_FILE} says ${expected}, the file hashes to ${actual}`);

  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as unknown;
  } catch (error) {
    throw integrity(file, `not UTF-8 JSON (${errorText(error)})`, error);
  }
  const parsed = FixtureFileSchema.safeParse(json);
  if (!parsed.success) {
    throw integrity(file, `malformed fixture: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"} ${i.message}`).join("; ")}`);
  }
  const fixture = parsed.data;
  const recomputed = promptHashWith(blake3, { ...fixture.prompt, model: fixture.model, timeoutMs: 1 });
  if (recomputed !== fixture.promptHash) {
    throw integrity(file, `recorded prompt hashes to ${recomputed}, not to its promptHash ${fixture.promptHash}`);
  }
  if (fixture.prompt.jsonSchema) {
    let parsedJson: unknown;
    try {
      parsedJson = parseJsonResponse(fixture.response.text, fixture.prompt.jsonSchema, adapterId);
    } catch (error) {
      throw integrity(file, `recorded response does not satisfy its jsonSchema: ${errorText(error)}`, error);
    }
    if (fixture.response.parsedJson === undefined || canonicalJson(parsedJson) !== canonicalJson(fixture.response.parsedJson)) {
      throw integrity(file, "recorded parsedJson is not the parsed response text");
    }
  }
  return fixture;
}
