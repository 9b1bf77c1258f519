import { CellosEventType } from "@cellos-cortex/cellos-core";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import * as z from "zod";
import { parseRfc3339ToUnixMs } from "./rfc3339.js";

/**
 * What happened to a cell, once it is destroyed (the seed's
 * `CortexCellResult`, camelCase).
 */
export const CortexCellResultSchema = z.object({
  cellId: z.string(),
  /** The dispatched pack's `memoryDigest` ("" when unknown). */
  packId: z.string(),
  /** `exitCode` of the cell's last `command.v1.completed`, else 0 on success and -1 otherwise. */
  exitCode: z.int().min(-2_147_483_648).max(2_147_483_647),
  /** The destroyed event's `data.outcome === "succeeded"`. */
  success: z.boolean(),
  /** The destroyed event's `time` as unix ms; 0 when absent or unparsable. */
  lifecycleDestroyedAt: z.int().min(0),
  /** Export destinations, in emission order. */
  exportPaths: z.array(z.string()),
  /** The dispatched pack's doctrine refs (events do not carry them). */
  doctrineRefs: z.array(z.string()),
});
export type CortexCellResult = z.infer<typeof CortexCellResultSchema>;

export interface CellResultContext {
  /** Default "" (the seed's standalone JSONL path). */
  packId?: string;
  /** Default [] (the seed's standalone JSONL path). */
  doctrineRefs?: readonly string[];
}

/** The types `buildCellResult` reads; every other event is irrelevant to a result. */
export const RESULT_EVENT_TYPES: ReadonlySet<string> = new Set([
  CellosEventType.lifecycleDestroyed,
  CellosEventType.commandCompleted,
  CellosEventType.exportV1Completed,
  CellosEventType.exportV2Completed,
]);

function objectField(value: unknown, key: string): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  return (value as Record<string, unknown>)[key];
}

function stringField(value: unknown, key: string): string | undefined {
  const field = objectField(value, key);
  return typeof field === "string" ? field : undefined;
}

/** `data.cellId` when it is a string (the seed's `event_data_cell_id`). */
export function eventCellId(event: CloudEventV1): string | undefined {
  return stringField(event.data, "cellId");
}

/**
 * serde_json's `as_i64()` then Rust's `as i32`: an integer within the i64
 * range, wrapped to 32 bits; anything else is `undefined`.
 */
function exitCodeOf(data: unknown): number | undefined {
  const value = objectField(data, "exitCode");
  if (typeof value !== "number" || !Number.isInteger(value)) return undefined;
  if (value < -9_223_372_036_854_775_808 || value >= 9_223_372_036_854_775_808) return undefined;
  return toInt32(value);
}

/** Two's-complement wrap to 32 bits of an integer-valued double, exact for any magnitude. */
function toInt32(value: number): number {
  if (Number.isSafeInteger(value)) return value | 0;
  return Number(BigInt.asIntN(32, BigInt(value)));
}

/** Export destination of an export event (v1 `destinationRelative`, v2 `receipt.destination` or `receipt.destinationRelative`). */
export function exportPathOf(event: CloudEventV1): string | undefined {
  const direct = stringField(event.data, "destinationRelative");
  if (direct !== undefined) return direct;
  const receipt = objectField(event.data, "receipt");
  if (receipt === undefined) return undefined;
  return stringField(receipt, "destination") ?? stringField(receipt, "destinationRelative");
}

/**
 * Builds a cell's result from events, with the seed's rules exactly:
 * - the cell is done when a `lifecycle.v1.destroyed` with `data.cellId ===
 *   cellId` is present (the last one counts); otherwise `undefined`;
 * - `success` ⇔ its `data.outcome === "succeeded"`;
 * - `exitCode` = `exitCode` of the last `command.v1.completed` of the cell
 *   (when that is an integer), else 0 on success and -1 otherwise;
 * - `lifecycleDestroyedAt` = its `time` as unix ms, 0 when absent or unparsable;
 * - `exportPaths` from every `export.v1.completed` / `export.v2.completed` of
 *   the cell, in order;
 * - events of other cells are ignored.
 */
export function buildCellResult(
  cellId: string,
  events: readonly CloudEventV1[],
  context: CellResultContext = {},
): CortexCellResult | undefined {
  let destroyed: CloudEventV1 | undefined;
  let lastCommand: CloudEventV1 | undefined;
  const exportPaths: string[] = [];
  for (const event of events) {
    const type = event.type;
    if (!RESULT_EVENT_TYPES.has(type) || eventCellId(event) !== cellId) continue;
    if (type === CellosEventType.lifecycleDestroyed) destroyed = event;
    else if (type === CellosEventType.commandCompleted) lastCommand = event;
    else {
      const path = exportPathOf(event);
      if (path !== undefined) exportPaths.push(path);
    }
  }
  if (destroyed === undefined) return undefined;
  const success = stringField(destroyed.data, "outcome") === "succeeded";
  const time = destroyed.time;
  const lifecycleDestroyedAt = typeof time === "string" ? (parseRfc3339ToUnixMs(time) ?? 0) : 0;
  const exitCode = (lastCommand === undefined ? undefined : exitCodeOf(lastCommand.data)) ?? (success ? 0 : -1);
  return {
    cellId,
    packId: context.packId ?? "",
    exitCode,
    success,
    lifecycleDestroyedAt,
    exportPaths,
    doctrineRefs: [...(context.doctrineRefs ?? [])],
  };
}
