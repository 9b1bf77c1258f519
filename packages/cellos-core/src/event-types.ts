/** The CloudEvent `type` strings of the CellOS events this package models. */
export const CellosEventType = {
  lifecycleStarted: "dev.cellos.events.cell.lifecycle.v1.started",
  lifecycleDestroyed: "dev.cellos.events.cell.lifecycle.v1.destroyed",
  lifecycleFailed: "dev.cellos.events.cell.lifecycle.v1.failed",
  commandCompleted: "dev.cellos.events.cell.command.v1.completed",
  exportV1Completed: "dev.cellos.events.cell.export.v1.completed",
  exportV2Completed: "dev.cellos.events.cell.export.v2.completed",
  exportV2Failed: "dev.cellos.events.cell.export.v2.failed",
  processSpawned: "dev.cellos.events.cell.observability.v1.process_spawned",
  complianceSummary: "dev.cellos.events.cell.compliance.v1.summary",
  cortexDispatched: "dev.cellos.events.cell.cortex.v1.dispatched",
} as const;

/** A key of {@link CellosEventType}, e.g. `"lifecycleDestroyed"`. */
export type CellosEventKey = keyof typeof CellosEventType;

/** One of the wire strings of {@link CellosEventType}. */
export type CellosEventType = (typeof CellosEventType)[CellosEventKey];

const KEY_BY_TYPE = new Map<string, CellosEventKey>(
  (Object.entries(CellosEventType) as [CellosEventKey, CellosEventType][]).map(([key, type]) => [type, key]),
);

/** The {@link CellosEventType} key of a wire type string, or `undefined` for a type we do not model. */
export function cellosEventKeyOf(type: string): CellosEventKey | undefined {
  return KEY_BY_TYPE.get(type);
}
