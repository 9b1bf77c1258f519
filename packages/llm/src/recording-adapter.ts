import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { loadBlake3, type RuntimeMode } from "@cellos-cortex/cortex-core";
import { writeFileAtomic } from "./atomic-write.js";
import {
  FIXTURE_FORMAT_VERSION,
  FIXTURE_INDEX_FILE,
  FixtureIndexSchema,
  fixtureFileName,
  fixtureJsonText,
  type FixtureFile,
  type FixtureIndex,
} from "./fixture-format.js";
import type { CompleteOptions, LlmAdapter } from "./llm-adapter.js";
import { LlmError } from "./llm-error.js";
import { parseLlmRequest, type LlmRequest } from "./llm-request.js";
import type { LlmResponse } from "./llm-response.js";
import { promptHashWith } from "./prompt-hash.js";

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Passes every request to `inner` and records each successful answer as a
 * replay fixture in `dir` (created if missing), so a `ReplayAdapter` run can
 * follow. Fixture files and `INDEX.json` are each written atomically (temp
 * file + rename), fixture first, so the index never lists a file that is not
 * complete. Recording into an existing directory keeps its fixtures; a new
 * answer for the same (model, prompt hash) replaces the old one.
 *
 * Only the prompt (system, messages, temperature, maxTokens, jsonSchema), the
 * model name and the response are written — never adapter configuration such
 * as API keys.
 */
export class RecordingAdapter implements LlmAdapter {
  readonly adapterId: string;
  readonly runtimeMode: RuntimeMode;
  readonly fixturesDir: string;
  private readonly inner: LlmAdapter;
  private index: Map<string, string> | undefined;
  /** Writes run one after another so concurrent calls cannot lose index entries. */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(inner: LlmAdapter, dir: string) {
    this.inner = inner;
    this.adapterId = inner.adapterId;
    this.runtimeMode = inner.runtimeMode;
    this.fixturesDir = resolve(dir);
  }

  async complete(request: LlmRequest, options: CompleteOptions = {}): Promise<LlmResponse> {
    const valid = parseLlmRequest(request, this.adapterId);
    const response = await this.inner.complete(valid, options);
    const written = this.writing.then(() => this.record(valid, response));
    this.writing = written.catch(() => undefined);
    await written;
    return response;
  }

  /** Resolves when every recording started so far is on disk (or has failed). */
  async flush(): Promise<void> {
    await this.writing;
  }

  private async record(request: LlmRequest, response: LlmResponse): Promise<void> {
    const blake3 = await loadBlake3();
    const promptHash = promptHashWith(blake3, request);
    const fixture: FixtureFile = {
      version: FIXTURE_FORMAT_VERSION,
      model: request.model,
      promptHash,
      runtimeMode: this.inner.runtimeMode,
      prompt: {
        system: request.system,
        messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
        temperature: request.temperature,
        maxTokens: request.maxTokens,
        ...(request.jsonSchema === undefined ? {} : { jsonSchema: request.jsonSchema }),
      },
      response,
    };
    const name = fixtureFileName(blake3, request.model, promptHash);
    const text = fixtureJsonText(fixture);
    const index = await this.loadIndex();
    await this.write(join(this.fixturesDir, name), text);
    index.set(name, blake3.hex(text));
    const document: FixtureIndex = {
      version: FIXTURE_FORMAT_VERSION,
      fixtures: [...index.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([path, hash]) => ({ path, blake3: hash })),
    };
    await this.write(join(this.fixturesDir, FIXTURE_INDEX_FILE), fixtureJsonText(document));
  }

  private async loadIndex(): Promise<Map<string, string>> {
    if (this.index) return this.index;
    const indexPath = join(this.fixturesDir, FIXTURE_INDEX_FILE);
    try {
      await mkdir(this.fixturesDir, { recursive: true });
    } catch (error) {
      throw new LlmError("Io", `cannot create fixture directory ${this.fixturesDir}: ${errorText(error)}`, {
        adapterId: this.adapterId,
        file: this.fixturesDir,
        cause: error,
      });
    }
    let text: string | undefined;
    try {
      text = await readFile(indexPath, "utf8");
    } catch (error) {
      if ((error as { code?: unknown }).code !== "ENOENT") {
        throw new LlmError("Io", `cannot read ${indexPath}: ${errorText(error)}`, { adapterId: this.adapterId, file: indexPath, cause: error });
      }
    }
    const index = new Map<string, string>();
    if (text !== undefined) {
      let parsed: ReturnType<typeof FixtureIndexSchema.safeParse>;
      try {
        parsed = FixtureIndexSchema.safeParse(JSON.parse(text));
      } catch (error) {
        throw new LlmError("FixtureIntegrityFailed", `${indexPath}: existing index is not JSON (${errorText(error)})`, {
          adapterId: this.adapterId,
          file: indexPath,
          cause: error,
        });
      }
      if (!parsed.success) {
        throw new LlmError("FixtureIntegrityFailed", `${indexPath}: existing index is malformed: ${parsed.error.message}`, {
          adapterId: this.adapterId,
          file: indexPath,
        });
      }
      for (const entry of parsed.data.fixtures) index.set(entry.path, entry.blake3);
    }
    this.index = index;
    return index;
  }

  private async write(path: string, text: string): Promise<void> {
    try {
      await writeFileAtomic(path, text);
    } catch (error) {
      throw new LlmError("Io", `cannot write ${path}: ${errorText(error)}`, { adapterId: this.adapterId, file: path, cause: error });
    }
  }
}
