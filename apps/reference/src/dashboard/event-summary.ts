import { CellosEventType, cellosEventKeyOf, parseCellosEventData } from "@cellos-cortex/cellos-core";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import { exportPathOf } from "@cellos-cortex/receiver";

const CELL_EVENT_PREFIX = "dev.cellos.events.cell.";

/** `type` without the CellOS prefix: `lifecycle.v1.started`; other types unchanged. */
export function eventLabel(type: string): string {
  return type.startsWith(CELL_EVENT_PREFIX) ? type.slice(CELL_EVENT_PREFIX.length) : type;
}

function describeProblem(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * One line saying what a CellOS event says, for the timeline. Data that does
 * not match the event's schema is said to be so (with the problem) rather
 * than thrown: the dashboard shows what arrived.
 */
export function summarizeEvent(event: CloudEventV1): string {
  const key = cellosEventKeyOf(event.type);
  if (key === undefined) return `event ${event.type}`;
  try {
    switch (key) {
      case "lifecycleStarted": {
        const data = parseCellosEventData(key, event.data);
        const isolation = typeof data.isolation === "string" ? ` (isolation: ${data.isolation})` : "";
        return `cell started${isolation}`;
      }
      case "lifecycleDestroyed": {
        const data = parseCellosEventData(key, event.data);
        const terminal = data.terminalState ? `, ${data.terminalState}` : "";
        const reason = data.reason ? `: ${data.reason}` : "";
        return `destroyed, outcome ${data.outcome}${terminal}${reason}`;
      }
      case "lifecycleFailed":
        return `lifecycle failed: ${parseCellosEventData(key, event.data).reason}`;
      case "commandCompleted": {
        const data = parseCellosEventData(key, event.data);
        const spawn = data.spawnError ? ` (spawn error: ${data.spawnError})` : "";
        return `exit ${data.exitCode} after ${data.durationMs} ms: ${data.argv.join(" ")}${spawn}`;
      }
      case "exportV1Completed":
        return `exported → ${parseCellosEventData(key, event.data).destinationRelative}`;
      case "exportV2Completed": {
        const data = parseCellosEventData(key, event.data);
        return `exported ${data.artifactName ?? "artifact"} → ${exportPathOf(event) ?? "(no destination)"}`;
      }
      case "exportV2Failed": {
        const data = parseCellosEventData(key, event.data);
        return `export ${data.artifactName} to ${data.targetKind} failed: ${data.reason}`;
      }
      case "processSpawned": {
        const data = parseCellosEventData(key, event.data);
        return `spawned ${data.program} (${data.argc} args)`;
      }
      case "complianceSummary": {
        const data = parseCellosEventData(key, event.data);
        const secrets = typeof data.secretDeliveryMode === "string" ? data.secretDeliveryMode : JSON.stringify(data.secretDeliveryMode);
        return `compliance: ttl ${data.lifetimeTtlSeconds} s, ${data.egressRuleCount} egress rules, secrets ${secrets}`;
      }
      case "cortexDispatched": {
        const data = parseCellosEventData(key, event.data);
        const refs = data.doctrineRefs.length === 0 ? "no doctrine" : `doctrine ${data.doctrineRefs.join(", ")}`;
        return `dispatched pack ${data.packId} with ${refs}`;
      }
    }
  } catch (error) {
    return `${eventLabel(CellosEventType[key])} with unexpected data: ${describeProblem(error)}`;
  }
}
