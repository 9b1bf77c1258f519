import { blake3 as nobleBlake3 } from "@noble/hashes/blake3.js";
import { bytesToHex as nobleHex, hexToBytes } from "@noble/hashes/utils.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, type JsonValue } from "./canonical-json.js";
import { CortexCoreError } from "./errors.js";
import { CortexEventType, cortexEventToWire, createCortexEvent, type CortexEvent } from "./event.js";
import {
  createCortexHasher,
  eventHash,
  payloadHash,
  sealEvent,
  verifiedCortexEventFromWire,
  verifyChain,
} from "./hash-chain.js";

const utf8 = (text: string) => new TextEncoder().encode(text);

/** Independent oracle for the event-hash framing, built byte by byte with @noble/hashes. */
function oracleEventHash(prev: string | null, payload: string): string {
  const u64le = (n: number) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
    return b;
  };
  const prevBytes = prev === null ? new Uint8Array(0) : hexToBytes(prev);
  const payloadBytes = hexToBytes(payload);
  const parts = [new Uint8Array([0x01]), u64le(prevBytes.length), prevBytes, u64le(payloadBytes.length), payloadBytes];
  const frame = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    frame.set(part, at);
    at += part.length;
  }
  return nobleHex(nobleBlake3(frame));
}

const oraclePayloadHash = (payload: unknown) => nobleHex(nobleBlake3(utf8(canonicalJson(payload))));

function event(payload: JsonValue, n = 0): CortexEvent {
  return createCortexEvent({
    eventType: CortexEventType.userMessage,
    source: { type: "user" },
    payload,
    observedAt: `2026-01-01T00:00:${String(n % 60).padStart(2, "0")}Z`,
  });
}

async function chain(payloads: JsonValue[]): Promise<CortexEvent[]> {
  const out: CortexEvent[] = [];
  for (const [i, payload] of payloads.entries()) out.push(await sealEvent(event(payload, i), out.at(-1) ?? null));
  return out;
}

describe("payloadHash", () => {
  it("is BLAKE3 of the canonical JSON bytes (checked against @noble/hashes)", async () => {
    const payload = { b: [1, 2, { z: "é" }], a: null, n: -0 };
    expect(await payloadHash(payload)).toBe(nobleHex(nobleBlake3(utf8('{"a":null,"b":[1,2,{"z":"é"}],"n":0}'))));
  });

  it("golden: the empty object", async () => {
    expect(await payloadHash({})).toBe(nobleHex(nobleBlake3(utf8("{}"))));
  });

  it("a getter that hashes while the payload is being canonicalized does not corrupt either hash", async () => {
    const hasher = await createCortexHasher();
    const inner = { x: "inner" };
    const payload = {
      before: "b".repeat(300),
      get during() {
        return hasher.payloadHash(inner);
      },
      after: [1, 2, 3],
    };
    const materialized = { before: "b".repeat(300), during: oraclePayloadHash(inner), after: [1, 2, 3] };
    expect(hasher.payloadHash(payload)).toBe(oraclePayloadHash(materialized));
  });

  it("ignores member order", async () => {
    expect(await payloadHash({ a: 1, b: 2 })).toBe(await payloadHash({ b: 2, a: 1 }));
  });

  it("throws NotCanonicalizable for non-JSON payloads", async () => {
    await expect(payloadHash({ x: Number.NaN })).rejects.toMatchObject({ kind: "NotCanonicalizable" });
  });

  it("property: equals the oracle for any JSON value", async () => {
    const hasher = await createCortexHasher();
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: "grapheme" }), (value) => {
        expect(hasher.payloadHash(value)).toBe(oraclePayloadHash(value));
      }),
      { numRuns: 150 },
    );
  });
});

describe("eventHash framing", () => {
  const p = oraclePayloadHash({ hello: "world" });
  const prev = oraclePayloadHash("previous");

  it("genesis: 0x01 ‖ u64le(0) ‖ u64le(32) ‖ payload raw", async () => {
    const expected = nobleHex(
      nobleBlake3(new Uint8Array([0x01, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0, 0, 0, 0, 0, 0, ...hexToBytes(p)])),
    );
    expect(await eventHash(null, p)).toBe(expected);
    expect(await eventHash(null, p)).toBe(oracleEventHash(null, p));
  });

  it("linked: 0x01 ‖ u64le(32) ‖ prev raw ‖ u64le(32) ‖ payload raw", async () => {
    expect(await eventHash(prev, p)).toBe(oracleEventHash(prev, p));
    expect(await eventHash(prev, p)).not.toBe(await eventHash(null, p));
  });

  it("is not a hash of the hex text or of the raw concatenation (domain tag and lengths matter)", async () => {
    const h = await eventHash(prev, p);
    expect(h).not.toBe(nobleHex(nobleBlake3(utf8(prev + p))));
    expect(h).not.toBe(nobleHex(nobleBlake3(new Uint8Array([...hexToBytes(prev), ...hexToBytes(p)]))));
  });

  it("rejects malformed hashes with InvalidHash", async () => {
    for (const bad of ["", "abc", "A".repeat(64), `${"0".repeat(63)}x`, "0".repeat(66)]) {
      await expect(eventHash(null, bad)).rejects.toMatchObject({ kind: "InvalidHash" });
      await expect(eventHash(bad, p)).rejects.toMatchObject({ kind: "InvalidHash" });
    }
  });

  it("property: equals the oracle for arbitrary digests", async () => {
    const hasher = await createCortexHasher();
    const digest = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => nobleHex(b));
    fc.assert(
      fc.property(fc.option(digest), digest, (prevHash, payload) => {
        expect(hasher.eventHash(prevHash, payload)).toBe(oracleEventHash(prevHash, payload));
      }),
      { numRuns: 200 },
    );
  });
});

describe("sealEvent", () => {
  it("fills the three hash fields without mutating the input", async () => {
    const unsealed = event({ text: "hi" });
    const sealed = await sealEvent(unsealed, null);
    expect(unsealed.payloadHash).toBe("");
    expect(unsealed.eventHash).toBe("");
    expect(sealed).toEqual({
      ...unsealed,
      payloadHash: oraclePayloadHash({ text: "hi" }),
      prevEventHash: null,
      eventHash: oracleEventHash(null, oraclePayloadHash({ text: "hi" })),
    });
  });

  it("links to the previous event, given as the event or as its hash", async () => {
    const first = await sealEvent(event(1), null);
    const second = event(2);
    const viaEvent = await sealEvent(second, first);
    const viaHash = await sealEvent(second, first.eventHash);
    expect(viaEvent.prevEventHash).toBe(first.eventHash);
    expect(viaHash).toEqual(viaEvent);
    expect(viaEvent.eventHash).toBe(oracleEventHash(first.eventHash, viaEvent.payloadHash));
  });

  it("refuses an unsealed or malformed previous link", async () => {
    await expect(sealEvent(event(2), event(1))).rejects.toMatchObject({ kind: "InvalidHash" });
    await expect(sealEvent(event(2), "nope")).rejects.toThrow(/previous link/);
  });
});

describe("verifyChain", () => {
  it("verifies a sealed chain and reports its head", async () => {
    const events = await chain([{ a: 1 }, "two", [3]]);
    expect(await verifyChain(events)).toEqual({ ok: true, count: 3, lastEventHash: events[2]?.eventHash });
    // Every stored hash agrees with the @noble/hashes oracle.
    let prev: string | null = null;
    for (const e of events) {
      expect(e.payloadHash).toBe(oraclePayloadHash(e.payload));
      expect(e.prevEventHash).toBe(prev);
      expect(e.eventHash).toBe(oracleEventHash(prev, e.payloadHash));
      prev = e.eventHash;
    }
  });

  it("an empty chain verifies", async () => {
    expect(await verifyChain([])).toEqual({ ok: true, count: 0, lastEventHash: null });
  });

  it("reports a tampered payload at its index", async () => {
    const events = await chain([1, 2, 3, 4]);
    const tampered = events.map((e, i) => (i === 2 ? { ...e, payload: 99 } : e));
    const result = await verifyChain(tampered);
    expect(result).toMatchObject({ ok: false, count: 2, firstBadIndex: 2, failure: "payload_hash_mismatch" });
    expect(result.reason).toMatch(/^event 2 \(evt_[0-9A-Z]{26}\): payload hash [0-9a-f]{64} does not match the payload/);
  });

  it("reports a forged event hash", async () => {
    const events = await chain([1, 2]);
    const forged = [events[0], { ...events[1], eventHash: "0".repeat(64) }] as CortexEvent[];
    expect(await verifyChain(forged)).toMatchObject({ ok: false, firstBadIndex: 1, failure: "event_hash_mismatch" });
  });

  it("reports a removed or reordered event as a broken link", async () => {
    const events = await chain([1, 2, 3]);
    const [a, b, c] = events as [CortexEvent, CortexEvent, CortexEvent];
    expect(await verifyChain([a, c])).toMatchObject({ ok: false, firstBadIndex: 1, failure: "prev_hash_mismatch" });
    expect(await verifyChain([b, a, c])).toMatchObject({ ok: false, firstBadIndex: 0, failure: "prev_hash_mismatch" });
    const result = await verifyChain([a, c]);
    expect(result.reason).toContain(`expected ${a.eventHash}`);
  });

  it("a re-sealed payload with a consistent hash still breaks the next link", async () => {
    const [a, b, c] = (await chain([1, 2, 3])) as [CortexEvent, CortexEvent, CortexEvent];
    const resealed = await sealEvent({ ...b, payload: "evil" }, a);
    const result = await verifyChain([a, resealed, c]);
    expect(result).toMatchObject({ ok: false, firstBadIndex: 2, failure: "prev_hash_mismatch" });
  });

  it("verifies a segment against an expected previous hash", async () => {
    const events = await chain([1, 2, 3]);
    const tail = events.slice(1);
    expect(await verifyChain(tail)).toMatchObject({ ok: false, firstBadIndex: 0, failure: "prev_hash_mismatch" });
    expect(await verifyChain(tail, { expectedPrevHash: events[0]?.eventHash ?? null })).toMatchObject({ ok: true, count: 2 });
    await expect(verifyChain(tail, { expectedPrevHash: "bad" })).rejects.toBeInstanceOf(CortexCoreError);
  });

  it("reports unsealed, malformed and non-canonical entries instead of throwing", async () => {
    const [sealedA] = (await chain([1])) as [CortexEvent];
    expect(await verifyChain([event(1)])).toMatchObject({ ok: false, firstBadIndex: 0, failure: "malformed_hash" });
    expect(await verifyChain([{ ...sealedA, payloadHash: sealedA.payloadHash.toUpperCase() }])).toMatchObject({ failure: "malformed_hash" });
    expect(await verifyChain([{ ...sealedA, prevEventHash: "x" }])).toMatchObject({ failure: "malformed_hash" });
    expect(await verifyChain([{ ...sealedA, payload: { n: Number.NaN } }])).toMatchObject({
      failure: "payload_not_canonical",
    });
    expect(await verifyChain([sealedA, null as unknown as CortexEvent])).toMatchObject({
      ok: false,
      count: 1,
      firstBadIndex: 1,
      failure: "malformed_event",
    });
  });

  it("property: any single mutation of a sealed chain is caught at or before the mutated index", async () => {
    const hasher = await createCortexHasher();
    const digest = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => nobleHex(b));
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue({ maxDepth: 2 }).map((v) => v as JsonValue), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.constantFrom("payload", "payloadHash", "eventHash", "prevEventHash"),
        digest,
        (payloads, pick, field, randomHash) => {
          const events: CortexEvent[] = [];
          for (const [i, payload] of payloads.entries()) events.push(hasher.sealEvent(event(payload, i), events.at(-1) ?? null));
          expect(hasher.verifyChain(events)).toMatchObject({ ok: true, count: events.length });
          const index = pick % events.length;
          const original = events[index];
          if (original === undefined) throw new Error("index is in range");
          const mutated: CortexEvent =
            field === "payload"
              ? { ...original, payload: { mutated: original.payload } }
              : field === "prevEventHash"
                ? { ...original, prevEventHash: original.prevEventHash === null ? randomHash : null }
                : { ...original, [field]: randomHash };
          fc.pre(canonicalJson(mutated) !== canonicalJson(original));
          const copy = [...events];
          copy[index] = mutated;
          const result = hasher.verifyChain(copy);
          expect(result.ok).toBe(false);
          expect(result.firstBadIndex).toBeLessThanOrEqual(index);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("verifiedCortexEventFromWire", () => {
  it("accepts a sealed wire event whose hashes verify", async () => {
    const [first, second] = (await chain(["a", "b"])) as [CortexEvent, CortexEvent];
    expect(await verifiedCortexEventFromWire(cortexEventToWire(second))).toEqual(second);
    expect(await verifiedCortexEventFromWire(JSON.stringify(cortexEventToWire(second)), { expectedPrevHash: first.eventHash })).toEqual(second);
  });

  it("never accepts an event whose hashes do not verify", async () => {
    const [first, second] = (await chain(["a", "b"])) as [CortexEvent, CortexEvent];
    const wire = cortexEventToWire(second);
    await expect(verifiedCortexEventFromWire({ ...wire, payload: "tampered" })).rejects.toMatchObject({ kind: "InvalidHash" });
    await expect(verifiedCortexEventFromWire({ ...wire, event_hash: first.eventHash })).rejects.toMatchObject({ kind: "InvalidHash" });
    await expect(verifiedCortexEventFromWire(wire, { expectedPrevHash: null })).rejects.toThrow(/previous event hash/);
    await expect(verifiedCortexEventFromWire(cortexEventToWire(event("unsealed")))).rejects.toMatchObject({ kind: "InvalidHash" });
  });

  it("a payload member named __proto__ is data: it survives the wire and verifies", async () => {
    const payload = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as JsonValue;
    const sealed = await sealEvent(event(payload), null);
    const text = JSON.stringify(cortexEventToWire(sealed));
    expect(text).toContain('"__proto__":{"polluted":true}');
    const back = await verifiedCortexEventFromWire(text);
    expect(canonicalJson(back.payload)).toBe('{"__proto__":{"polluted":true},"a":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("junk is InvalidEvent", async () => {
    await expect(verifiedCortexEventFromWire("{not json")).rejects.toMatchObject({ kind: "InvalidEvent" });
    await expect(verifiedCortexEventFromWire({ id: 1 })).rejects.toMatchObject({ kind: "InvalidEvent" });
  });
});
