import { CELLOS_API_VERSION, EXECUTION_CELL_KIND, cortexDispatchedEvent, validateExecutionCellDocument } from "@cellos-cortex/cellos-core";
import type { AuthorityBundle, EventSink, ExecutionCellDocument } from "@cellos-cortex/cellos-core";
import { DoctrineAuthorityPolicy } from "@cellos-cortex/doctrine";
import type { AuthorityPolicy, PolicyApplication } from "@cellos-cortex/doctrine";
import { CellResultTracker, JsonlTailSource, buildCellResult } from "@cellos-cortex/receiver";
import type { CellEventSource, CortexCellResult } from "@cellos-cortex/receiver";
import { BridgeError, describeError, isBridgeError } from "./bridge-error.js";
import { CellExportSpecSchema } from "./cell-exports.js";
import type { CellExportSpec } from "./cell-exports.js";
import { packToCellId } from "./cell-id.js";
import { parseCellSubmissionOutcome } from "./cell-submitter.js";
import type { CellSubmissionOutcome, CellSubmitter } from "./cell-submitter.js";
import { parseContextPack } from "./context-pack.js";
import type { ContextPack } from "./context-pack.js";
import { checkTimeoutMs, withDeadline } from "./deadline.js";
import { consoleLogger } from "./logger.js";
import type { BridgeLogger } from "./logger.js";
import { resultWaitError } from "./result-wait-error.js";
import { checkTtlSeconds, ttlSecondsFor } from "./ttl.js";

/** CloudEvent `source` of the events the runner emits (the seed's `CORTEX_EVENT_SOURCE`). */
export const CORTEX_EVENT_SOURCE = "cellos-cortex";

/**
 * The supervisor's JSONL event mirror (the seed's `CELL_OS_JSONL_EVENTS`).
 * Operator-trusted: the path is followed as given (no canonicalisation, no
 * symlink checks), as upstream.
 */
export const CELL_OS_JSONL_EVENTS_ENV = "CELL_OS_JSONL_EVENTS";

export const DEFAULT_TTL_SECONDS = 300;

/** How long past a cell's TTL a wait lasts by default: a cell cannot outlive its TTL, a supervisor may be slow to say so. */
export const RESULT_GRACE_MS = 30_000;

/** The recorded translation of a pack into a cell document (the seed's `ContextPackTranslation`). */
export interface ContextPackTranslation {
  readonly pack: ContextPack;
  readonly document: ExecutionCellDocument;
  /** What the doctrine policy did: the narrowed document, the doctrine ids applied with their changes, the unknown ids. */
  readonly policy: PolicyApplication;
}

/** What `dispatch` returns: the submitter's outcome plus the translation it came from. */
export type Dispatched = CellSubmissionOutcome & { readonly translation: ContextPackTranslation };

export interface CortexCellRunnerOptions {
  /** When set, a `cortex.v1.dispatched` event goes here after every successful submission (best-effort). */
  readonly eventSink?: EventSink;
  /** Default `cellos.io/v1`. */
  readonly apiVersion?: string;
  /** TTL of packs without an expiry, and the cap for those with one (default 300 s). */
  readonly defaultTtlSeconds?: number;
  /** Default `DoctrineAuthorityPolicy.builtin()`. */
  readonly policy?: AuthorityPolicy;
  /**
   * Where cell events are followed from when a submission captured none
   * (default: a `JsonlTailSource` on `$CELL_OS_JSONL_EVENTS`). The runner
   * reads it through one `CellResultTracker` it owns and closes.
   */
  readonly resultSource?: CellEventSource;
  /** A tracker shared with others (takes precedence over `resultSource`; not closed by the runner). */
  readonly resultTracker?: CellResultTracker;
  /** Authority every cell starts with, before doctrine narrows it (default `{}`: no egress, no secrets). */
  readonly authority?: AuthorityBundle;
  /**
   * `spec.export` of every cell: the files it hands back (for `LocalCellHost`,
   * `{artifacts: [{name, path}]}`). Doctrine may still deny exports.
   */
  readonly export?: CellExportSpec;
  /** Limit on the sink's `emit` of the dispatched event (default 5000 ms); past it the emit is logged as failed. */
  readonly sinkTimeoutMs?: number;
  readonly logger?: BridgeLogger;
  /** Clock in unix ms (default `Date.now`), for the TTL of expiring packs. */
  readonly now?: () => number;
  /** Where `CELL_OS_JSONL_EVENTS` is read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface DispatchOptions {
  readonly signal?: AbortSignal;
  /** Limit on the submission (default the cell's TTL + 30 s). */
  readonly timeoutMs?: number;
}

export interface WaitForResultOptions {
  /** Default the cell's TTL + 30 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface RunOptions {
  /** Limit on submission and wait together (default the cell's TTL + 30 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Turns Cortex context packs into CellOS ExecutionCell documents, narrows
 * their authority by doctrine, submits them, and follows each cell to its
 * result (the seed's `CortexCellRunner`, async throughout).
 */
export class CortexCellRunner {
  readonly submitter: CellSubmitter;
  readonly agentArgv: readonly string[];
  readonly apiVersion: string;
  readonly kind: string = EXECUTION_CELL_KIND;
  readonly defaultTtlSeconds: number;
  readonly policy: AuthorityPolicy;
  readonly #eventSink: EventSink | undefined;
  readonly #authority: AuthorityBundle;
  readonly #export: CellExportSpec | undefined;
  readonly #sinkTimeoutMs: number;
  readonly #logger: BridgeLogger;
  readonly #now: () => number;
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #resultSource: CellEventSource | undefined;
  readonly #sharedTracker: CellResultTracker | undefined;
  #ownTracker: CellResultTracker | undefined;
  #closed = false;

  constructor(submitter: CellSubmitter, agentArgv: readonly string[], options: CortexCellRunnerOptions = {}) {
    if (typeof submitter !== "object" || submitter === null || typeof (submitter as Partial<CellSubmitter>).submit !== "function") {
      throw new BridgeError("InvalidOptions", "CortexCellRunner needs a submitter with a submit(document, {signal}) method");
    }
    const argv: unknown = agentArgv;
    if (!Array.isArray(argv) || !argv.every((arg): arg is string => typeof arg === "string")) {
      throw new BridgeError("InvalidOptions", `CortexCellRunner agentArgv must be an array of strings, got ${JSON.stringify(agentArgv)}`);
    }
    const apiVersion = options.apiVersion ?? CELLOS_API_VERSION;
    if (typeof apiVersion !== "string" || apiVersion === "") throw new BridgeError("InvalidOptions", `CortexCellRunner apiVersion must be a non-empty string, got ${JSON.stringify(apiVersion)}`);
    this.submitter = submitter;
    this.agentArgv = Object.freeze([...argv]);
    this.apiVersion = apiVersion;
    this.defaultTtlSeconds = checkTtlSeconds(options.defaultTtlSeconds ?? DEFAULT_TTL_SECONDS, "defaultTtlSeconds");
    this.policy = options.policy ?? DoctrineAuthorityPolicy.builtin();
    this.#eventSink = options.eventSink;
    this.#authority = structuredClone(options.authority ?? {});
    this.#export = options.export === undefined ? undefined : checkExportSpec(options.export);
    this.#sinkTimeoutMs = checkTimeoutMs(options.sinkTimeoutMs, "sinkTimeoutMs") ?? 5000;
    this.#logger = options.logger ?? consoleLogger;
    this.#now = options.now ?? Date.now;
    this.#env = options.env ?? process.env;
    this.#resultSource = options.resultSource;
    this.#sharedTracker = options.resultTracker;
  }

  /**
   * The document a pack would run as, without submitting it: cell id from
   * `packToCellId`, `run.argv` = agent argv + task, TTL from `ttlSecondsFor`
   * (`run.timeoutMs` = TTL in ms), the base authority, then the doctrine
   * policy. The result passes `validateExecutionCellDocument`; otherwise
   * (e.g. a task too long for the argv limit) `BridgeError` `InvalidDocument`.
   */
  translate(pack: ContextPack): ContextPackTranslation {
    const checked = parseContextPack(pack);
    const cellId = packToCellId(checked);
    const ttlSeconds = ttlSecondsFor(checked, this.defaultTtlSeconds, this.#now());
    const base: ExecutionCellDocument = {
      // Any other value is refused by the validation below (the seed's `with_api_version` exists for newer supervisors).
      apiVersion: this.apiVersion as ExecutionCellDocument["apiVersion"],
      kind: this.kind as ExecutionCellDocument["kind"],
      spec: {
        id: cellId,
        run: { argv: [...this.agentArgv, checked.task], timeoutMs: ttlSeconds * 1000 },
        authority: structuredClone(this.#authority),
        lifetime: { ttlSeconds },
        ...(this.#export === undefined ? {} : { export: structuredClone(this.#export) }),
      },
    };
    let application: PolicyApplication;
    try {
      application = this.policy.apply(base, checked.doctrineRefs);
    } catch (error) {
      throw new BridgeError("InvalidDocument", `cell ${JSON.stringify(cellId)}: the doctrine policy refused the document: ${describeError(error)}`, { cellId, cause: error });
    }
    try {
      validateExecutionCellDocument(application.document);
    } catch (error) {
      throw new BridgeError("InvalidDocument", `cell ${JSON.stringify(cellId)}: the translated document is not valid: ${describeError(error)}`, { cellId, cause: error });
    }
    return { pack: checked, document: application.document, policy: application };
  }

  /**
   * Translates and submits a pack. After a successful submission, when an
   * event sink is set, emits one `cortex.v1.dispatched` event (source
   * `cellos-cortex`, data `packId` = the pack's memory digest, `cellId`,
   * `doctrineRefs`); a sink failure is logged and never fails the dispatch:
   * the cell is already submitted. A submitter that throws, rejects or
   * returns garbage gives a `BridgeError` (`Submit`, `InvalidOutcome`, or its
   * own); one that hangs is cut off by `signal` (`Aborted`) or `timeoutMs`
   * (`Timeout`).
   */
  async dispatch(pack: ContextPack, options: DispatchOptions = {}): Promise<Dispatched> {
    this.#checkOpen();
    const translation = this.translate(pack);
    const cellId = translation.document.spec.id;
    const timeoutMs = checkTimeoutMs(options.timeoutMs, "timeoutMs") ?? defaultWaitMs(translation);
    // Follow an explicit result source from before the submission, so a live source cannot miss the cell's events.
    if (this.#resultSource !== undefined) this.#tracker();
    let raw: unknown;
    try {
      raw = await withDeadline((signal) => this.submitter.submit(translation.document, { signal }), {
        signal: options.signal,
        timeoutMs,
        onTimeout: () => new BridgeError("Timeout", `submitting cell ${JSON.stringify(cellId)} took longer than ${timeoutMs} ms`, { cellId }),
        onAbort: (reason) => new BridgeError("Aborted", `dispatch of cell ${JSON.stringify(cellId)} was aborted`, { cellId, cause: reason }),
      });
    } catch (error) {
      if (isBridgeError(error)) throw error;
      throw new BridgeError("Submit", `submitting cell ${JSON.stringify(cellId)} failed: ${describeError(error)}`, { cellId, cause: error });
    }
    const outcome = parseCellSubmissionOutcome(raw, cellId);
    if (this.#eventSink !== undefined) await this.#emitDispatched(this.#eventSink, translation, outcome.cellId);
    return { ...outcome, translation };
  }

  /**
   * The cell's result. Fast path: the outcome already carries a destroyed
   * event (a synchronous submitter), built with no I/O. Otherwise the cell's
   * events are followed through the result tracker until its
   * `lifecycle.v1.destroyed` arrives. The pack's memory digest and doctrine
   * refs are threaded into the result (events do not carry them). Rejects
   * with `BridgeError`: `NoResultSource` (no inline events and no source),
   * `Timeout`, `Aborted`, `Closed`, `ResultSource`.
   */
  async waitForResult(dispatched: Dispatched, options: WaitForResultOptions = {}): Promise<CortexCellResult> {
    const { pack } = dispatched.translation;
    const cellId = dispatched.cellId;
    const context = { packId: pack.memoryDigest, doctrineRefs: pack.doctrineRefs };
    if (dispatched.lifecycleEvents.length > 0) {
      const result = buildCellResult(cellId, dispatched.lifecycleEvents, context);
      if (result !== undefined) return result;
    }
    this.#checkOpen();
    const timeoutMs = checkTimeoutMs(options.timeoutMs, "timeoutMs") ?? defaultWaitMs(dispatched.translation);
    const tracker = this.#tracker();
    if (tracker === undefined) {
      throw new BridgeError("NoResultSource", `wait_for_result: no in-memory lifecycle event captured and $${CELL_OS_JSONL_EVENTS_ENV} is unset — cannot observe cell result (cell_id=${cellId})`, { cellId });
    }
    try {
      return await tracker.waitFor(cellId, { timeoutMs, ...(options.signal === undefined ? {} : { signal: options.signal }), ...context });
    } catch (error) {
      throw resultWaitError(error, cellId, timeoutMs);
    }
  }

  /** `dispatch` then `waitForResult`, under one `timeoutMs` for both (default the cell's TTL + 30 s). */
  async run(pack: ContextPack, options: RunOptions = {}): Promise<CortexCellResult> {
    const started = performance.now();
    const timeoutMs = checkTimeoutMs(options.timeoutMs, "timeoutMs");
    const dispatched = await this.dispatch(pack, { ...(options.signal === undefined ? {} : { signal: options.signal }), ...(timeoutMs === undefined ? {} : { timeoutMs }) });
    const remaining = timeoutMs === undefined ? undefined : Math.max(0, timeoutMs - (performance.now() - started));
    return this.waitForResult(dispatched, { ...(options.signal === undefined ? {} : { signal: options.signal }), ...(remaining === undefined ? {} : { timeoutMs: remaining }) });
  }

  /** Stops the result tracker the runner owns (pending waits reject with `Closed`); later calls are refused. */
  async close(): Promise<void> {
    this.#closed = true;
    const tracker = this.#ownTracker;
    this.#ownTracker = undefined;
    await tracker?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw new BridgeError("Closed", "CortexCellRunner is closed");
  }

  /** The tracker results are awaited through: the shared one, else one over the result source or `$CELL_OS_JSONL_EVENTS`, created once. */
  #tracker(): CellResultTracker | undefined {
    if (this.#sharedTracker !== undefined) return this.#sharedTracker;
    if (this.#ownTracker !== undefined) return this.#ownTracker;
    let source = this.#resultSource;
    if (source === undefined) {
      const path = this.#env[CELL_OS_JSONL_EVENTS_ENV];
      if (path === undefined || path === "") return undefined;
      source = new JsonlTailSource({ path, fromStart: true });
    }
    this.#ownTracker = new CellResultTracker(source, { logger: this.#logger });
    return this.#ownTracker;
  }

  async #emitDispatched(sink: EventSink, translation: ContextPackTranslation, cellId: string): Promise<void> {
    try {
      const { pack, policy } = translation;
      const dispatched = cortexDispatchedEvent({
        source: CORTEX_EVENT_SOURCE,
        time: new Date(this.#now()).toISOString(),
        packId: pack.memoryDigest,
        cellId,
        doctrineRefs: [...pack.doctrineRefs],
      });
      // Beyond upstream's three fields (ADR 0023): what doctrine changed, so a
      // reader of the events (the dashboard, an auditor) sees why the cell has
      // the authority it has. JSON-copied: an absent `before` is left out.
      const event = {
        ...dispatched,
        data: { ...dispatched.data, applied: JSON.parse(JSON.stringify(policy.applied)) as unknown, unknownDoctrineIds: [...policy.unknownDoctrineIds] },
      };
      await withDeadline(() => sink.emit(event), {
        timeoutMs: this.#sinkTimeoutMs,
        onTimeout: () => new BridgeError("Timeout", `the event sink took longer than ${this.#sinkTimeoutMs} ms`, { cellId }),
        onAbort: (reason) => new BridgeError("Aborted", "aborted", { cellId, cause: reason }),
      });
    } catch (error) {
      this.#logger.warn("cortex_dispatched CloudEvent emit failed (best-effort, dispatch already succeeded)", { cellId, error: describeError(error) });
    }
  }
}

function defaultWaitMs(translation: ContextPackTranslation): number {
  return translation.document.spec.lifetime.ttlSeconds * 1000 + RESULT_GRACE_MS;
}

function checkExportSpec(value: unknown): CellExportSpec {
  const parsed = CellExportSpecSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `export.${issue.path.join(".")}: ${issue.message}`).join("; ");
  throw new BridgeError("InvalidOptions", `CortexCellRunner export is not a valid spec.export: ${problems}`, { cause: parsed.error });
}
