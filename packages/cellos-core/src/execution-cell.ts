import * as z from "zod";
import { encodedArgvBytes } from "./argv-encoding.js";
import { argvTooLargeMessage } from "./cellos-error.js";
import { ARGV_KERNEL_CMDLINE_LIMIT_BYTES, CELL_ID_PATTERN, CELLOS_API_VERSION, EXECUTION_CELL_KIND } from "./constants.js";

// Every object is loose: keys we do not model are kept as they came, so a
// document survives parse → serialize unchanged. Optional fields accept an
// explicit `null` and keep it (ADR-0004); what we build ourselves omits them.

/** Lone UTF-16 surrogates cannot be encoded as UTF-8 (nor read by serde_json). */
const nonEmptyString = () => z.string().min(1, { error: "must be a non-empty string" });

const LONE_SURROGATE = /\p{Cs}/u;

/** `spec.correlation`: every field optional (Seam Freeze v1). */
export const CorrelationSchema = z.looseObject({
  platform: z.string().nullish(),
  externalRunId: z.string().nullish(),
  externalJobId: z.string().nullish(),
  tenantId: z.string().nullish(),
  labels: z.record(z.string(), z.string()).nullish(),
  correlationId: z.string().nullish(),
}).describe("Who and what the cell runs for: runner platform, external ids, tenant, labels, cross-tool correlation id.");
export type Correlation = z.infer<typeof CorrelationSchema>;

/** `spec.placement`. */
export const PlacementSchema = z.looseObject({
  poolId: z.string().nullish(),
  kubernetesNamespace: z.string().nullish(),
  queueName: z.string().nullish(),
}).describe("Where the cell may run: pool, Kubernetes namespace, queue.");
export type Placement = z.infer<typeof PlacementSchema>;

/** Upstream `SecretDeliveryMode`: one of three strings, or (unmodelled) an object form. */
export const SecretDeliveryModeSchema = z.union([z.enum(["env", "runtimeBroker", "runtimeLeasedBroker"]), z.record(z.string(), z.unknown())], {
  error: 'expected "env", "runtimeBroker", "runtimeLeasedBroker" or an object',
});
export type SecretDeliveryMode = z.infer<typeof SecretDeliveryModeSchema>;

/** `spec.run.argv`: non-empty, strings, a non-empty program, UTF-8 encodable, base64 of the JSON ≤ 3072 bytes. */
export const ArgvSchema = z
  .array(z.string())
  .min(1, { error: "must be a non-empty array of strings" })
  .superRefine((argv, ctx) => {
    if (argv[0] === "") ctx.addIssue({ code: "custom", path: [0], input: argv[0], message: "the program (argv[0]) must be a non-empty string" });
    argv.forEach((arg, index) => {
      if (LONE_SURROGATE.test(arg)) ctx.addIssue({ code: "custom", path: [index], input: arg, message: "contains a lone UTF-16 surrogate (not encodable as UTF-8)" });
    });
    const encodedBytes = encodedArgvBytes(argv);
    if (encodedBytes > ARGV_KERNEL_CMDLINE_LIMIT_BYTES) {
      ctx.addIssue({
        code: "custom",
        message: argvTooLargeMessage(encodedBytes, ARGV_KERNEL_CMDLINE_LIMIT_BYTES),
        params: { cellosKind: "ArgvTooLarge", encodedBytes, limitBytes: ARGV_KERNEL_CMDLINE_LIMIT_BYTES },
      });
    }
  });

/** `spec.run.limits`: sub-fields unknown upstream, kept as given. */
export const RunLimitsSchema = z.looseObject({});
export type RunLimits = z.infer<typeof RunLimitsSchema>;

/** `spec.run`. */
export const RunSpecSchema = z.looseObject({
  argv: ArgvSchema,
  workingDirectory: z.string().nullish(),
  timeoutMs: z.int().min(0, { error: "must be an integer ≥ 0" }).nullish(),
  limits: RunLimitsSchema.nullish(),
  secretDelivery: SecretDeliveryModeSchema.nullish(),
}).describe("The command the cell runs (argv, no shell).");
export type RunSpec = z.infer<typeof RunSpecSchema>;

/** `spec.lifetime`. */
export const LifetimeSchema = z.looseObject({
  ttlSeconds: z.int().min(1, { error: "must be an integer ≥ 1" }),
}).describe("How long the cell may live, in seconds (≥ 1).");
export type Lifetime = z.infer<typeof LifetimeSchema>;

/** One allowed egress destination. */
export const EgressRuleSchema = z.looseObject({
  host: nonEmptyString(),
  port: z.int().min(1, { error: "must be an integer in 1–65535" }).max(65535, { error: "must be an integer in 1–65535" }),
  protocol: z.string().nullish(),
}).describe("One allowed egress destination: host and port 1–65535.");
export type EgressRule = z.infer<typeof EgressRuleSchema>;

/** `authority.filesystem`. */
export const FilesystemAuthoritySchema = z.looseObject({
  readOnly: z.boolean().nullish(),
  writablePaths: z.array(z.string()).nullish(),
});
export type FilesystemAuthority = z.infer<typeof FilesystemAuthoritySchema>;

/** `authority.exports`. */
export const ExportsAuthoritySchema = z.looseObject({
  allowed: z.boolean(),
});
export type ExportsAuthority = z.infer<typeof ExportsAuthoritySchema>;

/**
 * `spec.authority`, our model of upstream `AuthorityBundle` (ADR-0003).
 * Absent or empty `egressRules` = no egress; absent `secretRefs` = no secrets.
 */
export const AuthorityBundleSchema = z.looseObject({
  egressRules: z.array(EgressRuleSchema).nullish(),
  secretRefs: z.array(z.string()).nullish(),
  filesystem: FilesystemAuthoritySchema.nullish(),
  exports: ExportsAuthoritySchema.nullish(),
  capabilities: z.array(z.string()).nullish(),
}).describe("What the cell may do. Absent or empty egressRules = no egress; absent secretRefs = no secrets.");
export type AuthorityBundle = z.infer<typeof AuthorityBundleSchema>;

/** `spec`. */
export const ExecutionCellSpecSchema = z.looseObject({
  id: z.string().regex(CELL_ID_PATTERN, { error: "must match [A-Za-z0-9._-]{1,128}" }),
  correlation: CorrelationSchema.nullish(),
  ingress: z.unknown().optional(),
  environment: z.unknown().optional(),
  placement: PlacementSchema.nullish(),
  policy: z.unknown().optional(),
  identity: z.unknown().optional(),
  run: RunSpecSchema.nullish(),
  authority: AuthorityBundleSchema,
  lifetime: LifetimeSchema,
  export: z.unknown().optional(),
  telemetry: z.unknown().optional(),
}).describe("The ExecutionCell spec. Fields not modelled here are kept as given.");
export type ExecutionCellSpec = z.infer<typeof ExecutionCellSpecSchema>;

/** An ExecutionCell document: `{apiVersion: "cellos.io/v1", kind: "ExecutionCell", spec}`. */
export const ExecutionCellDocumentSchema = z.looseObject({
  apiVersion: z
    .string()
    .refine((v) => v === CELLOS_API_VERSION, { error: `must be "${CELLOS_API_VERSION}"` })
    .meta({ const: CELLOS_API_VERSION }),
  kind: z
    .string()
    .refine((v) => v === EXECUTION_CELL_KIND, { error: `must be "${EXECUTION_CELL_KIND}"` })
    .meta({ const: EXECUTION_CELL_KIND }),
  spec: ExecutionCellSpecSchema,
}).describe("A CellOS ExecutionCell document (apiVersion cellos.io/v1).");
export type ExecutionCellDocument = z.infer<typeof ExecutionCellDocumentSchema>;
/** What {@link ExecutionCellDocumentSchema} accepts (identical to the output: no defaults, no transforms). */
export type ExecutionCellDocumentInput = z.input<typeof ExecutionCellDocumentSchema>;
