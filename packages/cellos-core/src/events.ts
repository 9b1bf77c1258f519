import { randomUUID } from "node:crypto";
import type * as z from "zod";
import { CellosError, formatJsonPath, previewValue } from "./cellos-error.js";
import type { CellosProblem } from "./cellos-error.js";
import type { CloudEventV1 } from "./cloud-event.js";
import { CLOUDEVENTS_SPEC_VERSION } from "./constants.js";
import { CellosEventDataSchemas } from "./event-data.js";
import type { CellosEventData } from "./event-data.js";
import { CellosEventType } from "./event-types.js";
import type { CellosEventKey } from "./event-types.js";
import { parseWithSchema } from "./schema-parse.js";

/** Envelope fields a constructor takes besides the data fields. */
export interface EventEnvelopeInput {
  /** URI-reference of the emitter, e.g. `/cellos/supervisor/host-1`. */
  source: string;
  /** Defaults to a random UUID. */
  id?: string;
  /** RFC 3339; kept byte for byte. Defaults to now (UTC, milliseconds). */
  time?: string;
  subject?: string;
  /** W3C trace-context. */
  traceparent?: string;
}

type KnownKeys<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };
type WithoutNull<T> = { [K in keyof T]: Exclude<T[K], null> };

/** The data fields a constructor takes for event `K` (absent optionals are omitted from `data`). */
export type CellosEventDataInput<K extends CellosEventKey> = WithoutNull<KnownKeys<z.input<(typeof CellosEventDataSchemas)[K]>>>;

/** The one flat object a `<key>Event` constructor takes. */
export type CellosEventInput<K extends CellosEventKey> = EventEnvelopeInput & CellosEventDataInput<K>;

/** A CloudEventV1 whose `type` and `data` are those of event `K`. */
export type CellosEvent<K extends CellosEventKey> = CloudEventV1 & {
  type: (typeof CellosEventType)[K];
  datacontenttype: "application/json";
  time: string;
  data: CellosEventData[K];
};

/** RFC 3339 date-time (`T` or `t`, `Z`/`z` or a numeric offset, optional fraction). */
export const RFC3339_PATTERN = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

function envelopeProblems(input: Record<string, unknown>): CellosProblem[] {
  const problems: CellosProblem[] = [];
  const problem = (key: string, message: string): void => {
    problems.push({ path: formatJsonPath([key]), segments: [key], message });
  };
  if (typeof input.source !== "string" || input.source === "") problem("source", "must be a non-empty string");
  for (const key of ["id", "subject", "traceparent"] as const) {
    const value = input[key];
    if (value !== undefined && (typeof value !== "string" || value === "")) problem(key, "must be a non-empty string when given");
  }
  const time = input.time;
  if (time !== undefined && (typeof time !== "string" || !RFC3339_PATTERN.test(time))) problem("time", "must be an RFC 3339 date-time string when given");
  return problems;
}

function assertEventKey(key: unknown): asserts key is CellosEventKey {
  if (typeof key !== "string" || !Object.hasOwn(CellosEventDataSchemas, key)) {
    throw new CellosError("InvalidSpec", `unknown event key ${previewValue(key)}; expected one of ${Object.keys(CellosEventDataSchemas).join(", ")}`);
  }
}

/**
 * Builds the CloudEvent for event `key` from one flat object: envelope fields
 * (`source`, optional `id`, `time`, `subject`, `traceparent`) and the data
 * fields. Fills `specversion: "1.0"`, `id` (random UUID), `time` (now, RFC
 * 3339) and `datacontenttype: "application/json"`; a given `time` is kept byte
 * for byte. Throws `CellosError` `InvalidSpec` listing every bad field.
 */
export function buildCellosEvent<K extends CellosEventKey>(key: K, input: CellosEventInput<K>): CellosEvent<K> {
  assertEventKey(key);
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw CellosError.invalidSpec([{ path: formatJsonPath([]), segments: [], message: `expected an object of event fields, got ${previewValue(input)}` }]);
  }
  const fields = input as unknown as Record<string, unknown>;
  const schema = CellosEventDataSchemas[key];
  const data: Record<string, unknown> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = fields[name];
    if (value !== undefined && value !== null) data[name] = value;
  }
  const problems = envelopeProblems(fields);
  const parsed = parseWithSchema(schema, data);
  if (!parsed.success) problems.push(...parsed.error.problems);
  if (problems.length > 0 || !parsed.success) throw CellosError.invalidSpec(problems);

  // Key order follows upstream `CloudEventV1` field order.
  const event: Record<string, unknown> = {
    specversion: CLOUDEVENTS_SPEC_VERSION,
    id: input.id ?? randomUUID(),
    source: input.source,
    type: CellosEventType[key],
    datacontenttype: "application/json",
    // The parsed copy: later changes to the caller's arrays/objects do not reach the event.
    data: parsed.data,
    time: input.time ?? new Date().toISOString(),
  };
  if (input.traceparent !== undefined) event.traceparent = input.traceparent;
  if (input.subject !== undefined) event.subject = input.subject;
  return event as CellosEvent<K>;
}

/** `dev.cellos.events.cell.lifecycle.v1.started`. */
export function lifecycleStartedEvent(input: CellosEventInput<"lifecycleStarted">): CellosEvent<"lifecycleStarted"> {
  return buildCellosEvent("lifecycleStarted", input);
}

/** `dev.cellos.events.cell.lifecycle.v1.destroyed` (`outcome`, `terminalState?`, `reason?`; never an exit code). */
export function lifecycleDestroyedEvent(input: CellosEventInput<"lifecycleDestroyed">): CellosEvent<"lifecycleDestroyed"> {
  return buildCellosEvent("lifecycleDestroyed", input);
}

/** `dev.cellos.events.cell.lifecycle.v1.failed`. */
export function lifecycleFailedEvent(input: CellosEventInput<"lifecycleFailed">): CellosEvent<"lifecycleFailed"> {
  return buildCellosEvent("lifecycleFailed", input);
}

/** `dev.cellos.events.cell.command.v1.completed` (`argv`, `exitCode`, `durationMs`, `spawnError?`). */
export function commandCompletedEvent(input: CellosEventInput<"commandCompleted">): CellosEvent<"commandCompleted"> {
  return buildCellosEvent("commandCompleted", input);
}

/** `dev.cellos.events.cell.export.v1.completed` (`destinationRelative`). */
export function exportV1CompletedEvent(input: CellosEventInput<"exportV1Completed">): CellosEvent<"exportV1Completed"> {
  return buildCellosEvent("exportV1Completed", input);
}

/** `dev.cellos.events.cell.export.v2.completed` (`receipt` with `destination?`/`destinationRelative?`). */
export function exportV2CompletedEvent(input: CellosEventInput<"exportV2Completed">): CellosEvent<"exportV2Completed"> {
  return buildCellosEvent("exportV2Completed", input);
}

/** `dev.cellos.events.cell.export.v2.failed`. */
export function exportV2FailedEvent(input: CellosEventInput<"exportV2Failed">): CellosEvent<"exportV2Failed"> {
  return buildCellosEvent("exportV2Failed", input);
}

/** `dev.cellos.events.cell.observability.v1.process_spawned` (`program`, `argc`). */
export function processSpawnedEvent(input: CellosEventInput<"processSpawned">): CellosEvent<"processSpawned"> {
  return buildCellosEvent("processSpawned", input);
}

/** `dev.cellos.events.cell.compliance.v1.summary`. */
export function complianceSummaryEvent(input: CellosEventInput<"complianceSummary">): CellosEvent<"complianceSummary"> {
  return buildCellosEvent("complianceSummary", input);
}

/** `dev.cellos.events.cell.cortex.v1.dispatched` (`packId`, `cellId`, `doctrineRefs`). */
export function cortexDispatchedEvent(input: CellosEventInput<"cortexDispatched">): CellosEvent<"cortexDispatched"> {
  return buildCellosEvent("cortexDispatched", input);
}

/**
 * Reads the `data` of a received event as event `key`'s data (unknown keys
 * kept). Throws `CellosError` `InvalidSpec` listing every problem, paths
 * starting at `data`.
 */
export function parseCellosEventData<K extends CellosEventKey>(key: K, data: unknown): CellosEventData[K] {
  assertEventKey(key);
  const parsed = parseWithSchema(CellosEventDataSchemas[key], data, ["data"]);
  if (!parsed.success) throw parsed.error;
  return parsed.data as CellosEventData[K];
}

/** `true` when `event.type` is event `key`'s type (checks the type only, not the data). */
export function isCellosEvent<K extends CellosEventKey>(event: CloudEventV1, key: K): event is CloudEventV1 & { type: (typeof CellosEventType)[K] } {
  return event.type === CellosEventType[key];
}
