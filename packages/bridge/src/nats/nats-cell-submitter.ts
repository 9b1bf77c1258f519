import { validateExecutionCellDocument } from "@cellos-cortex/cellos-core";
import type { ExecutionCellDocument } from "@cellos-cortex/cellos-core";
import { isReceiverError } from "@cellos-cortex/receiver";
import { NatsLink, checkMillis, checkName, publishUntilAcked } from "@cellos-cortex/receiver/nats";
import type { EnsuredStream, NatsConnectionOptions } from "@cellos-cortex/receiver/nats";
import { jetstreamManager } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { BridgeError, describeError } from "../bridge-error.js";
import type { CellSubmissionOutcome, CellSubmitter, SubmitOptions } from "../cell-submitter.js";
import { consoleLogger } from "../logger.js";
import type { BridgeLogger } from "../logger.js";
import { DEFAULT_CELL_DUPLICATE_WINDOW_MS, DEFAULT_CELL_STREAM, DEFAULT_CELL_SUBJECT_PREFIX, asBridgeError, cellWorkSubject, checkCellSubjectPrefix, ensureCellStream } from "./cell-work-queue.js";

export interface NatsCellSubmitterOptions extends NatsConnectionOptions {
  /** The work-queue stream (default `CELLOS_CELLS`). */
  readonly stream?: string;
  /** Subject prefix of the work queue (default `cellos.cells`). */
  readonly subjectPrefix?: string;
  /** For `ensureStream()`: how long a re-submitted cell id is dropped (default 600 000 ms). */
  readonly duplicateWindowMs?: number;
  /** Limit on one publish attempt's ack (default 5000 ms). */
  readonly ackTimeoutMs?: number;
  /** Limit on a submission with its retries (default 15 000 ms). */
  readonly timeoutMs?: number;
  readonly logger?: BridgeLogger;
}

/** What `NatsCellSubmitter.submit` resolves to: queued, not run (no events, no exit code). */
export type NatsCellSubmission = CellSubmissionOutcome & {
  readonly stream: string;
  /** Stream sequence of the queued document (of the first copy, for a duplicate). */
  readonly sequence: number;
  /** True when the cell id was already queued within the duplicate window: this copy was dropped and the cell runs once. */
  readonly duplicate: boolean;
};

const encoder = new TextEncoder();

/**
 * A `CellSubmitter` for a pool of `runNatsCellWorker`s: publishes each ExecutionCell document
 * to a JetStream work-queue stream on `<prefix>.<cell token>`, with the cell id as
 * `Nats-Msg-Id`, and resolves once JetStream stored it (a re-submission of the same cell id
 * within the duplicate window is dropped, so the cell runs once). Fire and forget: the result
 * arrives through the cell's events (a `NatsJetStreamSource` as the runner's `resultSource`).
 */
export class NatsCellSubmitter implements CellSubmitter {
  readonly stream: string;
  readonly subjectPrefix: string;
  readonly #link: NatsLink;
  readonly #duplicateWindowMs: number;
  readonly #ackTimeoutMs: number;
  readonly #timeoutMs: number;
  readonly #logger: BridgeLogger;
  readonly #headers = headers();
  #closed = false;

  constructor(options: NatsCellSubmitterOptions) {
    this.#logger = options.logger ?? consoleLogger;
    try {
      this.#link = new NatsLink(options, "NatsCellSubmitter", this.#logger);
      this.stream = checkName(options.stream ?? DEFAULT_CELL_STREAM, "NatsCellSubmitter stream");
      this.#duplicateWindowMs = checkMillis(options.duplicateWindowMs, "NatsCellSubmitter duplicateWindowMs", DEFAULT_CELL_DUPLICATE_WINDOW_MS, 1);
      this.#ackTimeoutMs = checkMillis(options.ackTimeoutMs, "NatsCellSubmitter ackTimeoutMs", 5000, 1);
      this.#timeoutMs = checkMillis(options.timeoutMs, "NatsCellSubmitter timeoutMs", 15_000, 1);
    } catch (error) {
      throw asBridgeError(error, "NatsCellSubmitter");
    }
    this.subjectPrefix = checkCellSubjectPrefix(options.subjectPrefix ?? DEFAULT_CELL_SUBJECT_PREFIX, "NatsCellSubmitter");
    this.#headers.set("Content-Type", "application/json");
  }

  /** Creates the work-queue stream or checks the existing one (`BridgeError` `InvalidOptions` on a mismatch). */
  async ensureStream(): Promise<EnsuredStream> {
    let jsm;
    try {
      jsm = await jetstreamManager(await this.#link.get());
    } catch (error) {
      throw new BridgeError("Submit", `cannot reach JetStream for the cell work queue ${this.stream}: ${describeError(error)}`, { cause: error });
    }
    return ensureCellStream(jsm, { stream: this.stream, subjectPrefix: this.subjectPrefix, duplicateWindowMs: this.#duplicateWindowMs }, this.#logger);
  }

  /**
   * Queues the document. Rejects with `BridgeError`: `InvalidDocument` (nothing is queued),
   * `Aborted`, `Closed`, or `Submit` (no ack from JetStream within `timeoutMs`, or refused).
   */
  async submit(document: ExecutionCellDocument, options: SubmitOptions = {}): Promise<NatsCellSubmission> {
    const maybeId: unknown = (document as { spec?: { id?: unknown } } | null | undefined)?.spec?.id;
    const claimed = typeof maybeId === "string" ? maybeId : "";
    if (this.#closed) throw new BridgeError("Closed", `NatsCellSubmitter is closed; cell ${JSON.stringify(claimed)} was not queued`, { cellId: claimed });
    try {
      validateExecutionCellDocument(document);
    } catch (error) {
      throw new BridgeError("InvalidDocument", `NatsCellSubmitter refuses the document${claimed === "" ? "" : ` of cell ${JSON.stringify(claimed)}`}: ${describeError(error)}`, { cellId: claimed, cause: error });
    }
    const cellId = document.spec.id;
    const subject = cellWorkSubject(this.subjectPrefix, cellId);
    try {
      const ack = await publishUntilAcked(() => this.#link.jetstream(), subject, encoder.encode(JSON.stringify(document)), {
        msgID: cellId,
        stream: this.stream,
        headers: this.#headers,
        ackTimeoutMs: this.#ackTimeoutMs,
        timeoutMs: this.#timeoutMs,
        signal: options.signal ?? undefined,
        onReconnect: (listener) => this.#link.onReconnect(listener),
      });
      return { cellId, lifecycleEvents: [], stream: ack.stream, sequence: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      if (isReceiverError(error, "Aborted")) throw new BridgeError("Aborted", `submission of cell ${JSON.stringify(cellId)} was aborted`, { cellId, cause: error });
      throw new BridgeError("Submit", `queueing cell ${JSON.stringify(cellId)} failed: ${describeError(error)}`, { cellId, cause: error });
    }
  }

  /** Refuses later submissions, then drains and closes the connection when it is ours. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#link.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
