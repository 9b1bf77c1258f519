import {
  commandCompletedEvent,
  cortexDispatchedEvent,
  exportV2CompletedEvent,
  lifecycleDestroyedEvent,
  lifecycleStartedEvent,
  processSpawnedEvent,
} from "@cellos-cortex/cellos-core";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";

export const SUPERVISOR = "/cellos/supervisor/test-host";
export const BRIDGE = "/cortex/bridge";
export const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

export function at(offsetMs: number): string {
  return new Date(T0 + offsetMs).toISOString();
}

export interface CellScript {
  cellId: string;
  packId?: string;
  doctrineRefs?: string[];
  /** Offset of the started event from T0. */
  startMs?: number;
  exitCode?: number;
  /** Omit to leave the cell running. */
  outcome?: "succeeded" | "failed";
  terminalState?: "clean" | "forced";
  reason?: string;
  durationMs?: number;
  exportPath?: string;
}

/** Event `index` of `events` (throws when there is none, so tests need no casts). */
export function eventAt(events: readonly CloudEventV1[], index: number): CloudEventV1 {
  const event = events.at(index);
  if (event === undefined) throw new Error(`no event at index ${index} of ${events.length}`);
  return event;
}

/** The events a supervisor (and the bridge's dispatched event) send for one cell, in order. */
export function cellEvents(script: CellScript): CloudEventV1[] {
  const start = script.startMs ?? 0;
  const duration = script.durationMs ?? 1500;
  const base = { source: SUPERVISOR, cellId: script.cellId, specId: script.cellId, runId: `run-${script.cellId}` };
  const events: CloudEventV1[] = [];
  if (script.packId !== undefined) {
    events.push(cortexDispatchedEvent({ source: BRIDGE, time: at(start - 5), packId: script.packId, cellId: script.cellId, doctrineRefs: script.doctrineRefs ?? [] }));
  }
  events.push(lifecycleStartedEvent({ ...base, time: at(start) }));
  events.push(processSpawnedEvent({ ...base, time: at(start + 10), program: "node", argc: 2 }));
  if (script.outcome === undefined) return events;
  if (script.exitCode !== undefined) {
    events.push(commandCompletedEvent({ ...base, time: at(start + duration - 10), argv: ["node", "agent.mjs"], exitCode: script.exitCode, durationMs: duration - 20 }));
  }
  if (script.exportPath !== undefined) {
    events.push(exportV2CompletedEvent({ ...base, time: at(start + duration - 5), artifactName: "report", receipt: { targetKind: "local", destination: script.exportPath } }));
  }
  events.push(
    lifecycleDestroyedEvent({
      ...base,
      time: at(start + duration),
      outcome: script.outcome,
      ...(script.terminalState === undefined ? {} : { terminalState: script.terminalState }),
      ...(script.reason === undefined ? {} : { reason: script.reason }),
    }),
  );
  return events;
}
