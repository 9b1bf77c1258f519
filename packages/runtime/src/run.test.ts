import { canonicalJson, contextPackToWire, type ContextPack } from "@cellos-cortex/cortex-core";
import { parseLlmRequest } from "@cellos-cortex/llm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { packFor } from "./__fixtures__/context-packs.js";
import { DEFAULT_SYSTEM_PROMPT } from "./constants.js";
import { createRun, llmRequestFor, validateRun, type Run } from "./run.js";
import { RuntimeError } from "./runtime-error.js";

function validationError(fn: () => unknown): RuntimeError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).kind).toBe("Validation");
    return error as RuntimeError;
  }
  throw new Error("expected a Validation error");
}

describe("createRun", () => {
  it("applies the seed's defaults", () => {
    const pack = packFor("default run", { maxTokens: 512 });
    const run = createRun({ task: "default run", pack });
    expect(run).toEqual({
      correlationId: run.correlationId,
      task: "default run",
      pack,
      model: "cortex-runtime-v1",
      system:
        "You are a Cortex child agent. Use the supplied ContextPack as declared context; do not infer hidden memory.",
      temperature: 0,
      maxTokens: 512,
      timeoutMs: 30_000,
      sessionId: null,
      domainTags: ["runtime"],
      runtimeMode: "local_unsigned",
    });
    expect(run.system).toBe(DEFAULT_SYSTEM_PROMPT);
    expect(run.correlationId).toMatch(/^cor_[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    expect(createRun({ task: "default run", pack }).correlationId).not.toBe(run.correlationId);
  });

  it("lets every default be overridden", () => {
    const pack = packFor("configured");
    const run = createRun({
      task: "configured",
      pack,
      correlationId: "cor_01JCKX7Q4M8Z3R5T9V2W6Y0B1D",
      model: "llama3.1:8b",
      system: "be brief",
      temperature: 0.25,
      maxTokens: 64,
      timeoutMs: 5_000,
      sessionId: "ses-1",
      domainTags: ["a", "b"],
      runtimeMode: "remote_unsigned",
    });
    expect(run).toMatchObject({
      correlationId: "cor_01JCKX7Q4M8Z3R5T9V2W6Y0B1D",
      model: "llama3.1:8b",
      system: "be brief",
      temperature: 0.25,
      maxTokens: 64,
      timeoutMs: 5_000,
      sessionId: "ses-1",
      domainTags: ["a", "b"],
      runtimeMode: "remote_unsigned",
    });
  });

  it("keeps a default when JavaScript passes an override as undefined", () => {
    const run = createRun({ task: "t", pack: packFor("t"), sessionId: undefined, model: undefined } as never);
    expect([run.sessionId, run.model]).toEqual([null, "cortex-runtime-v1"]);
  });

  it("rejects a pack whose max_tokens exceeds u32::MAX", () => {
    const pack = packFor("huge", { maxTokens: 4_294_967_296 });
    const error = validationError(() => createRun({ task: "huge", pack }));
    expect(error.message).toBe("validation failed: context pack max_tokens 4294967296 exceeds u32::MAX");
    expect(createRun({ task: "huge", pack: packFor("huge", { maxTokens: 4_294_967_295 }) }).maxTokens).toBe(4_294_967_295);
  });

  it("is deeply immutable and independent of the caller's objects", () => {
    const pack = packFor("frozen");
    const tags = ["runtime"];
    const run = createRun({ task: "frozen", pack, domainTags: tags });
    expect(Object.isFrozen(run)).toBe(true);
    expect(Object.isFrozen(run.pack)).toBe(true);
    expect(Object.isFrozen(run.domainTags)).toBe(true);
    expect(Object.isFrozen(run.pack.redactionPolicy)).toBe(true);
    expect(() => {
      (run as { task: string }).task = "changed";
    }).toThrow(TypeError);
    tags.push("mutated");
    (pack as { task: string }).task = "mutated";
    expect(run.domainTags).toEqual(["runtime"]);
    expect(run.pack.task).toBe("frozen");
    expect(Object.isFrozen(pack)).toBe(false);
  });

  it("rejects malformed fields with a typed error listing the problem", () => {
    const pack = packFor("shape");
    expect(validationError(() => createRun({ task: "shape", pack, temperature: Number.NaN })).message).toContain("temperature");
    expect(validationError(() => createRun({ task: "shape", pack, timeoutMs: 0 })).message).toContain("timeoutMs");
    expect(validationError(() => createRun({ task: "shape", pack, timeoutMs: 2 ** 31 })).message).toContain("timeoutMs");
    expect(validationError(() => createRun({ task: "shape", pack, runtimeMode: "trusted" as never })).message).toContain("runtimeMode");
    expect(validationError(() => createRun({ task: "shape", pack, correlationId: "evt_01JCKX7Q4M8Z3R5T9V2W6Y0B1D" as never })).message).toContain(
      "correlationId",
    );
    expect(validationError(() => createRun({ task: "shape", pack: { task: "shape" } as unknown as ContextPack })).message).toContain(
      "invalid context pack",
    );
    expect(validationError(() => createRun(null as never)).message).toContain("createRun expects");
  });

  it("turns any junk input into a Validation error (property)", () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (task, pack) => {
        validationError(() => createRun({ task, pack } as never));
      }),
      { numRuns: 200 },
    );
  });
});

describe("validateRun", () => {
  const pack = packFor("the task");
  const valid = createRun({ task: "the task", pack });

  it("returns the same frozen run when it is valid", () => {
    expect(validateRun(valid)).toBe(valid);
  });

  it("returns a frozen copy of a valid plain run", () => {
    const plain = { ...valid, domainTags: [...valid.domainTags] } as Run;
    const checked = validateRun(plain);
    expect(checked).not.toBe(plain);
    expect(checked).toEqual(valid);
    expect(Object.isFrozen(checked)).toBe(true);
  });

  it("re-checks a frozen run that was not made by createRun, including its nested objects", () => {
    const foreign = Object.freeze({ ...valid, pack: { ...valid.pack, maxTokens: -1 } }) as Run;
    expect(validationError(() => validateRun(foreign)).message).toContain("invalid context pack");
    const deepFrozen = Object.freeze({ ...valid, maxTokens: 7 }) as Run;
    expect(validateRun(deepFrozen)).toBe(deepFrozen);
  });

  it("rejects an empty task", () => {
    const run = createRun({ task: "   ", pack: packFor("   ") });
    expect(validationError(() => validateRun(run)).message).toBe("validation failed: runtime task must not be empty");
  });

  it("rejects a task that differs from the pack's task", () => {
    const run = createRun({ task: "different task", pack: packFor("pack task") });
    const error = validationError(() => validateRun(run));
    expect(error.message).toBe("validation failed: runtime task `different task` does not match context pack task `pack task`");
    expect(error.detail).toBe("runtime task `different task` does not match context pack task `pack task`");
  });

  it("rejects an empty model", () => {
    const run = createRun({ task: "the task", pack, model: " \t" });
    expect(validationError(() => validateRun(run)).message).toBe("validation failed: runtime model must not be empty");
  });

  it("rejects max tokens 0", () => {
    const run = createRun({ task: "the task", pack: packFor("the task", { maxTokens: 0 }) });
    expect(validationError(() => validateRun(run)).message).toBe("validation failed: runtime max_tokens must be greater than zero");
  });

  it("checks in the seed's order", () => {
    const run = createRun({ task: "", pack: packFor("other"), model: "", maxTokens: 0 });
    expect(validationError(() => validateRun(run)).detail).toBe("runtime task must not be empty");
    const second = createRun({ task: "a", pack: packFor("b"), model: "", maxTokens: 0 });
    expect(validationError(() => validateRun(second)).detail).toContain("does not match");
  });

  it("rejects junk runs with a typed error (property)", () => {
    fc.assert(
      fc.property(
        fc.record({
          task: fc.oneof(fc.string(), fc.anything()),
          model: fc.oneof(fc.constant("m"), fc.anything()),
          maxTokens: fc.oneof(fc.integer(), fc.double(), fc.anything()),
          timeoutMs: fc.oneof(fc.integer(), fc.anything()),
          runtimeMode: fc.oneof(fc.constantFrom("local_unsigned", "nope"), fc.anything()),
        }),
        (overrides) => {
          const run = { ...valid, ...overrides } as unknown as Run;
          try {
            expect(validateRun(run)).toMatchObject(overrides);
          } catch (error) {
            expect(error).toBeInstanceOf(RuntimeError);
            expect((error as RuntimeError).kind).toBe("Validation");
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("llmRequestFor", () => {
  it("sends the JSON {task, context_pack_id, context_pack} as the one user message, with the run's settings", () => {
    const pack = packFor("explain", { contextPackId: "ctx_01JCKX7Q4M8Z3R5T9V2W6Y0B1D", maxTokens: 300 });
    const run = createRun({ task: "explain", pack, temperature: 0.5, timeoutMs: 1234 });
    const request = llmRequestFor(run);

    expect(request).toEqual({
      model: "cortex-runtime-v1",
      system: DEFAULT_SYSTEM_PROMPT,
      messages: [
        {
          role: "user",
          content: canonicalJson({ task: "explain", context_pack_id: pack.contextPackId, context_pack: contextPackToWire(pack) }),
        },
      ],
      temperature: 0.5,
      maxTokens: 300,
      timeoutMs: 1234,
    });
    expect(parseLlmRequest(request)).toEqual(request);
    // A plain (unfrozen, unchecked) run builds the same request.
    expect(llmRequestFor({ ...run, pack: { ...run.pack } })).toEqual(request);
    // serde_json's `json!` prints object keys sorted and no whitespace.
    expect(request.messages[0]?.content).toBe(
      '{"context_pack":{"active_doctrine_ids":[],"conflicts":[],"context_pack_id":"ctx_01JCKX7Q4M8Z3R5T9V2W6Y0B1D","exclusions":[],"max_tokens":300,"pack_mode":"external","redaction_policy":{"content":"abstracted","policy_id":"external_default","policy_version":1,"raw_event_payloads":"excluded"},"selected_refs":[],"selection_audit":{"excluded":[],"included":[]},"task":"explain"},"context_pack_id":"ctx_01JCKX7Q4M8Z3R5T9V2W6Y0B1D","task":"explain"}',
    );
  });
});
