import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CortexCoreError } from "./errors.js";
import {
  CORTEX_EVENT_WIRE_FIELDS,
  CortexEventType,
  EVENT_SOURCE_TYPES,
  EventSourceSchema,
  SCHEMA_VERSION,
  cortexEventFromWire,
  cortexEventToWire,
  createCortexEvent,
  eventTypeWire,
  validateCortexEvent,
  type CortexEvent,
} from "./event.js";
import { sealEvent } from "./hash-chain.js";
import { newEventId } from "./ids.js";

function wireEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV",
    schema_version: 2,
    observed_at: "2026-03-01T10:20:30.123456789Z",
    recorded_at: "2026-03-01T10:20:31Z",
    source: { type: "child_agent", model: "cortex-runtime-v1" },
    event_type: "cortex.event.agent_response.v1",
    trace_id: null,
    session_id: "session-7",
    domain_tags: ["runtime"],
    payload: { text: "runtime response", usage: { prompt_tokens: 12, completion_tokens: 3 } },
    payload_hash: "",
    prev_event_hash: null,
    event_hash: "",
    ...overrides,
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

describe("CortexEvent wire form", () => {
  it("SCHEMA_VERSION is 2", () => {
    expect(SCHEMA_VERSION).toBe(2);
  });

  it("reads snake_case into camelCase", () => {
    const event = cortexEventFromWire(wireEvent());
    expect(event).toEqual({
      id: "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV",
      schemaVersion: 2,
      observedAt: "2026-03-01T10:20:30.123456789Z",
      recordedAt: "2026-03-01T10:20:31Z",
      source: { type: "child_agent", model: "cortex-runtime-v1" },
      eventType: "cortex.event.agent_response.v1",
      traceId: null,
      sessionId: "session-7",
      domainTags: ["runtime"],
      payload: { text: "runtime response", usage: { prompt_tokens: 12, completion_tokens: 3 } },
      payloadHash: "",
      prevEventHash: null,
      eventHash: "",
    });
  });

  it("writes the 13 fields in wire order and round-trips byte-identical JSON", () => {
    const wire = wireEvent();
    const back = cortexEventToWire(cortexEventFromWire(wire));
    expect(Object.keys(back)).toEqual([...CORTEX_EVENT_WIRE_FIELDS]);
    expect(CORTEX_EVENT_WIRE_FIELDS).toHaveLength(13);
    expect(JSON.stringify(back)).toBe(JSON.stringify(wire));
  });

  it("accepts JSON text", () => {
    expect(cortexEventFromWire(JSON.stringify(wireEvent())).id).toBe("evt_01ARZ3NDEKTSV4RRFFQ69G5FAV");
    expect(kindOf(() => cortexEventFromWire("{oops"))).toBe("InvalidEvent");
  });

  it("reads a missing Option field as null and writes it as null", () => {
    const wire = wireEvent();
    delete wire.trace_id;
    delete wire.session_id;
    delete wire.prev_event_hash;
    const event = cortexEventFromWire(wire);
    expect(event.traceId).toBeNull();
    expect(event.sessionId).toBeNull();
    expect(event.prevEventHash).toBeNull();
    expect(cortexEventToWire(event)).toMatchObject({ trace_id: null, session_id: null, prev_event_hash: null });
  });

  it("round-trips a sealed event", async () => {
    const sealed = await sealEvent(cortexEventFromWire(wireEvent()), null);
    expect(cortexEventFromWire(JSON.parse(JSON.stringify(cortexEventToWire(sealed))))).toEqual(sealed);
  });

  it("refuses a schema version from a newer Cortex (forward-only) and non-integers", () => {
    expect(() => cortexEventFromWire(wireEvent({ schema_version: 3 }))).toThrow(/forward-only/);
    for (const v of [0, 1.5, "2", -1]) expect(kindOf(() => cortexEventFromWire(wireEvent({ schema_version: v })))).toBe("InvalidEvent");
    expect(cortexEventFromWire(wireEvent({ schema_version: 1 })).schemaVersion).toBe(1);
  });

  it("refuses unknown fields rather than dropping them", () => {
    expect(() => cortexEventFromWire(wireEvent({ attestation: {} }))).toThrow(/attestation/);
  });

  it("refuses half-sealed and inconsistent hash states", () => {
    const h = "ab".repeat(32);
    expect(kindOf(() => cortexEventFromWire(wireEvent({ payload_hash: h })))).toBe("InvalidEvent");
    expect(kindOf(() => cortexEventFromWire(wireEvent({ event_hash: h })))).toBe("InvalidEvent");
    expect(kindOf(() => cortexEventFromWire(wireEvent({ prev_event_hash: h })))).toBe("InvalidEvent");
    expect(kindOf(() => cortexEventFromWire(wireEvent({ payload_hash: h.toUpperCase(), event_hash: h })))).toBe("InvalidEvent");
    expect(cortexEventFromWire(wireEvent({ payload_hash: h, event_hash: h, prev_event_hash: h })).eventHash).toBe(h);
  });

  it("refuses bad timestamps, ids and event types, listing each problem", () => {
    try {
      cortexEventFromWire(wireEvent({ observed_at: "yesterday", id: "cor_01ARZ3NDEKTSV4RRFFQ69G5FAV", event_type: "UserMessage" }));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CortexCoreError);
      const message = (error as CortexCoreError).message;
      expect(message).toMatch(/observed_at/);
      expect(message).toMatch(/id: id "cor_01ARZ3NDEKTSV4RRFFQ69G5FAV" has prefix "cor", expected "evt"/);
      expect(message).toMatch(/event_type: event type "UserMessage" is not cortex\.event\.<snake_case>\.v<N>/);
    }
  });

  it("junk wire input is always a CortexCoreError InvalidEvent", () => {
    const wire = wireEvent();
    const mutate = fc.oneof(
      fc.anything(),
      fc.record({ key: fc.constantFrom(...CORTEX_EVENT_WIRE_FIELDS), value: fc.anything() }).map(({ key, value }) => ({
        ...wire,
        [key]: value,
      })),
    );
    fc.assert(
      fc.property(mutate, (junk) => {
        try {
          const event = cortexEventFromWire(junk);
          // The only way through is a value the schema allows: then it round-trips.
          expect(cortexEventFromWire(cortexEventToWire(event))).toEqual(event);
        } catch (error) {
          expect(error).toBeInstanceOf(CortexCoreError);
          expect((error as CortexCoreError).kind).toBe("InvalidEvent");
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("event sources (internally tagged on type, snake_case)", () => {
  it("lists the six upstream variants", () => {
    expect(EVENT_SOURCE_TYPES).toEqual(["user", "child_agent", "tool", "runtime", "external_outcome", "manual_correction"]);
  });

  it("accepts each variant with its fields and nothing else", () => {
    for (const source of [
      { type: "user" },
      { type: "child_agent", model: "m" },
      { type: "tool", name: "grep" },
      { type: "runtime" },
      { type: "external_outcome" },
      { type: "manual_correction" },
    ]) {
      expect(EventSourceSchema.parse(source)).toEqual(source);
    }
    for (const bad of [{ type: "ChildAgent", model: "m" }, { type: "child_agent" }, { type: "user", extra: 1 }, { type: "tool", name: 3 }]) {
      expect(EventSourceSchema.safeParse(bad).success).toBe(false);
    }
  });
});

describe("event types", () => {
  it("wire strings are cortex.event.<snake>.v1", () => {
    expect(CortexEventType.userMessage).toBe("cortex.event.user_message.v1");
    expect(CortexEventType.agentResponse).toBe("cortex.event.agent_response.v1");
    for (const wire of Object.values(CortexEventType)) expect(wire).toMatch(/^cortex\.event\.[a-z][a-z0-9_]*\.v1$/);
  });

  it("eventTypeWire builds and validates", () => {
    expect(eventTypeWire("cell_destroyed")).toBe("cortex.event.cell_destroyed.v1");
    expect(eventTypeWire("user_message", 2)).toBe("cortex.event.user_message.v2");
    expect(kindOf(() => eventTypeWire("UserMessage"))).toBe("InvalidEvent");
    expect(kindOf(() => eventTypeWire("x", 0))).toBe("InvalidEvent");
  });
});

describe("createCortexEvent", () => {
  it("runtime seed: an agent response event is unsealed with empty hashes", () => {
    const event = createCortexEvent({
      eventType: CortexEventType.agentResponse,
      source: { type: "child_agent", model: "cortex-runtime-v1" },
      payload: { ledger_authority: "development", signed_ledger_authority: false },
      domainTags: ["runtime"],
    });
    expect(event.id).toMatch(/^evt_/);
    expect(event.schemaVersion).toBe(SCHEMA_VERSION);
    expect(event.recordedAt).toBe(event.observedAt);
    expect(event.payloadHash).toBe("");
    expect(event.eventHash).toBe("");
    expect(event.prevEventHash).toBeNull();
    expect(event.traceId).toBeNull();
    expect(event.sessionId).toBeNull();
  });

  it("validates its input", () => {
    expect(() =>
      createCortexEvent({ eventType: CortexEventType.userMessage, source: { type: "user" }, payload: 1, id: "evt_bad" }),
    ).toThrow(CortexCoreError);
  });

  it("validateCortexEvent rejects non-JSON payloads and unknown members", () => {
    const good: CortexEvent = createCortexEvent({ eventType: CortexEventType.userMessage, source: { type: "user" }, payload: {}, id: newEventId() });
    expect(validateCortexEvent(good)).toEqual(good);
    expect(kindOf(() => validateCortexEvent({ ...good, payload: Number.NaN }))).toBe("InvalidEvent");
    expect(kindOf(() => validateCortexEvent({ ...good, extra: 1 }))).toBe("InvalidEvent");
    expect(kindOf(() => cortexEventToWire({ ...good, domainTags: "x" } as unknown as CortexEvent))).toBe("InvalidEvent");
  });
});
