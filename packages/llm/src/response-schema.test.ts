import { describe, expect, it } from "vitest";
import { LlmError } from "./llm-error.js";
import { compileResponseSchema, parseJsonResponse } from "./response-schema.js";

const schema = {
  type: "object",
  properties: { verdict: { enum: ["allow", "deny"] }, score: { type: "number", minimum: 0 } },
  required: ["verdict"],
  additionalProperties: false,
};

function failure(run: () => unknown): LlmError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(LlmError);
    return error as LlmError;
  }
  throw new Error("expected an LlmError");
}

describe("jsonSchema response checking", () => {
  it("parses and validates a conforming reply", () => {
    expect(parseJsonResponse(' {"verdict": "allow", "score": 0.5}\n', schema, "unit")).toEqual({ verdict: "allow", score: 0.5 });
  });

  it("reports text that is not JSON as Parse, quoting the text", () => {
    const error = failure(() => parseJsonResponse("Sure! Here you go: {", schema, "unit"));
    expect(error.kind).toBe("Parse");
    expect(error.adapterId).toBe("unit");
    expect(error.message).toContain("not JSON");
    expect(error.message).toContain("Sure! Here you go");
  });

  it("does not strip Markdown fences", () => {
    expect(failure(() => parseJsonResponse('```json\n{"verdict":"allow"}\n```', schema, "unit")).kind).toBe("Parse");
  });

  it("reports every schema violation with its path", () => {
    const error = failure(() => parseJsonResponse('{"verdict": "maybe", "score": -1, "extra": 1}', schema, "unit"));
    expect(error.kind).toBe("Parse");
    expect(error.message).toContain("/verdict must be equal to one of the allowed values");
    expect(error.message).toContain("/score must be >= 0");
    expect(error.message).toContain("must NOT have additional properties");
  });

  it("rejects a schema that does not compile as InvalidRequest", () => {
    const error = failure(() => compileResponseSchema({ type: "no-such-type" }, "unit"));
    expect(error.kind).toBe("InvalidRequest");
    expect(error.message).toContain("jsonSchema does not compile");
  });

  it("understands draft 2020-12 schemas", () => {
    const tuple = { $schema: "https://json-schema.org/draft/2020-12/schema", type: "array", prefixItems: [{ type: "string" }], items: false };
    expect(parseJsonResponse('["a"]', tuple, "unit")).toEqual(["a"]);
    expect(failure(() => parseJsonResponse('["a", 1]', tuple, "unit")).kind).toBe("Parse");
  });

  it("compiles equal schemas once and keeps schemas with the same $id apart", () => {
    const a = compileResponseSchema({ $id: "https://example.com/s.json", type: "string" }, "unit");
    const b = compileResponseSchema({ $id: "https://example.com/s.json", type: "number" }, "unit");
    expect(a("s")).toBe(true);
    expect(b("s")).toBe(false);
    expect(compileResponseSchema({ $id: "https://example.com/s.json", type: "string" }, "unit")).toBe(a);
  });
});
