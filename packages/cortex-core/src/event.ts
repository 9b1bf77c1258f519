import { z } from "zod";
import { JsonValueSchema, type JsonValue } from "./canonical-json.js";
import { CortexCoreError, describeValue } from "./errors.js";
import { describeIssues, parseJsonText } from "./json-text.js";
import { EventIdSchema, PrefixedIdSchema, newEventId, type EventId, type PrefixedId } from "./ids.js";

/**
 * Current event schema version (crtx-core 0.1.1, ADR 0018 "schema v2 atomic
 * cutover"). Forward-only: events with a higher version are rejected.
 */
export const SCHEMA_VERSION = 2;

/** The 13 wire fields of a Cortex event, in BUILD_SPEC §9.1 order. */
export const CORTEX_EVENT_WIRE_FIELDS = [
  "id",
  "schema_version",
  "observed_at",
  "recorded_at",
  "source",
  "event_type",
  "trace_id",
  "session_id",
  "domain_tags",
  "payload",
  "payload_hash",
  "prev_event_hash",
  "event_hash",
] as const;

// ---------------------------------------------------------------- sources

/** `type` tags of `EventSource` (serde internally tagged, snake_case; ADR 0006). */
export const EVENT_SOURCE_TYPES = [
  "user",
  "child_agent",
  "tool",
  "runtime",
  "external_outcome",
  "manual_correction",
] as const;

/** Who produced an event. Same shape in TypeScript and on the wire. */
export const EventSourceSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("user") }),
  z.strictObject({ type: z.literal("child_agent"), model: z.string() }),
  z.strictObject({ type: z.literal("tool"), name: z.string() }),
  z.strictObject({ type: z.literal("runtime") }),
  z.strictObject({ type: z.literal("external_outcome") }),
  z.strictObject({ type: z.literal("manual_correction") }),
]);
export type EventSource = z.infer<typeof EventSourceSchema>;
export type EventSourceType = EventSource["type"];

// ---------------------------------------------------------------- types

/** Wire form of an event type: `cortex.event.<snake_case>.v<N>`. */
export type CortexEventTypeWire = `cortex.event.${string}.v${number}`;

const EVENT_TYPE_RE = /^cortex\.event\.[a-z][a-z0-9]*(?:_[a-z0-9]+)*\.v[1-9][0-9]*$/;

/**
 * Known event types. `userMessage` is FOUND upstream; the others are
 * INFERRED (ADR 0006). Any string of the form `cortex.event.<snake>.v<N>` is
 * accepted on the wire.
 */
export const CortexEventType = {
  userMessage: "cortex.event.user_message.v1",
  agentResponse: "cortex.event.agent_response.v1",
  toolResult: "cortex.event.tool_result.v1",
  externalOutcome: "cortex.event.external_outcome.v1",
  manualCorrection: "cortex.event.manual_correction.v1",
} as const satisfies Record<string, CortexEventTypeWire>;
export type KnownCortexEventType = (typeof CortexEventType)[keyof typeof CortexEventType];

export const CortexEventTypeSchema = z.custom<CortexEventTypeWire>(
  (value) => typeof value === "string" && EVENT_TYPE_RE.test(value),
  { error: (issue) => `event type ${describeValue(issue.input)} is not cortex.event.<snake_case>.v<N>` },
);

/** Builds `cortex.event.<snakeName>.v<version>`; throws `InvalidEvent` on a bad name or version. */
export function eventTypeWire(snakeName: string, version = 1): CortexEventTypeWire {
  const wire = `cortex.event.${snakeName}.v${version}`;
  if (!Number.isSafeInteger(version) || !EVENT_TYPE_RE.test(wire)) {
    throw new CortexCoreError("InvalidEvent", `event type name ${describeValue(snakeName)} / version ${describeValue(version)} do not form cortex.event.<snake_case>.v<N>`);
  }
  return wire as CortexEventTypeWire;
}

// ---------------------------------------------------------------- envelope

const HashHexSchema = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex characters");
const MaybeHashSchema = z.union([z.literal(""), HashHexSchema]);
const TimestampSchema = z.iso.datetime({ offset: true });
const SchemaVersionSchema = z
  .number()
  .int()
  .min(1)
  .max(SCHEMA_VERSION, `schema version above ${SCHEMA_VERSION} is from a newer Cortex and is refused (forward-only)`);

function sealStateProblem(payloadHash: string, prevEventHash: string | null, eventHash: string): string | undefined {
  if (payloadHash === "" && (eventHash !== "" || prevEventHash !== null)) {
    return "an unsealed event (empty payload hash) must have an empty event hash and a null previous hash";
  }
  if (payloadHash !== "" && eventHash === "") return "a payload hash without an event hash (half-sealed event)";
  return undefined;
}

/** The camelCase event as TypeScript code handles it. */
export const CortexEventSchema = z
  .strictObject({
    id: EventIdSchema,
    schemaVersion: SchemaVersionSchema,
    observedAt: TimestampSchema,
    recordedAt: TimestampSchema,
    source: EventSourceSchema,
    eventType: CortexEventTypeSchema,
    traceId: PrefixedIdSchema.nullable(),
    sessionId: z.string().nullable(),
    domainTags: z.array(z.string()),
    payload: JsonValueSchema,
    payloadHash: MaybeHashSchema,
    prevEventHash: HashHexSchema.nullable(),
    eventHash: MaybeHashSchema,
  })
  .superRefine((event, ctx) => {
    const problem = sealStateProblem(event.payloadHash, event.prevEventHash, event.eventHash);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem, path: ["eventHash"] });
  });

/**
 * A Cortex event. Unsealed events have `payloadHash: ""`, `eventHash: ""` and
 * `prevEventHash: null`; `sealEvent` fills them.
 */
export interface CortexEvent {
  id: EventId;
  schemaVersion: number;
  /** RFC 3339 timestamp, kept verbatim (chrono writes `…Z` with 0–9 fraction digits). */
  observedAt: string;
  recordedAt: string;
  source: EventSource;
  eventType: CortexEventTypeWire;
  traceId: PrefixedId | null;
  sessionId: string | null;
  domainTags: string[];
  payload: JsonValue;
  payloadHash: string;
  prevEventHash: string | null;
  eventHash: string;
}

/** The snake_case wire form, 13 fields in wire order. */
export const CortexEventWireSchema = z
  .strictObject({
    id: EventIdSchema,
    schema_version: SchemaVersionSchema,
    observed_at: TimestampSchema,
    recorded_at: TimestampSchema,
    source: EventSourceSchema,
    event_type: CortexEventTypeSchema,
    // serde reads a missing Option field as None; we write null.
    trace_id: PrefixedIdSchema.nullable().optional(),
    session_id: z.string().nullable().optional(),
    domain_tags: z.array(z.string()),
    payload: JsonValueSchema,
    payload_hash: MaybeHashSchema,
    prev_event_hash: HashHexSchema.nullable().optional(),
    event_hash: MaybeHashSchema,
  })
  .superRefine((event, ctx) => {
    const problem = sealStateProblem(event.payload_hash, event.prev_event_hash ?? null, event.event_hash);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem, path: ["event_hash"] });
  });

export interface CortexEventWire {
  id: EventId;
  schema_version: number;
  observed_at: string;
  recorded_at: string;
  source: EventSource;
  event_type: CortexEventTypeWire;
  trace_id: PrefixedId | null;
  session_id: string | null;
  domain_tags: string[];
  payload: JsonValue;
  payload_hash: string;
  prev_event_hash: string | null;
  event_hash: string;
}

/** The snake_case wire object of an event, keys in wire order (ready for `JSON.stringify`). */
export function cortexEventToWire(event: CortexEvent): CortexEventWire {
  const checked = validateCortexEvent(event);
  return {
    id: checked.id,
    schema_version: checked.schemaVersion,
    observed_at: checked.observedAt,
    recorded_at: checked.recordedAt,
    source: checked.source,
    event_type: checked.eventType,
    trace_id: checked.traceId,
    session_id: checked.sessionId,
    domain_tags: checked.domainTags,
    payload: checked.payload,
    payload_hash: checked.payloadHash,
    prev_event_hash: checked.prevEventHash,
    event_hash: checked.eventHash,
  };
}

/**
 * Reads an event from its snake_case wire form (an object or JSON text).
 * Throws `CortexCoreError` (`InvalidEvent`) listing every problem. Does not
 * check hashes: use `verifiedCortexEventFromWire` or `verifyChain` for that.
 */
export function cortexEventFromWire(json: unknown): CortexEvent {
  const input = typeof json === "string" ? parseJsonText(json, "InvalidEvent", "event") : json;
  const parsed = CortexEventWireSchema.safeParse(input);
  if (!parsed.success) {
    throw new CortexCoreError("InvalidEvent", `invalid Cortex event ${describeValue(input)}: ${describeIssues(parsed.error)}`);
  }
  const wire = parsed.data;
  return {
    id: wire.id,
    schemaVersion: wire.schema_version,
    observedAt: wire.observed_at,
    recordedAt: wire.recorded_at,
    source: wire.source,
    eventType: wire.event_type,
    traceId: wire.trace_id ?? null,
    sessionId: wire.session_id ?? null,
    domainTags: wire.domain_tags,
    payload: wire.payload,
    payloadHash: wire.payload_hash,
    prevEventHash: wire.prev_event_hash ?? null,
    eventHash: wire.event_hash,
  };
}

/** Checks a camelCase event against the schema; returns it or throws `CortexCoreError` (`InvalidEvent`). */
export function validateCortexEvent(event: unknown): CortexEvent {
  const parsed = CortexEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new CortexCoreError("InvalidEvent", `invalid Cortex event ${describeValue(event)}: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

export interface CreateCortexEventInput {
  eventType: CortexEventTypeWire;
  source: EventSource;
  payload: JsonValue;
  id?: EventId;
  /** Defaults to now (`Date#toISOString`). */
  observedAt?: string;
  /** Defaults to `observedAt`. */
  recordedAt?: string;
  traceId?: PrefixedId | null;
  sessionId?: string | null;
  domainTags?: string[];
}

/** A new unsealed event (`schemaVersion = SCHEMA_VERSION`, empty hashes), validated. */
export function createCortexEvent(input: CreateCortexEventInput): CortexEvent {
  const observedAt = input.observedAt ?? new Date().toISOString();
  return validateCortexEvent({
    id: input.id ?? newEventId(),
    schemaVersion: SCHEMA_VERSION,
    observedAt,
    recordedAt: input.recordedAt ?? observedAt,
    source: input.source,
    eventType: input.eventType,
    traceId: input.traceId ?? null,
    sessionId: input.sessionId ?? null,
    domainTags: input.domainTags ?? [],
    payload: input.payload,
    payloadHash: "",
    prevEventHash: null,
    eventHash: "",
  });
}
