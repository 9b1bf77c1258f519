import {
  CorrelationIdSchema,
  RuntimeModeSchema,
  canonicalJson,
  contextPackFromWire,
  contextPackToWire,
  newCorrelationId,
  type ContextPack,
} from "@cellos-cortex/cortex-core";
import type { LlmRequest } from "@cellos-cortex/llm";
import { z } from "zod";
import {
  DEFAULT_DOMAIN_TAGS,
  DEFAULT_RUNTIME_MODEL,
  DEFAULT_SYSTEM_PROMPT,
  DEFAULT_TIMEOUT_MS,
  MAX_TIMEOUT_MS,
  U32_MAX,
} from "./constants.js";
import { describeValue } from "./describe-value.js";
import { RuntimeError } from "./runtime-error.js";

/**
 * A child-agent run request (`cortex_runtime::Run`). The shape is checked by
 * this schema; the seed's four semantic checks are `validateRun`'s.
 */
export const RunSchema = z.strictObject({
  /** Cross-trace correlation id of the run's observability records (`cor_<ULID>`). */
  correlationId: CorrelationIdSchema,
  /** Operator task for the child agent; must equal the pack's task. */
  task: z.string(),
  /** Auditable context pack supplied to the child agent (checked in full by `contextPackToWire`). */
  pack: z.custom<ContextPack>((value) => typeof value === "object" && value !== null && !Array.isArray(value), {
    error: "pack must be a Cortex context pack object",
  }),
  /** Model requested from the adapter. */
  model: z.string(),
  /** System prompt supplied to the adapter. */
  system: z.string(),
  /** Sampling temperature (passed through verbatim). */
  temperature: z.number().min(0),
  /** Completion token cap, a u32 (0 is caught by `validateRun`). */
  maxTokens: z.int().min(0).max(U32_MAX),
  /** Wall-clock budget of the adapter call, in ms. */
  timeoutMs: z.int().min(1).max(MAX_TIMEOUT_MS),
  /** Session id copied onto the agent response event. */
  sessionId: z.string().nullable(),
  /** Domain tags copied onto the agent response event. */
  domainTags: z.array(z.string()),
  /**
   * Runtime mode bounding the run (ADR 0037 weakest link). Callers using a
   * remote backend must say `remote_unsigned`; `executeRun` also lowers it to
   * the adapter's own mode (ADR 0025).
   */
  runtimeMode: RuntimeModeSchema,
});

/** A run request. Runs made by `createRun` and returned by `validateRun` are deeply frozen. */
export type Run = Readonly<z.infer<typeof RunSchema>>;

/** What `createRun` takes: the task and the pack, and any field of `Run` to override a default. */
export type CreateRunInput = { task: string; pack: ContextPack } & Partial<Omit<z.infer<typeof RunSchema>, "task" | "pack">>;

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

function issuesOf(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join(".") : "(run)"}: ${issue.message}`).join("; ");
}

/** The pack, checked against Cortex's pack schema; a normalized copy when `copy`. */
function checkPack(pack: ContextPack, copy: boolean): ContextPack {
  try {
    const wire = contextPackToWire(pack);
    return copy ? contextPackFromWire(wire) : pack;
  } catch (error) {
    throw RuntimeError.validation(`invalid context pack: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}

/**
 * Runs whose shape this module checked and deep-froze: they cannot have
 * changed since, so they are not parsed again.
 */
const checkedRuns = new WeakSet<Run>();

/**
 * Checks the shape of a run. Returns a deeply frozen copy, or `value` itself
 * when it is already a frozen run (so `validateRun(createRun(...))` is the
 * same object). Throws `RuntimeError` (`Validation`) listing every problem.
 */
function checkRunShape(value: unknown): Run {
  if (checkedRuns.has(value as Run)) return value as Run;
  const parsed = RunSchema.safeParse(value);
  if (!parsed.success) throw RuntimeError.validation(`invalid run: ${issuesOf(parsed.error)}`, parsed.error);
  // zod copies arrays, so frozenness is read from the input itself.
  const frozen = isDeeplyFrozen(value);
  const pack = checkPack(parsed.data.pack, !frozen);
  const run = frozen ? (value as Run) : deepFreeze({ ...parsed.data, pack });
  checkedRuns.add(run);
  return run;
}

function isDeeplyFrozen(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeeplyFrozen);
}

/**
 * A run with the seed's defaults (`Run::new`): model `cortex-runtime-v1`, the
 * Cortex child-agent system prompt, temperature 0, `maxTokens` from the pack,
 * timeout 30 000 ms, no session, domain tags `["runtime"]`, runtime mode
 * `local_unsigned` and a fresh `cor_` correlation id; `overrides` replace any
 * of them. Throws `RuntimeError` (`Validation`) when the pack's `maxTokens`
 * exceeds u32::MAX or a field has the wrong shape. Does not run the semantic
 * checks: call `validateRun` (or `executeRun`, which does).
 */
export function createRun(input: CreateRunInput): Run {
  if (typeof input !== "object" || (input as unknown) === null) {
    throw RuntimeError.validation(`createRun expects {task, pack, ...overrides}, got ${describeValue(input)}`);
  }
  const { task, pack, ...given } = input;
  // An override given as `undefined` (from JavaScript) keeps the default.
  const overrides = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)) as typeof given;
  const packMaxTokens = checkPack(pack, false).maxTokens;
  if (overrides.maxTokens === undefined && packMaxTokens > U32_MAX) {
    throw RuntimeError.validation(`context pack max_tokens ${packMaxTokens} exceeds u32::MAX`);
  }
  return checkRunShape({
    correlationId: newCorrelationId(),
    task,
    pack,
    model: DEFAULT_RUNTIME_MODEL,
    system: DEFAULT_SYSTEM_PROMPT,
    temperature: 0,
    maxTokens: packMaxTokens,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    sessionId: null,
    domainTags: [...DEFAULT_DOMAIN_TAGS],
    runtimeMode: "local_unsigned",
    ...overrides,
  });
}

/**
 * The seed's four checks, in its order and with its messages, after a shape
 * check: the task is not blank; it equals the pack's task; the model is not
 * blank; `maxTokens` is not 0. Returns the run (a deeply frozen copy when it
 * was not frozen); throws `RuntimeError` (`Validation`).
 */
export function validateRun(run: Run): Run {
  const valid = checkRunShape(run);
  if (valid.task.trim() === "") throw RuntimeError.validation("runtime task must not be empty");
  if (valid.pack.task !== valid.task) {
    throw RuntimeError.validation(`runtime task \`${valid.task}\` does not match context pack task \`${valid.pack.task}\``);
  }
  if (valid.model.trim() === "") throw RuntimeError.validation("runtime model must not be empty");
  if (valid.maxTokens === 0) throw RuntimeError.validation("runtime max_tokens must be greater than zero");
  return valid;
}

/** The user message of each checked (immutable) run, built once. */
const userMessages = new WeakMap<Run, string>();

/**
 * The adapter request of a run (`Run::llm_request`): one user message whose
 * content is the JSON `{"context_pack", "context_pack_id", "task"}` — the pack
 * in its snake_case wire form, keys sorted and no whitespace, as serde_json
 * prints a `json!` value — and no response schema.
 */
export function llmRequestFor(run: Run): LlmRequest {
  let content = checkedRuns.has(run) ? userMessages.get(run) : undefined;
  if (content === undefined) {
    content = canonicalJson({
      task: run.task,
      context_pack_id: run.pack.contextPackId,
      context_pack: contextPackToWire(run.pack),
    });
    if (checkedRuns.has(run)) userMessages.set(run, content);
  }
  return {
    model: run.model,
    system: run.system,
    messages: [
      { role: "user", content },
    ],
    temperature: run.temperature,
    maxTokens: run.maxTokens,
    timeoutMs: run.timeoutMs,
  };
}
