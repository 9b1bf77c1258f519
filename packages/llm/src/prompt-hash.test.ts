import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LlmError } from "./llm-error.js";
import type { LlmMessage, LlmRequest } from "./llm-request.js";
import { promptHash, promptHashPreimage } from "./prompt-hash.js";

const golden: LlmRequest = {
  model: "cortex-runtime-v1",
  system: "You are a Cortex child agent.",
  messages: [
    { role: "user", content: 'héllo "world"' },
    { role: "assistant", content: "hi" },
  ],
  temperature: 0.2,
  maxTokens: 512,
  timeoutMs: 30_000,
};

const messageArb: fc.Arbitrary<LlmMessage> = fc.record({
  role: fc.constantFrom("system" as const, "user" as const, "assistant" as const),
  content: fc.string({ unit: "grapheme", maxLength: 40 }),
});

const schemaArb = fc.option(
  fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<never>, { maxKeys: 3 }),
  { nil: undefined },
);

const requestArb: fc.Arbitrary<LlmRequest> = fc
  .record({
    model: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() !== ""),
    system: fc.string({ maxLength: 40 }),
    messages: fc.array(messageArb, { minLength: 1, maxLength: 4 }),
    temperature: fc.double({ min: 0, max: 2, noNaN: true, noDefaultInfinity: true }),
    maxTokens: fc.integer({ min: 1, max: 4_294_967_295 }),
    jsonSchema: schemaArb,
    timeoutMs: fc.integer({ min: 1, max: 600_000 }),
  })
  .map(({ jsonSchema, ...rest }) => (jsonSchema === undefined ? rest : { ...rest, jsonSchema }));

/** A deep copy with every object's keys in reverse insertion order. */
function reordered<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => reordered(v)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reordered(v)]),
    ) as T;
  }
  return value;
}

describe("promptHash", () => {
  it("hashes a pinned preimage to a pinned value (ADR 0015 golden vector)", async () => {
    expect(promptHashPreimage(golden)).toBe(
      '{"json_schema":null,"max_tokens":512,"messages":[{"content":"héllo \\"world\\"","role":"user"},{"content":"hi","role":"assistant"}],"system":"You are a Cortex child agent.","tag":"cortex_llm.prompt_hash.v1","temperature":0.2}',
    );
    // Cross-checked against @noble/hashes' BLAKE3 when the vector was made.
    expect(await promptHash(golden)).toBe("cc7dd762ef842c155e9810a8f28df74de01b690c39d0f8a5d56ddc5f42ac945a");
  });

  it("pins a second vector with a JSON schema", async () => {
    const withSchema = { ...golden, jsonSchema: { type: "object", required: ["a"], properties: { a: { type: "string" } } } };
    expect(await promptHash(withSchema)).toBe("7fa2b68ea18baa68422d6cf2427b974d4f029c077998bbe8f192ae917e3f64a0");
  });

  it("is lowercase 64-hex", async () => {
    expect(await promptHash(golden)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("validates the request first", async () => {
    await expect(promptHash({ ...golden, maxTokens: 0 })).rejects.toSatisfy(
      (error: unknown) => error instanceof LlmError && error.kind === "InvalidRequest",
    );
  });

  it("equal prompts hash equal, whatever the key order, model or timeout", async () => {
    await fc.assert(
      fc.asyncProperty(requestArb, fc.string({ minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 1e9 }), async (request, model, timeoutMs) => {
        const again = { ...reordered(request), model: `${model}x`, timeoutMs };
        expect(await promptHash(again)).toBe(await promptHash(request));
      }),
      { numRuns: 150 },
    );
  });

  it("any change in system, messages, temperature, maxTokens or schema changes the hash", async () => {
    const mutation = fc.oneof(
      fc.record({ field: fc.constant("system" as const), value: fc.string({ maxLength: 20 }) }),
      fc.record({ field: fc.constant("messages" as const), value: fc.array(messageArb, { minLength: 1, maxLength: 4 }) }),
      fc.record({ field: fc.constant("temperature" as const), value: fc.double({ min: 0, max: 2, noNaN: true, noDefaultInfinity: true }) }),
      fc.record({ field: fc.constant("maxTokens" as const), value: fc.integer({ min: 1, max: 4_294_967_295 }) }),
      fc.record({ field: fc.constant("jsonSchema" as const), value: schemaArb }),
    );
    await fc.assert(
      fc.asyncProperty(requestArb, mutation, async (request, { field, value }) => {
        const changed: LlmRequest = { ...request };
        if (value === undefined) delete changed[field];
        else (changed as Record<string, unknown>)[field] = value;
        // JSON equality (so -0 and 0, or reordered keys, count as the same value).
        fc.pre(JSON.stringify(reordered(request[field])) !== JSON.stringify(reordered(changed[field])));
        expect(await promptHash(changed)).not.toBe(await promptHash(request));
      }),
      { numRuns: 200 },
    );
  });

  it("distinguishes an absent schema from an empty one", async () => {
    expect(await promptHash({ ...golden, jsonSchema: {} })).not.toBe(await promptHash(golden));
  });

  it("keeps a schema member named __proto__ in the hash instead of dropping it", async () => {
    const withProto = JSON.parse('{"type":"object","__proto__":{"x":1}}') as Record<string, unknown>;
    const without = { type: "object" };
    expect(Object.keys(withProto)).toContain("__proto__");
    expect(await promptHash({ ...golden, jsonSchema: withProto as never })).not.toBe(await promptHash({ ...golden, jsonSchema: without }));
  });

  it("distinguishes message boundaries and roles", async () => {
    const split = { ...golden, messages: [{ role: "user" as const, content: "ab" }] };
    const joined = { ...golden, messages: [{ role: "user" as const, content: "a" }, { role: "user" as const, content: "b" }] };
    const asAssistant = { ...golden, messages: [{ role: "assistant" as const, content: "ab" }] };
    const hashes = new Set([await promptHash(split), await promptHash(joined), await promptHash(asAssistant)]);
    expect(hashes.size).toBe(3);
  });
});
