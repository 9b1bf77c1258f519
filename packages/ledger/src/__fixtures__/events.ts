import { createCortexEvent, type CortexEvent, type EventId } from "@cellos-cortex/cortex-core";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A fixed, valid event id for row `i` (`evt_01JAAAAAAA` + i in 16 base32 digits). */
export function sampleEventId(i: number): EventId {
  let digits = "";
  for (let n = i, k = 0; k < 16; k++, n = Math.floor(n / 32)) digits = (CROCKFORD[n % 32] ?? "0") + digits;
  return `evt_01JAAAAAAA${digits}`;
}

/** A deterministic unsealed event for row `i`. */
export function sampleEvent(i: number): CortexEvent {
  return createCortexEvent({
    id: sampleEventId(i),
    eventType: "cortex.event.tool_result.v1",
    source: { type: "tool", name: "cellos-supervisor" },
    observedAt: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(),
    domainTags: ["cellos", `row-${i % 7}`],
    sessionId: i % 3 === 0 ? null : `session-${i % 5}`,
    payload: { i, cellId: `cell-${i}`, exitCode: i % 4, note: "ünïcødé ✓ \u0001 \"quoted\"", nested: { list: [i, i + 1, null, true] } },
  });
}
