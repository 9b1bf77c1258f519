import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import type { CortexEventTypeWire, EventSource } from "@cellos-cortex/cortex-core";

/** CloudEvent types of CellOS start with this (the seed's `dev.cellos.events.cell.<phase>.v<n>.<verb>`). */
export const CELLOS_EVENT_TYPE_PREFIX = "dev.cellos.events.";

/** The Cortex event type of CloudEvents that are not CellOS events (or whose family is not a snake_case word). */
export const CELLOS_UNCLASSIFIED_EVENT_TYPE: CortexEventTypeWire = "cortex.event.cellos_unclassified.v1";

const FAMILY = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

/**
 * The CellOS event family of a CloudEvent type (ADR-0024): the segment after
 * `dev.cellos.events.cell.` (or after `dev.cellos.events.` for events not
 * about one cell), e.g. `lifecycle`, `command`, `export`, `observability`,
 * `compliance`, `cortex`; `undefined` when the type is not a CellOS type or
 * the segment is not a snake_case word.
 */
export function cellosEventFamily(type: string): string | undefined {
  if (!type.startsWith(CELLOS_EVENT_TYPE_PREFIX)) return undefined;
  const segments = type.slice(CELLOS_EVENT_TYPE_PREFIX.length).split(".");
  const family = segments[0] === "cell" ? segments[1] : segments[0];
  return family !== undefined && FAMILY.test(family) ? family : undefined;
}

/**
 * The Cortex event type a CellOS CloudEvent is recorded as (ADR-0024): one
 * per family, `cortex.event.cellos_<family>.v1` (so
 * `dev.cellos.events.cell.lifecycle.v1.destroyed` →
 * `cortex.event.cellos_lifecycle.v1`); the verb and the CellOS version stay
 * in the payload, which is the CloudEvent itself.
 */
export function cortexEventTypeForCellos(type: string): CortexEventTypeWire {
  const family = cellosEventFamily(type);
  return family === undefined ? CELLOS_UNCLASSIFIED_EVENT_TYPE : (`cortex.event.cellos_${family}.v1` as CortexEventTypeWire);
}

/** The row's `source`: the CellOS emitter, as a Cortex `tool` named by the CloudEvent `source` (ADR-0024). */
export function cortexSourceForCellos(event: Pick<CloudEventV1, "source">): EventSource {
  return { type: "tool", name: event.source };
}

/** Domain tags of a row: `cellos` and `cellos.<family>` (`cellos.unclassified` when there is no family). */
export function domainTagsForCellos(type: string): string[] {
  return ["cellos", `cellos.${cellosEventFamily(type) ?? "unclassified"}`];
}
