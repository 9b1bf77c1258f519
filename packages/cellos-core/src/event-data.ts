import * as z from "zod";
import { CorrelationSchema, PlacementSchema, SecretDeliveryModeSchema } from "./execution-cell.js";
import type { CellosEventKey } from "./event-types.js";

// Data schemas read what a supervisor sends (loose: unknown keys kept,
// `null` accepted for optionals) and check what our constructors build, which
// always omit absent optionals (ADR-0004).

/** Keys every per-cell event data carries. */
const cellKeys = {
  cellId: z.string().min(1, { error: "must be a non-empty string" }),
  specId: z.string().min(1, { error: "must be a non-empty string" }),
  runId: z.string().nullish(),
};

/** Upstream `LifecycleDestroyOutcome` (`rename_all = "lowercase"`). */
export const LifecycleDestroyOutcomeSchema = z.enum(["succeeded", "failed"]);
export type LifecycleDestroyOutcome = z.infer<typeof LifecycleDestroyOutcomeSchema>;

/** Upstream `LifecycleTerminalState`. */
export const LifecycleTerminalStateSchema = z.enum(["clean", "forced"]);
export type LifecycleTerminalState = z.infer<typeof LifecycleTerminalStateSchema>;

/** Known `LifecycleReason` codes; any other string is `Other(String)` verbatim. */
export const LIFECYCLE_REASONS = ["oom", "ttl_exceeded", "vmm_crashed", "boot_failed", "signal_killed", "init_crashed", "kernel_cannot_mount_root"] as const;
export type KnownLifecycleReason = (typeof LIFECYCLE_REASONS)[number];
/** A `LifecycleReason` wire value: a known snake_case code or free text. */
export const LifecycleReasonSchema = z.string().min(1, { error: "must be a non-empty string" });

/** `lifecycle.v1.started` data. */
export const LifecycleStartedDataSchema = z.looseObject({ ...cellKeys });
export type LifecycleStartedData = z.infer<typeof LifecycleStartedDataSchema>;

/** `lifecycle.v1.destroyed` data: no `exitCode` (upstream FC-23); the destroy time is the envelope `time`. */
export const LifecycleDestroyedDataSchema = z.looseObject({
  ...cellKeys,
  outcome: LifecycleDestroyOutcomeSchema,
  terminalState: LifecycleTerminalStateSchema.nullish(),
  reason: LifecycleReasonSchema.nullish(),
});
export type LifecycleDestroyedData = z.infer<typeof LifecycleDestroyedDataSchema>;

/** `lifecycle.v1.failed` data. */
export const LifecycleFailedDataSchema = z.looseObject({
  ...cellKeys,
  reason: LifecycleReasonSchema,
});
export type LifecycleFailedData = z.infer<typeof LifecycleFailedDataSchema>;

/** `command.v1.completed` data: the one event carrying an authenticated exit code. */
export const CommandCompletedDataSchema = z.looseObject({
  ...cellKeys,
  argv: z.array(z.string()),
  exitCode: z.int().min(-2147483648).max(2147483647),
  durationMs: z.int().min(0, { error: "must be an integer ≥ 0" }),
  spawnError: z.string().nullish(),
});
export type CommandCompletedData = z.infer<typeof CommandCompletedDataSchema>;

/** `export.v1.completed` data. */
export const ExportV1CompletedDataSchema = z.looseObject({
  ...cellKeys,
  artifactName: z.string().nullish(),
  destinationRelative: z.string(),
});
export type ExportV1CompletedData = z.infer<typeof ExportV1CompletedDataSchema>;

/** Upstream `ExportReceipt` as carried by `export.v2.completed` (other receipt keys kept). */
export const ExportReceiptSchema = z.looseObject({
  targetKind: z.string().nullish(),
  targetName: z.string().nullish(),
  destination: z.string().nullish(),
  destinationRelative: z.string().nullish(),
});
export type ExportReceipt = z.infer<typeof ExportReceiptSchema>;

/** Pointer to the parent envelope (`cell.lifecycle.v1.started`); shape kept as given. */
export const ProvenanceSchema = z.looseObject({});
export type Provenance = z.infer<typeof ProvenanceSchema>;

/** `export.v2.completed` data. */
export const ExportV2CompletedDataSchema = z.looseObject({
  ...cellKeys,
  artifactName: z.string().nullish(),
  receipt: ExportReceiptSchema,
  provenance: ProvenanceSchema.nullish(),
});
export type ExportV2CompletedData = z.infer<typeof ExportV2CompletedDataSchema>;

/** `export.v2.failed` data (`export_failed_data_v2`). */
export const ExportV2FailedDataSchema = z.looseObject({
  ...cellKeys,
  artifactName: z.string(),
  targetKind: z.string(),
  targetName: z.string().nullish(),
  destination: z.string().nullish(),
  reason: z.string(),
  provenance: ProvenanceSchema.nullish(),
});
export type ExportV2FailedData = z.infer<typeof ExportV2FailedDataSchema>;

/** `observability.v1.process_spawned` data. */
export const ProcessSpawnedDataSchema = z.looseObject({
  ...cellKeys,
  program: z.string(),
  argc: z.int().min(0, { error: "must be an integer ≥ 0" }),
});
export type ProcessSpawnedData = z.infer<typeof ProcessSpawnedDataSchema>;

/** `compliance.v1.summary` data (Seam Freeze v1). */
export const ComplianceSummaryDataSchema = z.looseObject({
  ...cellKeys,
  lifetimeTtlSeconds: z.int().min(0, { error: "must be an integer ≥ 0" }),
  egressRuleCount: z.int().min(0, { error: "must be an integer ≥ 0" }),
  secretDeliveryMode: SecretDeliveryModeSchema,
  policyPackId: z.string().nullish(),
  policyPackVersion: z.string().nullish(),
  policyBundleDigest: z.string().nullish(),
  placement: PlacementSchema.nullish(),
  commandExitCode: z.int().nullish(),
  correlation: CorrelationSchema.nullish(),
});
export type ComplianceSummaryData = z.infer<typeof ComplianceSummaryDataSchema>;

/** `cortex.v1.dispatched` data (`cortex_dispatched_data_v1`). */
export const CortexDispatchedDataSchema = z.looseObject({
  packId: z.string(),
  cellId: z.string().min(1, { error: "must be a non-empty string" }),
  doctrineRefs: z.array(z.string()),
});
export type CortexDispatchedData = z.infer<typeof CortexDispatchedDataSchema>;

/** The data schema of each event, by {@link CellosEventType} key. */
export const CellosEventDataSchemas = {
  lifecycleStarted: LifecycleStartedDataSchema,
  lifecycleDestroyed: LifecycleDestroyedDataSchema,
  lifecycleFailed: LifecycleFailedDataSchema,
  commandCompleted: CommandCompletedDataSchema,
  exportV1Completed: ExportV1CompletedDataSchema,
  exportV2Completed: ExportV2CompletedDataSchema,
  exportV2Failed: ExportV2FailedDataSchema,
  processSpawned: ProcessSpawnedDataSchema,
  complianceSummary: ComplianceSummaryDataSchema,
  cortexDispatched: CortexDispatchedDataSchema,
} as const satisfies Record<CellosEventKey, z.ZodObject>;

/** The `data` type of each event, by key. */
export type CellosEventData = { [K in CellosEventKey]: z.infer<(typeof CellosEventDataSchemas)[K]> };
