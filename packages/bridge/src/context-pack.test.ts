import { contextPackFromWire, payloadHash } from "@cellos-cortex/cortex-core";
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isBridgeError } from "./bridge-error.js";
import { contextPackFromCortex, createContextPack, parseContextPack, slimContextPackFromWire, slimContextPackToWire } from "./context-pack.js";

const cortexWire = {
  context_pack_id: "ctx_01ARZ3NDEKTSV4RRFFQ69G5FAV",
  task: "summarise the incident",
  max_tokens: 4096,
  pack_mode: "external",
  redaction_policy: { policy_id: "external-default", policy_version: 1, content: "abstracted", raw_event_payloads: "excluded" },
  selected_refs: [],
  active_doctrine_ids: ["doc_01ARZ3NDEKTSV4RRFFQ69G5FAV", "doc_01BX5ZZKBKACTAV9WEVGEMMVRZ"],
  conflicts: [],
  exclusions: [],
  selection_audit: { included: [], excluded: [] },
};

describe("slim ContextPack", () => {
  it("createContextPack is the seed's ContextPack::new(task)", () => {
    expect(createContextPack("t")).toEqual({ memoryDigest: "", doctrineRefs: [], task: "t" });
    expect(createContextPack("t", { expiresAt: 5 })).toEqual({ memoryDigest: "", doctrineRefs: [], task: "t", expiresAt: 5 });
  });

  it("round-trips through the Rust crate's snake_case JSON", () => {
    const pack = { memoryDigest: "abc", doctrineRefs: ["D1"], task: "t", expiresAt: 1_700_000_000_000 };
    expect(slimContextPackToWire(pack)).toEqual({ memory_digest: "abc", doctrine_refs: ["D1"], task: "t", expires_at: 1_700_000_000_000 });
    expect(slimContextPackFromWire(JSON.stringify(slimContextPackToWire(pack)))).toEqual(pack);
    expect(slimContextPackFromWire({ memory_digest: "", doctrine_refs: [], task: "x", expires_at: null })).toEqual(createContextPack("x"));
  });

  it("refuses junk with InvalidPack naming the problem", () => {
    for (const junk of ["{", "null", '{"memory_digest":1}', "[]"]) expect(() => slimContextPackFromWire(junk)).toThrow(expect.objectContaining({ kind: "InvalidPack" }) as Error);
    expect(() => parseContextPack({ memoryDigest: "", doctrineRefs: [], task: "x", extra: 1 })).toThrow(/extra|Unrecognized/);
    expect(() => parseContextPack({ memoryDigest: "", doctrineRefs: [], task: "x", expiresAt: 1.5 })).toThrow(/expiresAt/);
  });

  it("property: arbitrary values never throw anything but InvalidPack", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        try {
          parseContextPack(value);
        } catch (error) {
          expect(isBridgeError(error, "InvalidPack")).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("contextPackFromCortex", () => {
  it("projects task and active doctrine ids, and digests the whole pack", async () => {
    const pack = await contextPackFromCortex(contextPackFromWire(cortexWire));
    expect(pack).toEqual({ memoryDigest: await payloadHash(cortexWire), doctrineRefs: cortexWire.active_doctrine_ids, task: "summarise the incident" });
    expect(pack.memoryDigest).toMatch(/^[0-9a-f]{64}$/);
  });

  it("takes the wire JSON (object or text) and gives the same pack", async () => {
    const fromTs = await contextPackFromCortex(contextPackFromWire(cortexWire));
    await expect(contextPackFromCortex(cortexWire)).resolves.toEqual(fromTs);
    await expect(contextPackFromCortex(JSON.stringify(cortexWire))).resolves.toEqual(fromTs);
  });

  it("any change to the pack changes the digest; options set expiry and digest", async () => {
    const base = await contextPackFromCortex(cortexWire);
    const changed = await contextPackFromCortex({ ...cortexWire, max_tokens: 4095 });
    expect(changed.memoryDigest).not.toBe(base.memoryDigest);
    await expect(contextPackFromCortex(cortexWire, { expiresAt: 123, memoryDigest: "given" })).resolves.toMatchObject({ expiresAt: 123, memoryDigest: "given" });
  });

  it("refuses a malformed Cortex pack with InvalidPack", async () => {
    for (const junk of [{ ...cortexWire, context_pack_id: "nope" }, { ...cortexWire, active_doctrine_ids: "x" }, "{", { context_pack_id: "ctx_01ARZ3NDEKTSV4RRFFQ69G5FAV" }]) {
      await expect(contextPackFromCortex(junk as never)).rejects.toMatchObject({ kind: "InvalidPack" });
    }
  });
});
