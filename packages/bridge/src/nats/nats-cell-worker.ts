import { CellosEventType, lifecycleDestroyedEvent, validateExecutionCellDocument } from "@cellos-cortex/cellos-core";
import type { CloudEventV1, ExecutionCellDocument } from "@cellos-cortex/cellos-core";
import { NatsJetStreamSink, NatsLink, cellEventSubject, checkCount, checkMillis, checkName, decodeSubjectToken, ensureDurableConsumer } from "@cellos-cortex/receiver/nats";
import type { NatsConnectionOptions } from "@cellos-cortex/receiver/nats";
import { AckPolicy, DeliverPolicy, jetstreamManager } from "@nats-io/jetstream";
import type { Consumer, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { BridgeError, describeError, isBridgeError } from "../bridge-error.js";
import type { CellSubmitter } from "../cell-submitter.js";
import { consoleLogger } from "../logger.js";
import type { BridgeLogger } from "../logger.js";
import {
  DEFAULT_CELL_DUPLICATE_WINDOW_MS,
  DEFAULT_CELL_STREAM,
  DEFAULT_CELL_SUBJECT_PREFIX,
  DEFAULT_CELL_WORKERS_DURABLE,
  asBridgeError,
  checkCellSubjectPrefix,
  ensureCellStream,
} from "./cell-work-queue.js";

export interface NatsCellWorkerOptions extends NatsConnectionOptions {
  /**
   * Runs each cell to completion and returns its events, destroyed last (a `LocalCellHost`
   * with the default `returnAfter: "destroyed"`, whose `eventSink` is a `NatsJetStreamSink`).
   */
  readonly host: CellSubmitter;
  /** Stops the worker: no more cells are pulled; the promise resolves once the cells running have finished. */
  readonly signal: AbortSignal;
  /**
   * Where the cells' events must be stored before a cell is acknowledged (give the host's
   * sink). Default: a `NatsJetStreamSink` on this worker's connection with the default
   * stream and prefix.
   */
  readonly eventSink?: NatsJetStreamSink;
  /** The work-queue stream (default `CELLOS_CELLS`). */
  readonly stream?: string;
  /** Subject prefix of the work queue (default `cellos.cells`). */
  readonly subjectPrefix?: string;
  /** The durable consumer the pool's workers share (default `cellos-cell-workers`). */
  readonly durable?: string;
  /** For the work-queue stream when this worker creates it (default 600 000 ms). */
  readonly duplicateWindowMs?: number;
  /** Cells run at once by this worker (default 1). */
  readonly concurrency?: number;
  /** A cell not acknowledged within this goes to another worker (default 30 000 ms); progress acks extend it while a cell runs. */
  readonly ackWaitMs?: number;
  /** Between two progress acks of a running cell (default a third of `ackWaitMs`). */
  readonly progressIntervalMs?: number;
  /** Deliveries of one cell at most; the last failing one is refused with a destroyed event (default 5). */
  readonly maxDeliver?: number;
  /** Lifetime of one pull for the next cell (default 5000 ms, at least 1000). */
  readonly pullExpiresMs?: number;
  /** Delay before a cell that failed for a transient reason is offered again (default 1000 ms). */
  readonly retryDelayMs?: number;
  /** CloudEvent `source` of the events the worker itself emits for refused cells (default `cellos-cortex/nats-cell-worker`). */
  readonly source?: string;
  readonly logger?: BridgeLogger;
  /** Called once the worker pulls cells. */
  readonly onReady?: () => void;
  /** Called after each cell message is dealt with. */
  readonly onCell?: (run: NatsCellRun) => void;
}

/**
 * - `completed`: the host ran the cell; its events are stored; the message is acknowledged.
 * - `skipped`: a redelivered cell whose destroyed event is already stored (a worker died after
 *   finishing it, before acknowledging): acknowledged without running it again.
 * - `refused`: the cell can never run (invalid document, secrets, isolation, or too many
 *   deliveries): a failed destroyed event is stored for it and the message removed.
 * - `requeued`: a transient failure; offered again after `retryDelayMs`.
 */
export type NatsCellRunOutcome = "completed" | "skipped" | "refused" | "requeued";

export interface NatsCellRun {
  readonly cellId: string | undefined;
  readonly outcome: NatsCellRunOutcome;
  /** 1 for a first delivery. */
  readonly deliveryCount: number;
  readonly exitCode?: number;
  /** Why a cell was refused or requeued. */
  readonly reason?: string;
}

export interface NatsCellWorkerReport {
  /** Cell messages received. */
  received: number;
  /** Of those, deliveries after the first (another worker died or gave up). */
  redelivered: number;
  completed: number;
  skipped: number;
  refused: number;
  requeued: number;
}

/** Host errors that no retry can fix: the cell is refused rather than requeued. */
const PERMANENT = new Set(["InvalidDocument", "Secret", "Isolation"]);

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * One worker of a cell pool (ADR-0028): pulls ExecutionCell documents from the JetStream work
 * queue through a durable pull consumer shared by every worker, runs each on `host`, and
 * acknowledges a cell only after all its events (the destroyed event last) are stored in the
 * event stream, sending progress acks while it runs. A worker that dies mid-cell leaves the
 * message unacknowledged: JetStream gives it to another worker after `ackWaitMs`. Start one
 * on each machine: that is the pool, with no scheduler of our own.
 *
 * Resolves with what it did once `signal` fires and the cells it was running have finished.
 * Rejects with `BridgeError`: `InvalidOptions` (options, a stream or consumer that does not
 * fit, or a host that does not run cells to completion), `Submit` (NATS unreachable at start).
 */
export async function runNatsCellWorker(options: NatsCellWorkerOptions): Promise<NatsCellWorkerReport> {
  const worker = new NatsCellWorker(options);
  return worker.run();
}

class NatsCellWorker {
  readonly #host: CellSubmitter;
  readonly #signal: AbortSignal;
  readonly #link: NatsLink;
  readonly #givenSink: NatsJetStreamSink | undefined;
  readonly #stream: string;
  readonly #subjectPrefix: string;
  readonly #durable: string;
  readonly #duplicateWindowMs: number;
  readonly #concurrency: number;
  readonly #ackWaitMs: number;
  readonly #progressIntervalMs: number;
  readonly #maxDeliver: number;
  readonly #pullExpiresMs: number;
  readonly #retryDelayMs: number;
  readonly #source: string;
  readonly #logger: BridgeLogger;
  readonly #onReady: (() => void) | undefined;
  readonly #onCell: ((run: NatsCellRun) => void) | undefined;
  readonly #report: NatsCellWorkerReport = { received: 0, redelivered: 0, completed: 0, skipped: 0, refused: 0, requeued: 0 };
  /** Set when the worker must stop (the host was closed, or does not run cells to completion). */
  #fatal: BridgeError | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;

  constructor(options: NatsCellWorkerOptions) {
    if (typeof options !== "object" || options === null) throw new BridgeError("InvalidOptions", "runNatsCellWorker needs options");
    const host = options.host as Partial<CellSubmitter> | undefined;
    if (typeof host !== "object" || typeof host.submit !== "function") throw new BridgeError("InvalidOptions", "runNatsCellWorker needs a host with a submit(document) method (a LocalCellHost)");
    if (!(options.signal instanceof AbortSignal)) throw new BridgeError("InvalidOptions", "runNatsCellWorker needs a signal to stop it");
    this.#host = options.host;
    this.#signal = options.signal;
    this.#logger = options.logger ?? consoleLogger;
    try {
      this.#link = new NatsLink(options, "runNatsCellWorker", this.#logger);
      this.#stream = checkName(options.stream ?? DEFAULT_CELL_STREAM, "runNatsCellWorker stream");
      this.#durable = checkName(options.durable ?? DEFAULT_CELL_WORKERS_DURABLE, "runNatsCellWorker durable");
      this.#duplicateWindowMs = checkMillis(options.duplicateWindowMs, "runNatsCellWorker duplicateWindowMs", DEFAULT_CELL_DUPLICATE_WINDOW_MS, 1);
      this.#concurrency = checkCount(options.concurrency, "runNatsCellWorker concurrency", 1);
      this.#ackWaitMs = checkMillis(options.ackWaitMs, "runNatsCellWorker ackWaitMs", 30_000, 100);
      this.#progressIntervalMs = checkMillis(options.progressIntervalMs, "runNatsCellWorker progressIntervalMs", Math.max(50, Math.floor(this.#ackWaitMs / 3)), 10);
      this.#maxDeliver = checkCount(options.maxDeliver, "runNatsCellWorker maxDeliver", 5);
      this.#pullExpiresMs = checkMillis(options.pullExpiresMs, "runNatsCellWorker pullExpiresMs", 5000, 1000);
      this.#retryDelayMs = checkMillis(options.retryDelayMs, "runNatsCellWorker retryDelayMs", 1000, 0);
    } catch (error) {
      throw asBridgeError(error, "runNatsCellWorker");
    }
    if (this.#progressIntervalMs >= this.#ackWaitMs) {
      throw new BridgeError("InvalidOptions", `runNatsCellWorker progressIntervalMs (${this.#progressIntervalMs}) must be shorter than ackWaitMs (${this.#ackWaitMs})`);
    }
    this.#subjectPrefix = checkCellSubjectPrefix(options.subjectPrefix ?? DEFAULT_CELL_SUBJECT_PREFIX, "runNatsCellWorker");
    this.#givenSink = options.eventSink;
    this.#source = options.source ?? "cellos-cortex/nats-cell-worker";
    this.#onReady = options.onReady;
    this.#onCell = options.onCell;
  }

  async run(): Promise<NatsCellWorkerReport> {
    try {
      if (this.#signal.aborted) return { ...this.#report };
      const { consumer, jsm, sink } = await this.#setUp();
      this.#onReady?.();
      await this.#loop(consumer, jsm, sink);
      if (this.#fatal !== undefined) throw this.#fatal;
      return { ...this.#report };
    } finally {
      await this.#link.close();
    }
  }

  async #setUp(): Promise<{ consumer: Consumer; jsm: JetStreamManager; sink: NatsJetStreamSink }> {
    let jsm: JetStreamManager;
    let sink: NatsJetStreamSink;
    try {
      const nc = await this.#link.get();
      jsm = await jetstreamManager(nc);
      sink = this.#givenSink ?? new NatsJetStreamSink({ connection: nc, logger: this.#logger });
    } catch (error) {
      throw new BridgeError("Submit", `runNatsCellWorker cannot reach JetStream: ${describeError(error)}`, { cause: error });
    }
    try {
      await sink.ensureStream();
    } catch (error) {
      throw asBridgeError(error, `runNatsCellWorker event stream ${sink.stream}`);
    }
    await ensureCellStream(jsm, { stream: this.#stream, subjectPrefix: this.#subjectPrefix, duplicateWindowMs: this.#duplicateWindowMs }, this.#logger);
    try {
      await ensureDurableConsumer(jsm, this.#stream, this.#durable, {
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(this.#ackWaitMs),
        max_deliver: this.#maxDeliver,
        filter_subject: `${this.#subjectPrefix}.>`,
      });
      const consumer = await jsm.jetstream().consumers.get(this.#stream, this.#durable);
      return { consumer, jsm, sink };
    } catch (error) {
      throw asBridgeError(error, `runNatsCellWorker consumer ${this.#durable} of ${this.#stream}`);
    }
  }

  async #loop(consumer: Consumer, jsm: JetStreamManager, sink: NatsJetStreamSink): Promise<void> {
    const running = new Set<Promise<void>>();
    const stopped = new Promise<void>((resolve) => {
      const stop = (): void => {
        this.#stopping = true;
        resolve();
      };
      if (this.#signal.aborted) stop();
      else this.#signal.addEventListener("abort", stop, { once: true });
      this.#wake = stop;
    });
    while (!this.#stopping) {
      if (running.size >= this.#concurrency) {
        await Promise.race([...running, stopped]);
        continue;
      }
      const pulling = consumer.next({ expires: this.#pullExpiresMs });
      let msg: JsMsg | null | "stopped";
      try {
        msg = await Promise.race([pulling, stopped.then(() => "stopped" as const)]);
      } catch (error) {
        if (this.#stopping) break;
        this.#logger.warn(`runNatsCellWorker: pulling from ${this.#stream} failed; trying again in ${this.#retryDelayMs} ms`, { error: describeError(error) });
        await Promise.race([sleep(this.#retryDelayMs), stopped]);
        continue;
      }
      if (msg === "stopped") {
        // A cell that arrives for the pull left behind goes back at once.
        pulling.then(
          (late) => {
            if (late !== null) this.#requeueNow(late);
          },
          (error: unknown) => {
            this.#logger.warn("runNatsCellWorker: the last pull failed after the worker stopped", { error: describeError(error) });
          },
        );
        break;
      }
      if (msg === null) continue;
      const task = this.#handle(msg, jsm, sink).catch((error: unknown) => {
        // #handle deals with every expected failure; this is a bug, and the message is redelivered after ackWaitMs.
        this.#logger.warn("runNatsCellWorker: a cell message could not be handled", { error: describeError(error) });
      });
      const tracked = task.finally(() => running.delete(tracked));
      running.add(tracked);
    }
    await Promise.allSettled([...running]);
  }

  #stop(error: BridgeError): void {
    this.#fatal ??= error;
    this.#wake?.();
  }

  #requeueNow(msg: JsMsg): void {
    try {
      msg.nak();
    } catch (error) {
      this.#logger.warn(`runNatsCellWorker: could not give back message ${msg.seq}; it comes again after ${this.#ackWaitMs} ms`, { error: describeError(error) });
    }
  }

  async #handle(msg: JsMsg, jsm: JetStreamManager, sink: NatsJetStreamSink): Promise<void> {
    const deliveryCount = msg.info.deliveryCount;
    this.#report.received += 1;
    if (deliveryCount > 1) this.#report.redelivered += 1;
    const progress = setInterval(() => {
      try {
        msg.working();
      } catch (error) {
        this.#logger.warn(`runNatsCellWorker: progress ack of message ${msg.seq} failed`, { error: describeError(error) });
      }
    }, this.#progressIntervalMs);
    try {
      const parsed = this.#parse(msg);
      if (!parsed.ok) {
        await this.#refuse(msg, sink, parsed.cellId, parsed.reason);
        return;
      }
      const document = parsed.document;
      const cellId = document.spec.id;
      if (deliveryCount > 1) {
        let done: boolean;
        try {
          done = await this.#alreadyDestroyed(jsm, sink, cellId, msg);
        } catch (error) {
          this.#requeue(msg, cellId, `cannot tell whether a previous delivery finished it: ${describeError(error)}`);
          return;
        }
        if (done) {
          await this.#ack(msg, cellId);
          this.#report.skipped += 1;
          this.#done({ cellId, outcome: "skipped", deliveryCount });
          return;
        }
      }
      let events: readonly CloudEventV1[];
      let exitCode: number | undefined;
      try {
        const outcome = await this.#host.submit(document);
        events = outcome.lifecycleEvents;
        exitCode = outcome.exitCode;
      } catch (error) {
        const kind = isBridgeError(error) ? error.kind : undefined;
        if (kind !== undefined && PERMANENT.has(kind)) {
          await this.#refuse(msg, sink, cellId, describeError(error));
          return;
        }
        if (kind === "Closed") {
          this.#requeueNow(msg);
          this.#report.requeued += 1;
          this.#done({ cellId, outcome: "requeued", deliveryCount, reason: describeError(error) });
          this.#stop(new BridgeError("Closed", `runNatsCellWorker stopped: its host is closed (${describeError(error)})`, { cellId, cause: error }));
          return;
        }
        if (deliveryCount >= this.#maxDeliver) {
          await this.#refuse(msg, sink, cellId, `gave up after ${deliveryCount} deliveries: ${describeError(error)}`);
          return;
        }
        this.#requeue(msg, cellId, describeError(error));
        return;
      }
      if (!events.some((event) => event.type === CellosEventType.lifecycleDestroyed)) {
        this.#requeueNow(msg);
        this.#stop(
          new BridgeError(
            "InvalidOptions",
            `runNatsCellWorker: the host returned no destroyed event for cell ${JSON.stringify(cellId)}; it needs a host that runs each cell to completion (LocalCellHost with returnAfter "destroyed")`,
            { cellId },
          ),
        );
        return;
      }
      try {
        // Re-publish by id: the stream drops the copies it already holds, and stores any the host's sink failed to.
        await Promise.all(events.map((event) => sink.publish(event)));
      } catch (error) {
        this.#requeue(msg, cellId, `its events could not be stored: ${describeError(error)}`);
        return;
      }
      await this.#ack(msg, cellId);
      this.#report.completed += 1;
      this.#done({ cellId, outcome: "completed", deliveryCount, ...(exitCode === undefined ? {} : { exitCode }) });
    } finally {
      clearInterval(progress);
    }
  }

  #parse(msg: JsMsg): { ok: true; document: ExecutionCellDocument } | { ok: false; cellId: string | undefined; reason: string } {
    let fromSubject: string | undefined;
    try {
      const token = msg.subject.slice(this.#subjectPrefix.length + 1);
      fromSubject = token === "" || token.includes(".") ? undefined : decodeSubjectToken(token);
    } catch {
      fromSubject = undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(msg.data));
    } catch (error) {
      return { ok: false, cellId: fromSubject, reason: `the queued message is not JSON: ${describeError(error)}` };
    }
    try {
      validateExecutionCellDocument(value as ExecutionCellDocument);
    } catch (error) {
      return { ok: false, cellId: fromSubject, reason: `the queued message is not a valid ExecutionCell document: ${describeError(error)}` };
    }
    const document = value as ExecutionCellDocument;
    if (fromSubject !== undefined && fromSubject !== document.spec.id) {
      return { ok: false, cellId: fromSubject, reason: `the document of cell ${JSON.stringify(document.spec.id)} was queued on the subject of cell ${JSON.stringify(fromSubject)}` };
    }
    return { ok: true, document };
  }

  /** Whether the cell's destroyed event was stored after this message was queued (a previous delivery finished it). */
  async #alreadyDestroyed(jsm: JetStreamManager, sink: NatsJetStreamSink, cellId: string, msg: JsMsg): Promise<boolean> {
    const subject = cellEventSubject(sink.subjectPrefix, cellId, CellosEventType.lifecycleDestroyed);
    const stored = await jsm.streams.getMessage(sink.stream, { last_by_subj: subject });
    if (stored === null) return false;
    const queuedAtMs = Math.floor(msg.info.timestampNanos / 1_000_000);
    return stored.time.getTime() >= queuedAtMs;
  }

  /** Stores a failed destroyed event for a cell that can never run, then removes its message. */
  async #refuse(msg: JsMsg, sink: NatsJetStreamSink, cellId: string | undefined, reason: string): Promise<void> {
    const deliveryCount = msg.info.deliveryCount;
    this.#logger.warn(`runNatsCellWorker refused ${cellId === undefined ? `message ${msg.seq}` : `cell ${JSON.stringify(cellId)}`}: ${reason}`, { cellId, stream: this.#stream });
    if (cellId !== undefined) {
      const destroyed = lifecycleDestroyedEvent({
        source: this.#source,
        // Deterministic: refusing the same message twice stores one event.
        id: `rejected-${this.#stream}-${msg.seq}`,
        cellId,
        specId: cellId,
        outcome: "failed",
        terminalState: "clean",
        reason: "rejected",
      });
      try {
        await sink.publish({ ...destroyed, data: { ...destroyed.data, error: reason } });
      } catch (error) {
        this.#requeue(msg, cellId, `its refusal could not be stored: ${describeError(error)}`);
        return;
      }
    }
    try {
      msg.term();
    } catch (error) {
      this.#logger.warn(`runNatsCellWorker: could not remove refused message ${msg.seq}`, { error: describeError(error) });
    }
    this.#report.refused += 1;
    this.#done({ cellId, outcome: "refused", deliveryCount, reason });
  }

  #requeue(msg: JsMsg, cellId: string, reason: string): void {
    this.#logger.warn(`runNatsCellWorker: cell ${JSON.stringify(cellId)} goes back to the queue: ${reason}`, { cellId });
    try {
      msg.nak(this.#retryDelayMs);
    } catch (error) {
      this.#logger.warn(`runNatsCellWorker: could not give back cell ${JSON.stringify(cellId)}; it comes again after ${this.#ackWaitMs} ms`, { error: describeError(error) });
    }
    this.#report.requeued += 1;
    this.#done({ cellId, outcome: "requeued", deliveryCount: msg.info.deliveryCount, reason });
  }

  /** The commit point: confirmed by the server when it can be (a lost ack means a redelivery, which is then skipped). */
  async #ack(msg: JsMsg, cellId: string): Promise<void> {
    try {
      const confirmed = await msg.ackAck({ timeout: Math.min(5000, this.#ackWaitMs) });
      if (!confirmed) this.#logger.warn(`runNatsCellWorker: the ack of cell ${JSON.stringify(cellId)} was not confirmed; a redelivery will find it finished`, { cellId });
    } catch (error) {
      this.#logger.warn(`runNatsCellWorker: the ack of cell ${JSON.stringify(cellId)} failed; a redelivery will find it finished`, { cellId, error: describeError(error) });
    }
  }

  #done(run: NatsCellRun): void {
    if (this.#onCell === undefined) return;
    try {
      this.#onCell(run);
    } catch (error) {
      this.#logger.warn("runNatsCellWorker: onCell threw", { error: describeError(error) });
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}
