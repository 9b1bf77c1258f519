/** Schema version of runtime observability records (`RunObservability.auditSchemaVersion`). */
export const RUNTIME_TRACE_SCHEMA_VERSION = 1;

/** Stable operation name of a child-agent runtime run, for routing and dashboards. */
export const RUNTIME_RUN_OPERATION = "runtime.run";

/** Default model id used until a caller wires a concrete backend model. */
export const DEFAULT_RUNTIME_MODEL = "cortex-runtime-v1";

/** Default wall-clock budget of one child-agent completion call, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** Default system prompt of a run (verbatim from crtx-runtime). */
export const DEFAULT_SYSTEM_PROMPT =
  "You are a Cortex child agent. Use the supplied ContextPack as declared context; do not infer hidden memory.";

/** Default domain tags copied onto the agent response event. */
export const DEFAULT_DOMAIN_TAGS: readonly string[] = Object.freeze(["runtime"]);

/** Claim text of the claim every run report is bounded by. */
export const RUN_CLAIM_TEXT = "development ledger run output";

/** Largest `maxTokens` a run may ask for (the Rust field is a `u32`). */
export const U32_MAX = 4_294_967_295;

/** Largest timeout a Node timer can wait (2^31 − 1 ms, about 24.8 days). */
export const MAX_TIMEOUT_MS = 2_147_483_647;
