import { z } from "zod";
import { JsonValueSchema } from "./canonical-json.js";
import { CortexCoreError, describeValue } from "./errors.js";
import { EventIdSchema, PrefixedIdSchema } from "./ids.js";
import { describeIssues, parseJsonText } from "./json-text.js";

/*
 * A full Cortex context pack (cortex_context::ContextPack). Fields FOUND
 * upstream are required and typed; fields of sub-structures NOT FOUND
 * upstream are typed when present and every member we do not model is kept
 * verbatim (wire name and value), so a pack survives fromWire → toWire
 * byte-identical under canonicalJson (ADR 0008).
 */

const SNAKE = "[a-z][a-z0-9]*(?:_[a-z0-9]+)*";

export const PackModeSchema = z.enum(["external", "operator"]);
export const ContentRedactionSchema = z.enum(["abstracted", "full"]);
export const RawEventPayloadPolicySchema = z.enum(["excluded", "operator_opt_in"]);
export const ExclusionReasonSchema = z.enum([
  "contradiction",
  "staleness",
  "scope_mismatch",
  "token_budget",
  "redaction_policy",
  "current_intent",
  "other",
]);
/** Sensitivity variants are NOT FOUND upstream: any snake_case string is accepted. */
export const SensitivitySchema = z.string().regex(new RegExp(`^${SNAKE}$`), "expected a snake_case sensitivity");

export type PackMode = z.infer<typeof PackModeSchema>;
export type ContentRedaction = z.infer<typeof ContentRedactionSchema>;
export type RawEventPayloadPolicy = z.infer<typeof RawEventPayloadPolicySchema>;
export type ExclusionReason = z.infer<typeof ExclusionReasonSchema>;
export type Sensitivity = z.infer<typeof SensitivitySchema>;

const u16 = z.number().int().min(0).max(65_535);
const usize = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Members we do not model: any JSON, kept as is. */
const extra = JsonValueSchema;

export const RedactionPolicyWireSchema = z.looseObject({
  policy_id: z.string(),
  policy_version: u16,
  content: ContentRedactionSchema,
  raw_event_payloads: RawEventPayloadPolicySchema,
}).catchall(extra);

/** `{"kind":"memory","memory_id":…}` | `{"kind":"principle","principle_id":…}` | `{"kind":"event","event_id":…}` */
export const ContextRefIdWireSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("memory"), memory_id: PrefixedIdSchema }),
  z.strictObject({ kind: z.literal("principle"), principle_id: PrefixedIdSchema }),
  z.strictObject({ kind: z.literal("event"), event_id: EventIdSchema }),
]);

export const SelectedContextRefWireSchema = z.looseObject({ ref_id: ContextRefIdWireSchema.optional() }).catchall(extra);

export const PackConflictWireSchema = z.looseObject({}).catchall(extra);

export const PackExclusionWireSchema = z.looseObject({
  ref_id: ContextRefIdWireSchema.optional(),
  reason: ExclusionReasonSchema.optional(),
  rationale: z.string().optional(),
  sensitivity: SensitivitySchema.optional(),
}).catchall(extra);

export const IncludedAuditEntryWireSchema = z.looseObject({
  ref_id: ContextRefIdWireSchema,
  rule_id: z.string(),
  reason: z.string(),
  sensitivity: SensitivitySchema,
}).catchall(extra);

export const ExcludedAuditEntryWireSchema = z.looseObject({
  ref_id: ContextRefIdWireSchema.optional(),
  rule_id: z.string().optional(),
  reason: z.string().optional(),
  sensitivity: SensitivitySchema.optional(),
}).catchall(extra);

export const SelectionAuditWireSchema = z.looseObject({
  included: z.array(IncludedAuditEntryWireSchema).optional(),
  excluded: z.array(ExcludedAuditEntryWireSchema).optional(),
}).catchall(extra);

/** Cortex's snake_case pack JSON; the ten FOUND fields are required. */
export const ContextPackWireSchema = z.looseObject({
  context_pack_id: PrefixedIdSchema,
  task: z.string(),
  max_tokens: usize,
  pack_mode: PackModeSchema,
  redaction_policy: RedactionPolicyWireSchema,
  selected_refs: z.array(SelectedContextRefWireSchema),
  active_doctrine_ids: z.array(PrefixedIdSchema),
  conflicts: z.array(PackConflictWireSchema),
  exclusions: z.array(PackExclusionWireSchema),
  selection_audit: SelectionAuditWireSchema,
}).catchall(extra);

// ------------------------------------------------------------ camelCase types

type SnakeToCamel<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<SnakeToCamel<Tail>>}` : S;
/** Deep snake_case → camelCase of modeled member names (unmodeled members keep their wire names). */
export type Camelize<T> = T extends readonly (infer U)[]
  ? Camelize<U>[]
  : T extends object
    ? { [K in keyof T as K extends string ? SnakeToCamel<K> : K]: Camelize<T[K]> }
    : T;

export type ContextPackWire = z.infer<typeof ContextPackWireSchema>;
export type RedactionPolicyWire = z.infer<typeof RedactionPolicyWireSchema>;
export type ContextRefIdWire = z.infer<typeof ContextRefIdWireSchema>;

export type ContextPack = Camelize<ContextPackWire>;
export type RedactionPolicy = Camelize<RedactionPolicyWire>;
export type ContextRefId = Camelize<ContextRefIdWire>;
export type SelectedContextRef = Camelize<z.infer<typeof SelectedContextRefWireSchema>>;
export type PackConflict = Camelize<z.infer<typeof PackConflictWireSchema>>;
export type PackExclusion = Camelize<z.infer<typeof PackExclusionWireSchema>>;
export type IncludedAuditEntry = Camelize<z.infer<typeof IncludedAuditEntryWireSchema>>;
export type ExcludedAuditEntry = Camelize<z.infer<typeof ExcludedAuditEntryWireSchema>>;
export type SelectionAudit = Camelize<z.infer<typeof SelectionAuditWireSchema>>;

// ------------------------------------------------------------ key mapping

/** How a value's member names map between the wire and TypeScript. */
type Shape =
  | "leaf"
  | { array: Shape }
  | { struct: Record<string, Shape> }
  | { tagged: string; variants: Record<string, Record<string, Shape>> };

const contextRefId: Shape = {
  tagged: "kind",
  variants: { memory: { memory_id: "leaf" }, principle: { principle_id: "leaf" }, event: { event_id: "leaf" } },
};

const packShape: Shape = {
  struct: {
    context_pack_id: "leaf",
    task: "leaf",
    max_tokens: "leaf",
    pack_mode: "leaf",
    redaction_policy: {
      struct: { policy_id: "leaf", policy_version: "leaf", content: "leaf", raw_event_payloads: "leaf" },
    },
    selected_refs: { array: { struct: { ref_id: contextRefId } } },
    active_doctrine_ids: { array: "leaf" },
    conflicts: { array: { struct: {} } },
    exclusions: {
      array: { struct: { ref_id: contextRefId, reason: "leaf", rationale: "leaf", sensitivity: "leaf" } },
    },
    selection_audit: {
      struct: {
        included: {
          array: { struct: { ref_id: contextRefId, rule_id: "leaf", reason: "leaf", sensitivity: "leaf" } },
        },
        excluded: {
          array: { struct: { ref_id: contextRefId, rule_id: "leaf", reason: "leaf", sensitivity: "leaf" } },
        },
      },
    },
  },
};

export function snakeToCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_match, char: string) => char.toUpperCase());
}

type Direction = "toTs" | "toWire";

function rename(fields: Record<string, Shape>, value: unknown, direction: Direction, path: string): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value; // zod reports it
  const byInput = new Map<string, { output: string; shape: Shape }>();
  for (const [wire, shape] of Object.entries(fields)) {
    const ts = snakeToCamel(wire);
    byInput.set(direction === "toTs" ? wire : ts, { output: direction === "toTs" ? ts : wire, shape });
  }
  const reserved = new Set([...byInput.values()].map((entry) => entry.output));
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
    const known = byInput.get(key);
    if (known !== undefined) {
      out[known.output] = convert(known.shape, member, direction, `${path}.${key}`);
    } else if (reserved.has(key) && !byInput.has(key)) {
      // e.g. a wire member literally named `refId` next to the modeled `ref_id`.
      throw new CortexCoreError(
        "InvalidContextPack",
        `context pack member ${path}.${key} collides with the ${direction === "toTs" ? "camelCase" : "wire"} name of a modeled field`,
      );
    } else if (key === "__proto__") {
      // A JSON member of that name is data; plain assignment would set the prototype.
      Object.defineProperty(out, key, { value: member, enumerable: true, writable: true, configurable: true });
    } else {
      out[key] = member; // unmodeled: kept verbatim
    }
  }
  return out;
}

function convert(shape: Shape, value: unknown, direction: Direction, path: string): unknown {
  if (shape === "leaf") return value;
  if ("array" in shape) {
    return Array.isArray(value) ? value.map((item, i) => convert(shape.array, item, direction, `${path}[${i}]`)) : value;
  }
  if ("struct" in shape) return rename(shape.struct, value, direction, path);
  if (typeof value !== "object" || value === null) return value;
  const tag = (value as Record<string, unknown>)[shape.tagged];
  const variant = typeof tag === "string" && Object.hasOwn(shape.variants, tag) ? shape.variants[tag] : undefined;
  return variant === undefined ? value : rename({ [shape.tagged]: "leaf", ...variant }, value, direction, path);
}

/**
 * Validates the wire form and returns it as is. zod's parsed copy is not
 * used: it drops members named `__proto__`, and a pack must survive intact.
 */
function wireOrThrow(wire: unknown, original: unknown): ContextPackWire {
  const parsed = ContextPackWireSchema.safeParse(wire);
  if (!parsed.success) {
    throw new CortexCoreError("InvalidContextPack", `invalid Cortex context pack ${describeValue(original)}: ${describeIssues(parsed.error)}`);
  }
  return wire as ContextPackWire;
}

/**
 * Reads a Cortex context pack from its snake_case JSON (an object or JSON
 * text) into camelCase. Throws `CortexCoreError` (`InvalidContextPack`)
 * listing the problems.
 */
export function contextPackFromWire(json: unknown): ContextPack {
  const input = typeof json === "string" ? parseJsonText(json, "InvalidContextPack", "context pack") : json;
  const wire = wireOrThrow(input, input);
  return convert(packShape, wire, "toTs", "$") as ContextPack;
}

/**
 * The snake_case JSON object of a pack. `canonicalJson(contextPackToWire(
 * contextPackFromWire(json)))` equals `canonicalJson(json)`. Throws
 * `CortexCoreError` (`InvalidContextPack`) when the pack is malformed.
 */
export function contextPackToWire(pack: ContextPack): ContextPackWire {
  const wire = convert(packShape, pack, "toWire", "$");
  return wireOrThrow(wire, pack);
}
