import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.js";
import { contextPackFromWire, contextPackToWire, type ContextPack } from "./context-pack.js";
import { CortexCoreError } from "./errors.js";

/** A full Cortex pack in its snake_case wire form, including members we do not model. */
function wirePack(): Record<string, unknown> {
  return {
    context_pack_id: "ctx_01HZX8JGFACFA36RBXDHEQN6E0",
    task: "answer with declared context",
    max_tokens: 512,
    pack_mode: "external",
    redaction_policy: {
      policy_id: "external_default",
      policy_version: 1,
      content: "abstracted",
      raw_event_payloads: "excluded",
    },
    selected_refs: [
      {
        ref_id: { kind: "memory", memory_id: "mem_01HZX8JGFACFA36RBXDHEQN6E1" },
        summary: "The deploy script must never touch prod on Fridays.",
        sensitivity: "internal",
        token_estimate: 14,
        claim: { runtime_mode: "local_unsigned", authority_class: "observed" },
      },
      { ref_id: { kind: "event", event_id: "evt_01HZX8JGFACFA36RBXDHEQN6E2" }, summary: "prior run" },
      { ref_id: { kind: "principle", principle_id: "prn_01HZX8JGFACFA36RBXDHEQN6E3" } },
    ],
    active_doctrine_ids: ["doc_01HZX8JGFACFA36RBXDHEQN6E4"],
    conflicts: [{ left: "mem_a", right: "mem_b", state: "surfaced", Note: "kept verbatim" }],
    exclusions: [
      {
        ref_id: { kind: "memory", memory_id: "mem_01HZX8JGFACFA36RBXDHEQN6E5" },
        reason: "token_budget",
        rationale: "over budget",
        sensitivity: "internal",
      },
    ],
    selection_audit: {
      included: [
        {
          ref_id: { kind: "memory", memory_id: "mem_01HZX8JGFACFA36RBXDHEQN6E1" },
          rule_id: "relevance.v1",
          reason: "matched task terms",
          sensitivity: "internal",
        },
      ],
      excluded: [
        {
          ref_id: { kind: "memory", memory_id: "mem_01HZX8JGFACFA36RBXDHEQN6E5" },
          rule_id: "budget.v1",
          reason: "token_budget",
          rationale: "over budget",
          sensitivity: "internal",
        },
      ],
      totals: { candidates: 4, selected: 3 },
    },
  };
}

function kindOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (error instanceof CortexCoreError) return error.kind;
    throw error;
  }
}

describe("ContextPack", () => {
  it("reads Cortex's snake_case pack into camelCase", () => {
    const pack = contextPackFromWire(wirePack());
    expect(pack.contextPackId).toBe("ctx_01HZX8JGFACFA36RBXDHEQN6E0");
    expect(pack.maxTokens).toBe(512);
    expect(pack.packMode).toBe("external");
    expect(pack.redactionPolicy).toEqual({ policyId: "external_default", policyVersion: 1, content: "abstracted", rawEventPayloads: "excluded" });
    expect(pack.selectedRefs[0]?.refId).toEqual({ kind: "memory", memoryId: "mem_01HZX8JGFACFA36RBXDHEQN6E1" });
    expect(pack.selectedRefs[1]?.refId).toEqual({ kind: "event", eventId: "evt_01HZX8JGFACFA36RBXDHEQN6E2" });
    expect(pack.selectedRefs[2]?.refId).toEqual({ kind: "principle", principleId: "prn_01HZX8JGFACFA36RBXDHEQN6E3" });
    expect(pack.activeDoctrineIds).toEqual(["doc_01HZX8JGFACFA36RBXDHEQN6E4"]);
    expect(pack.exclusions[0]).toMatchObject({ reason: "token_budget", rationale: "over budget" });
    expect(pack.selectionAudit.included?.[0]).toMatchObject({ ruleId: "relevance.v1", reason: "matched task terms" });
  });

  it("keeps unmodeled members verbatim, wire names and all", () => {
    const pack = contextPackFromWire(wirePack());
    const ref = pack.selectedRefs[0] as Record<string, unknown>;
    expect(ref.token_estimate).toBe(14);
    expect(ref.claim).toEqual({ runtime_mode: "local_unsigned", authority_class: "observed" });
    expect(pack.conflicts[0]).toEqual({ left: "mem_a", right: "mem_b", state: "surfaced", Note: "kept verbatim" });
    expect((pack.selectionAudit as Record<string, unknown>).totals).toEqual({ candidates: 4, selected: 3 });
  });

  it("serializes back byte-identical through canonicalJson", () => {
    const wire = wirePack();
    expect(canonicalJson(contextPackToWire(contextPackFromWire(wire)))).toBe(canonicalJson(wire));
    expect(canonicalJson(contextPackToWire(contextPackFromWire(JSON.stringify(wire))))).toBe(canonicalJson(wire));
  });

  it("an empty builder-style pack round-trips", () => {
    const wire = {
      context_pack_id: "ctx_01HZX8JGFACFA36RBXDHEQN6E0",
      task: "t",
      max_tokens: 4096,
      pack_mode: "operator",
      redaction_policy: { policy_id: "p", policy_version: 0, content: "full", raw_event_payloads: "operator_opt_in" },
      selected_refs: [],
      active_doctrine_ids: [],
      conflicts: [],
      exclusions: [],
      selection_audit: {},
    };
    const pack: ContextPack = contextPackFromWire(wire);
    expect(canonicalJson(contextPackToWire(pack))).toBe(canonicalJson(wire));
  });

  it("a camelCase pack edited in TypeScript writes snake_case", () => {
    const pack = contextPackFromWire(wirePack());
    const edited: ContextPack = { ...pack, maxTokens: 1024, activeDoctrineIds: [] };
    const wire = contextPackToWire(edited);
    expect(wire.max_tokens).toBe(1024);
    expect(wire.active_doctrine_ids).toEqual([]);
    expect("maxTokens" in wire).toBe(false);
  });

  it("members named __proto__ are kept as data, at any level", () => {
    const text = JSON.stringify(wirePack()).replace('"summary":"prior run"', '"summary":"prior run","__proto__":{"x":1}').replace(
      '"context_pack_id"',
      '"__proto__":[1],"context_pack_id"',
    );
    const wire = JSON.parse(text) as unknown;
    expect(canonicalJson(contextPackToWire(contextPackFromWire(text)))).toBe(canonicalJson(wire));
    expect(canonicalJson(wire)).toContain('"__proto__":{"x":1}');
  });

  it("rejects each missing FOUND field, naming it", () => {
    for (const field of [
      "context_pack_id",
      "task",
      "max_tokens",
      "pack_mode",
      "redaction_policy",
      "selected_refs",
      "active_doctrine_ids",
      "conflicts",
      "exclusions",
      "selection_audit",
    ]) {
      const wire = wirePack();
      delete wire[field];
      expect(() => contextPackFromWire(wire), field).toThrow(new RegExp(field));
    }
  });

  it("rejects wrong enum values and ids", () => {
    expect(kindOf(() => contextPackFromWire({ ...wirePack(), pack_mode: "External" }))).toBe("InvalidContextPack");
    expect(kindOf(() => contextPackFromWire({ ...wirePack(), max_tokens: -1 }))).toBe("InvalidContextPack");
    expect(kindOf(() => contextPackFromWire({ ...wirePack(), context_pack_id: "pack-1" }))).toBe("InvalidContextPack");
    expect(kindOf(() => contextPackFromWire({ ...wirePack(), selected_refs: [{ ref_id: { kind: "doc", doc_id: "x" } }] }))).toBe(
      "InvalidContextPack",
    );
    expect(kindOf(() => contextPackFromWire({ ...wirePack(), exclusions: [{ reason: "because" }] }))).toBe("InvalidContextPack");
  });

  it("rejects a wire member that collides with a modeled field's camelCase name", () => {
    const wire = wirePack();
    (wire.selected_refs as Record<string, unknown>[])[0] = { ref_id: { kind: "memory", memory_id: "mem_01HZX8JGFACFA36RBXDHEQN6E1" }, refId: 1 };
    expect(() => contextPackFromWire(wire)).toThrow(/collides/);
    const pack = contextPackFromWire(wirePack()) as Record<string, unknown>;
    expect(kindOf(() => contextPackToWire({ ...pack, max_tokens: 5 } as unknown as ContextPack))).toBe("InvalidContextPack");
  });

  it("property: unmodeled members anywhere survive the round trip", () => {
    const extras = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !k.includes("_") && !/[A-Z]/.test(k)),
      fc.jsonValue({ maxDepth: 2 }),
      { maxKeys: 3 },
    );
    fc.assert(
      fc.property(extras, extras, extras, (top, ref, audit) => {
        const wire = wirePack();
        const base = new Set(Object.keys(wire));
        const merged = { ...Object.fromEntries(Object.entries(top).filter(([k]) => !base.has(k))), ...wire };
        (merged.selected_refs as Record<string, unknown>[])[1] = { ...ref, ref_id: { kind: "event", event_id: "evt_01HZX8JGFACFA36RBXDHEQN6E2" } };
        merged.selection_audit = { ...Object.fromEntries(Object.entries(audit).filter(([k]) => k !== "included" && k !== "excluded")) };
        const round = contextPackToWire(contextPackFromWire(merged));
        expect(canonicalJson(round)).toBe(canonicalJson(merged));
      }),
      { numRuns: 150 },
    );
  });

  it("junk is always InvalidContextPack", () => {
    const wire = wirePack();
    const junk = fc.oneof(
      fc.anything(),
      fc.string(),
      fc.record({ key: fc.constantFrom(...Object.keys(wire)), value: fc.anything() }).map(({ key, value }) => ({ ...wire, [key]: value })),
    );
    fc.assert(
      fc.property(junk, (value) => {
        try {
          const pack = contextPackFromWire(value);
          expect(canonicalJson(contextPackToWire(pack))).toBe(canonicalJson(value));
        } catch (error) {
          expect(error).toBeInstanceOf(CortexCoreError);
          expect((error as CortexCoreError).kind).toBe("InvalidContextPack");
        }
      }),
      { numRuns: 300 },
    );
  });
});
