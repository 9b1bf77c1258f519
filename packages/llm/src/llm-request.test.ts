import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LlmError } from "./llm-error.js";
import { MAX_TOKENS_LIMIT, parseLlmRequest, type LlmRequest } from "./llm-request.js";

const valid: LlmRequest = {
  model: "cortex-runtime-v1",
  system: "",
  messages: [{ role: "user", content: "hello" }],
  temperature: 0,
  maxTokens: 512,
  timeoutMs: 30_000,
};

function invalid(value: unknown): LlmError {
  try {
    parseLlmRequest(value, "unit");
  } catch (error) {
    expect(error).toBeInstanceOf(LlmError);
    return error as LlmError;
  }
  throw new Error("expected InvalidRequest");
}

describe("LlmRequest", () => {
  it("accepts a minimal request with an empty system prompt", () => {
    expect(parseLlmRequest(valid)).toEqual(valid);
  });

  it("accepts every role and a JSON schema", () => {
    const request = {
      ...valid,
      messages: [
        { role: "system", content: "s" },
        { role: "user", content: "u" },
        { role: "assistant", content: "a" },
      ],
      jsonSchema: { type: "object", properties: { a: { type: ["string", "null"] } } },
    };
    expect(parseLlmRequest(request)).toEqual(request);
  });

  it("accepts maxTokens up to 2^32-1 and rejects 2^32", () => {
    expect(parseLlmRequest({ ...valid, maxTokens: MAX_TOKENS_LIMIT }).maxTokens).toBe(4_294_967_295);
    expect(invalid({ ...valid, maxTokens: 2 ** 32 }).message).toContain("maxTokens must be ≤ 4294967295");
  });

  it.each([
    ["maxTokens 0", { maxTokens: 0 }, "maxTokens"],
    ["fractional maxTokens", { maxTokens: 1.5 }, "maxTokens"],
    ["empty model", { model: "  " }, "model must not be empty"],
    ["no messages", { messages: [] }, "messages must not be empty"],
    ["unknown role", { messages: [{ role: "tool", content: "x" }] }, "messages.0.role"],
    ["negative temperature", { temperature: -0.1 }, "temperature"],
    ["NaN temperature", { temperature: Number.NaN }, "temperature"],
    ["infinite temperature", { temperature: Number.POSITIVE_INFINITY }, "temperature"],
    ["zero timeout", { timeoutMs: 0 }, "timeoutMs"],
    ["non-JSON schema value", { jsonSchema: { type: undefined } }, "jsonSchema"],
    ["schema that is not an object", { jsonSchema: "object" }, "jsonSchema"],
  ])("rejects %s as InvalidRequest naming the field", (_name, patch, expected) => {
    const error = invalid({ ...valid, ...patch });
    expect(error.kind).toBe("InvalidRequest");
    expect(error.adapterId).toBe("unit");
    expect(error.message).toContain(expected);
  });

  it("rejects unknown fields instead of dropping them", () => {
    const error = invalid({ ...valid, topP: 0.9 });
    expect(error.message).toContain('Unrecognized key: "topP"');
  });

  it("lists every problem at once", () => {
    const error = invalid({ ...valid, model: "", maxTokens: 0, timeoutMs: -1 });
    expect(error.message).toContain("model");
    expect(error.message).toContain("maxTokens");
    expect(error.message).toContain("timeoutMs");
  });

  it("turns any junk into a typed InvalidRequest, never another exception", () => {
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        try {
          parseLlmRequest(junk);
          return false; // junk from fc.anything() is never a whole valid request
        } catch (error) {
          return error instanceof LlmError && error.kind === "InvalidRequest";
        }
      }),
      { numRuns: 200 },
    );
  });

  it("rejects near-miss requests with one field replaced by junk", () => {
    const fields = Object.keys(valid) as (keyof LlmRequest)[];
    fc.assert(
      fc.property(
        fc.constantFrom(...fields),
        fc.oneof(fc.string(), fc.double(), fc.constant(null), fc.boolean(), fc.array(fc.anything(), { maxLength: 2 })),
        (field, junk) => {
          const candidate = { ...valid, [field]: junk };
          const result = (() => {
            try {
              return parseLlmRequest(candidate);
            } catch (error) {
              return error;
            }
          })();
          if (result instanceof LlmError) return result.kind === "InvalidRequest" && result.message.includes(field);
          // The junk happened to be a valid value for that field.
          return (result as LlmRequest)[field] === junk;
        },
      ),
      { numRuns: 200 },
    );
  });
});
