import { commandCompletedEvent, lifecycleDestroyedEvent, lifecycleStartedEvent } from "@cellos-cortex/cellos-core";
import type { CloudEventV1, EventSink, ExecutionCellDocument } from "@cellos-cortex/cellos-core";
import { BridgeError, describeError } from "./bridge-error.js";
import type { CellSubmissionOutcome, CellSubmitter, SubmitOptions } from "./cell-submitter.js";

/** Where a `MemorySubmitter` puts the lifecycle events it makes up for each cell. */
export type MemoryLifecycleMode = "none" | "inline" | "sink";

export interface MemorySubmitterOptions {
  /** Exit code every cell "ends" with (default 0); non-zero makes the destroyed outcome `failed`. */
  readonly exitCode?: number;
  /**
   * `none` (default): no events, `exitCode` in the outcome (the seed's
   * capturing submitter). `inline`: started, command completed and destroyed
   * returned in `lifecycleEvents` (a synchronous submitter). `sink`: the same
   * three events emitted to `eventSink` and an empty `lifecycleEvents` (a
   * fire-and-forget submitter whose events arrive through a result source).
   */
  readonly lifecycleEvents?: MemoryLifecycleMode;
  /** Required for `lifecycleEvents: "sink"`. */
  readonly eventSink?: EventSink;
  /** CloudEvent `source` of the made-up events (default `cellos-cortex/memory-submitter`). */
  readonly source?: string;
}

/**
 * An in-process submitter for tests: records every document in `documents`
 * (in submission order), echoes `document.spec.id` as the cell id, and can
 * make up the lifecycle events a supervisor would send.
 */
export class MemorySubmitter implements CellSubmitter {
  readonly documents: ExecutionCellDocument[] = [];
  readonly #exitCode: number;
  readonly #mode: MemoryLifecycleMode;
  readonly #sink: EventSink | undefined;
  readonly #source: string;

  constructor(options: MemorySubmitterOptions = {}) {
    const exitCode = options.exitCode ?? 0;
    if (!Number.isInteger(exitCode)) throw new BridgeError("InvalidOptions", `MemorySubmitter exitCode must be an integer, got ${String(exitCode)}`);
    const mode = options.lifecycleEvents ?? "none";
    if (!["none", "inline", "sink"].includes(mode)) throw new BridgeError("InvalidOptions", `MemorySubmitter lifecycleEvents must be "none", "inline" or "sink", got ${JSON.stringify(mode)}`);
    if (mode === "sink" && options.eventSink === undefined) throw new BridgeError("InvalidOptions", `MemorySubmitter lifecycleEvents "sink" needs an eventSink`);
    this.#exitCode = exitCode;
    this.#mode = mode;
    this.#sink = options.eventSink;
    this.#source = options.source ?? "cellos-cortex/memory-submitter";
  }

  async submit(document: ExecutionCellDocument, options: SubmitOptions = {}): Promise<CellSubmissionOutcome> {
    const cellId = document.spec.id;
    if (options.signal?.aborted) throw new BridgeError("Aborted", `submission of cell ${JSON.stringify(cellId)} was aborted`, { cellId, cause: options.signal.reason });
    this.documents.push(structuredClone(document));
    if (this.#mode === "none") return { cellId, exitCode: this.#exitCode, lifecycleEvents: [] };
    const events = this.#lifecycle(document);
    if (this.#mode === "inline") return { cellId, exitCode: this.#exitCode, lifecycleEvents: events };
    const sink = this.#sink;
    if (sink === undefined) throw new BridgeError("InvalidOptions", "MemorySubmitter has no eventSink");
    for (const event of events) {
      try {
        await sink.emit(event);
      } catch (error) {
        throw new BridgeError("Submit", `MemorySubmitter could not emit ${event.type} for cell ${JSON.stringify(cellId)}: ${describeError(error)}`, { cellId, cause: error });
      }
    }
    return { cellId, lifecycleEvents: [] };
  }

  #lifecycle(document: ExecutionCellDocument): CloudEventV1[] {
    const cellId = document.spec.id;
    const base = { source: this.#source, cellId, specId: document.spec.id };
    return [
      lifecycleStartedEvent(base),
      commandCompletedEvent({ ...base, argv: document.spec.run?.argv ?? [], exitCode: this.#exitCode, durationMs: 0 }),
      lifecycleDestroyedEvent({ ...base, outcome: this.#exitCode === 0 ? "succeeded" : "failed", terminalState: "clean" }),
    ];
  }
}
