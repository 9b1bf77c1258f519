import * as z from "zod";
import { contextPackFromWire, contextPackToWire, payloadHash } from "@cellos-cortex/cortex-core";
import type { ContextPack as CortexContextPack, ContextPackWire as CortexContextPackWire } from "@cellos-cortex/cortex-core";
import { BridgeError } from "./bridge-error.js";

/**
 * The bridge's slim context pack: what a Cortex pack is reduced to when it
 * crosses into CellOS (the seed's `cellos_cortex::context::ContextPack`).
 *
 * - `memoryDigest`: opaque to CellOS (BLAKE3 hex is Cortex's canonical
 *   choice); it is the pack id of the dispatched event and of the result.
 * - `doctrineRefs`: the doctrine ids the authority policy narrows by.
 * - `task`: appended to the agent's argv as its last argument.
 * - `expiresAt`: optional expiry, unix milliseconds; caps the cell's TTL.
 */
export const ContextPackSchema = z.strictObject({
  memoryDigest: z.string(),
  doctrineRefs: z.array(z.string()),
  task: z.string(),
  expiresAt: z.int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});
export type ContextPack = z.infer<typeof ContextPackSchema>;

/** The seed's `ContextPack::new(task)`: empty digest, no doctrine refs, no expiry (plus any fields given). */
export function createContextPack(task: string, fields: Partial<Omit<ContextPack, "task">> = {}): ContextPack {
  return parseContextPack({ memoryDigest: "", doctrineRefs: [], ...fields, task });
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length === 0 ? "(root)" : issue.path.map(String).join(".")}: ${issue.message}`)
    .join("; ");
}

/** Checks an untrusted value as a slim pack; throws `BridgeError` `InvalidPack` listing every problem. */
export function parseContextPack(value: unknown): ContextPack {
  const parsed = ContextPackSchema.safeParse(value);
  if (!parsed.success) throw new BridgeError("InvalidPack", `invalid context pack: ${describeIssues(parsed.error)}`, { cause: parsed.error });
  return parsed.data;
}

/**
 * The slim pack's JSON form as the Rust crate writes it (serde defaults:
 * snake_case keys, `expires_at` unix ms or `null`).
 */
export const ContextPackWireSchema = z.looseObject({
  memory_digest: z.string(),
  doctrine_refs: z.array(z.string()),
  task: z.string(),
  expires_at: z.int().min(0).max(Number.MAX_SAFE_INTEGER).nullish(),
});
export type ContextPackWire = z.infer<typeof ContextPackWireSchema>;

/** The snake_case JSON object of a slim pack (`expires_at: null` when there is no expiry). */
export function slimContextPackToWire(pack: ContextPack): ContextPackWire {
  const checked = parseContextPack(pack);
  return {
    memory_digest: checked.memoryDigest,
    doctrine_refs: [...checked.doctrineRefs],
    task: checked.task,
    expires_at: checked.expiresAt ?? null,
  };
}

/** Reads a slim pack from its snake_case JSON (an object or JSON text); throws `InvalidPack`. */
export function slimContextPackFromWire(json: unknown): ContextPack {
  let input = json;
  if (typeof json === "string") {
    try {
      input = JSON.parse(json) as unknown;
    } catch (error) {
      throw new BridgeError("InvalidPack", `context pack JSON does not parse: ${(error as Error).message}`, { cause: error });
    }
  }
  const parsed = ContextPackWireSchema.safeParse(input);
  if (!parsed.success) throw new BridgeError("InvalidPack", `invalid context pack JSON: ${describeIssues(parsed.error)}`, { cause: parsed.error });
  const wire = parsed.data;
  return {
    memoryDigest: wire.memory_digest,
    doctrineRefs: wire.doctrine_refs,
    task: wire.task,
    ...(wire.expires_at === undefined || wire.expires_at === null ? {} : { expiresAt: wire.expires_at }),
  };
}

export interface ContextPackFromCortexOptions {
  /** Expiry to give the slim pack (unix ms); Cortex packs carry none. */
  readonly expiresAt?: number;
  /** Use this digest instead of hashing the pack. */
  readonly memoryDigest?: string;
}

/**
 * Projects a full Cortex context pack (cortex-core's camelCase `ContextPack`,
 * or its snake_case wire JSON as an object or text) onto the slim pack
 * (ADR-0023): `task` → `task`; `activeDoctrineIds` → `doctrineRefs`, in
 * order; `memoryDigest` = BLAKE3 hex of the canonical JSON of the pack's wire
 * form, so the same pack always gets the same digest (and so the same cell-id
 * prefix) and any change to what the agent is given changes it; no expiry
 * unless given. Throws `BridgeError` `InvalidPack` when the pack is malformed.
 */
export async function contextPackFromCortex(cortexPack: CortexContextPack | ContextPackWireInput | string, options: ContextPackFromCortexOptions = {}): Promise<ContextPack> {
  let wire: CortexContextPackWire;
  try {
    wire = isWireForm(cortexPack) ? contextPackToWire(contextPackFromWire(cortexPack)) : contextPackToWire(cortexPack);
  } catch (error) {
    throw new BridgeError("InvalidPack", `not a Cortex context pack: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const memoryDigest = options.memoryDigest ?? (await payloadHash(wire));
  return parseContextPack({
    memoryDigest,
    doctrineRefs: [...wire.active_doctrine_ids],
    task: wire.task,
    ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
  });
}

/** Cortex pack JSON as read from a file or the wire (snake_case keys). */
export type ContextPackWireInput = Record<string, unknown>;

function isWireForm(value: unknown): value is ContextPackWireInput | string {
  return typeof value === "string" || (typeof value === "object" && value !== null && "context_pack_id" in value);
}
