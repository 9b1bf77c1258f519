import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import { AckPolicy, DeliverPolicy, JetStreamApiCodes, jetstreamManager } from "@nats-io/jetstream";
import type { Consumer, ConsumerConfig, ConsumerInfo, ConsumerMessages, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/transport-node";
import type { CellEventSource, EventStreamOptions } from "../cell-event-source.js";
import { decodeJsonlLine } from "../jsonl-event-line.js";
import type { InvalidLineKind, JsonlLineOptions } from "../jsonl-event-line.js";
import { consoleLogger } from "../logger.js";
import type { ReceiverLogger } from "../logger.js";
import { ReceiverError } from "../receiver-error.js";
import { raceAbort } from "./abortable.js";
import { ensureDurableConsumer, isJetStreamApiError } from "./jetstream-consumer.js";
import { ensureStream, eventStreamSpec } from "./jetstream-stream.js";
import type { EnsuredStream } from "./jetstream-stream.js";
import { NatsLink, checkCount, checkMillis, checkName } from "./nats-connection.js";
import type { NatsConnectionOptions } from "./nats-connection.js";
import { DEFAULT_EVENT_STREAM, DEFAULT_EVENT_SUBJECT_PREFIX, cellSubjectFilter, checkSubjectPrefix, streamSubjectFilter } from "./subject-scheme.js";

/** A stream message that is not a CloudEvent: terminated (never redelivered) and reported, never yielded. */
export interface InvalidNatsMessage {
  readonly kind: InvalidLineKind | "empty";
  readonly reason: string;
  readonly subject: string;
  /** Stream sequence of the message (it stays in the stream for inspection). */
  readonly streamSequence: number;
}

export interface NatsJetStreamSourceOptions extends NatsConnectionOptions, JsonlLineOptions {
  /** The event stream (default `CELLOS_EVENTS`). */
  readonly stream?: string;
  /** Subject prefix of the events (default `cellos.events`). */
  readonly subjectPrefix?: string;
  /**
   * Name of the durable consumer: it remembers what was acknowledged across restarts and
   * crashes, and readers sharing a name share (split) its events. Without one, each
   * `events()` call gets its own ephemeral consumer, deleted when the reading stops.
   */
  readonly durable?: string;
  /** Only this cell's events (`<prefix>.<cell>.>`): a per-cell wait. Exclusive with `filterSubject`. */
  readonly cellId?: string;
  /** Only events on this one subject filter (nats-server 2.9 has one filter per consumer). */
  readonly filterSubject?: string;
  /** Where a new consumer starts: `all` (default: every event still in the stream) or `new`. */
  readonly deliverPolicy?: "all" | "new";
  /**
   * Start a new consumer at the first event the server stored at or after this time, instead
   * of `deliverPolicy` (exclusive with it). A reader that starts following just before it
   * submits a cell passes the submission time: unlike `new`, it cannot miss an event stored
   * while its consumer was being created, and unlike `all` it never sees an earlier run of a
   * cell with the same id. The time is compared with the server's clock.
   */
  readonly startTime?: Date;
  /** Events delivered but not yet acknowledged, at most (the consumer's `max_ack_pending` and the pull batch; default 256). */
  readonly maxInFlight?: number;
  /** How long an event handed out may go unacknowledged before JetStream delivers it again (default 30 000 ms). */
  readonly ackWaitMs?: number;
  /** Deliveries of one event at most (default: unlimited). */
  readonly maxDeliver?: number;
  /** Lifetime of one pull request (default 5000 ms, at least 1000): also how soon a lost pull is noticed. */
  readonly pullExpiresMs?: number;
  /** An ephemeral consumer left without a reader is deleted by the server after this (default 60 000 ms). */
  readonly inactiveThresholdMs?: number;
  /** For `ensureStream()`: the duplicate window (default 120 000 ms). */
  readonly duplicateWindowMs?: number;
  /** For `ensureStream()`: oldest event kept (default: no limit). */
  readonly maxAgeMs?: number;
  /** Called for each message that is not a CloudEvent (default: a logger warning). */
  readonly onInvalid?: (invalid: InvalidNatsMessage) => void;
  readonly logger?: ReceiverLogger;
}

export interface NatsJetStreamSourceStats {
  /** Events handed to readers. */
  delivered: number;
  /** Of those, events JetStream delivered more than once (a reader stopped or crashed before acknowledging). */
  redelivered: number;
  /** Events acknowledged (the reader asked for the next one). */
  acked: number;
  /** Readers that stopped holding an event they had not finished (it comes again after `ackWaitMs`). */
  unacked: number;
  /** Messages that were not CloudEvents. */
  invalid: number;
}

/** Consumer notifications worth a warning; the rest (heartbeats, next pulls) are routine. */
const NOTEWORTHY = new Set(["consumer_deleted", "consumer_not_found", "stream_not_found", "exceeded_limits"]);

/**
 * A `CellEventSource` over a JetStream pull consumer with explicit acknowledgement.
 *
 * An event is acknowledged when the reader asks for the next one (it has been handed off and
 * dealt with). The event in hand when a reader stops (`break`, `return`) and the events the
 * client had fetched ahead (at most `maxInFlight`) are not acknowledged: like those of a reader
 * that crashed, JetStream delivers them again after `ackWaitMs` (ADR-0027 says why they are not
 * `nak`ed). Delivery is at least once; readers drop re-deliveries by event id (as
 * `CellResultTracker` does). The client reconnects by itself after a server restart and the
 * consumer resumes where the server's (file-stored) state says.
 */
export class NatsJetStreamSource implements CellEventSource {
  readonly stream: string;
  readonly subjectPrefix: string;
  readonly durable: string | undefined;
  /** The consumer's filter subject (`<prefix>.>` when unfiltered). */
  readonly filterSubject: string;
  readonly maxInFlight: number;
  readonly ackWaitMs: number;
  readonly #link: NatsLink;
  readonly #deliverPolicy: "all" | "new";
  readonly #startTime: Date | undefined;
  readonly #maxDeliver: number;
  readonly #pullExpiresMs: number;
  readonly #inactiveThresholdMs: number;
  readonly #duplicateWindowMs: number | undefined;
  readonly #maxAgeMs: number | undefined;
  readonly #lineOptions: JsonlLineOptions;
  readonly #onInvalid: ((invalid: InvalidNatsMessage) => void) | undefined;
  readonly #logger: ReceiverLogger;
  readonly #stats: NatsJetStreamSourceStats = { delivered: 0, redelivered: 0, acked: 0, unacked: 0, invalid: 0 };
  readonly #readers = new Set<AbortController>();
  #closed = false;

  constructor(options: NatsJetStreamSourceOptions) {
    this.#logger = options.logger ?? consoleLogger;
    this.#link = new NatsLink(options, "NatsJetStreamSource", this.#logger);
    this.stream = checkName(options.stream ?? DEFAULT_EVENT_STREAM, "NatsJetStreamSource stream");
    this.subjectPrefix = checkSubjectPrefix(options.subjectPrefix ?? DEFAULT_EVENT_SUBJECT_PREFIX);
    this.durable = options.durable === undefined ? undefined : checkName(options.durable, "NatsJetStreamSource durable");
    if (options.cellId !== undefined && options.filterSubject !== undefined) {
      throw new ReceiverError("InvalidOptions", `NatsJetStreamSource takes cellId or filterSubject, not both (got ${JSON.stringify(options.cellId)} and ${JSON.stringify(options.filterSubject)})`);
    }
    if (options.cellId !== undefined && (typeof options.cellId !== "string" || options.cellId === "")) {
      throw new ReceiverError("InvalidOptions", `NatsJetStreamSource cellId must be a non-empty string, got ${JSON.stringify(options.cellId)}`);
    }
    if (options.filterSubject !== undefined && (typeof options.filterSubject !== "string" || options.filterSubject === "" || /\s/.test(options.filterSubject))) {
      throw new ReceiverError("InvalidOptions", `NatsJetStreamSource filterSubject must be a subject without whitespace, got ${JSON.stringify(options.filterSubject)}`);
    }
    this.filterSubject =
      options.cellId !== undefined ? cellSubjectFilter(this.subjectPrefix, options.cellId) : (options.filterSubject ?? streamSubjectFilter(this.subjectPrefix));
    const deliverPolicy = options.deliverPolicy ?? "all";
    if (deliverPolicy !== "all" && deliverPolicy !== "new") {
      throw new ReceiverError("InvalidOptions", `NatsJetStreamSource deliverPolicy must be "all" or "new", got ${JSON.stringify(deliverPolicy)}`);
    }
    this.#deliverPolicy = deliverPolicy;
    if (options.startTime !== undefined) {
      if (!(options.startTime instanceof Date) || Number.isNaN(options.startTime.getTime())) {
        throw new ReceiverError("InvalidOptions", `NatsJetStreamSource startTime must be a valid Date, got ${String(options.startTime)}`);
      }
      if (options.deliverPolicy !== undefined) {
        throw new ReceiverError("InvalidOptions", `NatsJetStreamSource takes deliverPolicy or startTime, not both (got ${JSON.stringify(options.deliverPolicy)} and ${options.startTime.toISOString()})`);
      }
    }
    this.#startTime = options.startTime;
    this.maxInFlight = checkCount(options.maxInFlight, "NatsJetStreamSource maxInFlight", 256);
    this.ackWaitMs = checkMillis(options.ackWaitMs, "NatsJetStreamSource ackWaitMs", 30_000, 1);
    this.#maxDeliver = options.maxDeliver === undefined ? -1 : checkCount(options.maxDeliver, "NatsJetStreamSource maxDeliver", -1);
    this.#pullExpiresMs = checkMillis(options.pullExpiresMs, "NatsJetStreamSource pullExpiresMs", 5000, 1000);
    this.#inactiveThresholdMs = checkMillis(options.inactiveThresholdMs, "NatsJetStreamSource inactiveThresholdMs", 60_000, 1000);
    this.#duplicateWindowMs = options.duplicateWindowMs === undefined ? undefined : checkMillis(options.duplicateWindowMs, "NatsJetStreamSource duplicateWindowMs", 0, 1);
    this.#maxAgeMs = options.maxAgeMs === undefined ? undefined : checkMillis(options.maxAgeMs, "NatsJetStreamSource maxAgeMs", 0, 1);
    this.#lineOptions = {
      ...(options.validateData === undefined ? {} : { validateData: options.validateData }),
      ...(options.verifyEnvelope === undefined ? {} : { verifyEnvelope: options.verifyEnvelope }),
    };
    this.#onInvalid = options.onInvalid;
  }

  get stats(): NatsJetStreamSourceStats {
    return { ...this.#stats };
  }

  /**
   * Creates the event stream (`<prefix>.>`, file storage, duplicate window) or checks the
   * existing one; throws `ReceiverError` (`InvalidOptions` on a mismatch, `Source` otherwise).
   */
  async ensureStream(): Promise<EnsuredStream> {
    const jsm = await this.#manager();
    return ensureStream(
      jsm,
      eventStreamSpec(this.stream, this.subjectPrefix, { duplicateWindowMs: this.#duplicateWindowMs, maxAgeMs: this.#maxAgeMs }),
      this.#logger,
    );
  }

  /** The durable consumer's state on the server (`num_pending`, `num_ack_pending`, `num_redelivered`…). */
  async consumerInfo(): Promise<ConsumerInfo> {
    if (this.durable === undefined) throw new ReceiverError("InvalidOptions", "consumerInfo needs a durable consumer; this source has none");
    const jsm = await this.#manager();
    try {
      return await jsm.consumers.info(this.stream, this.durable);
    } catch (error) {
      throw new ReceiverError("Source", `cannot read consumer ${this.durable} of stream ${this.stream}: ${describe(error)}`, { cause: error });
    }
  }

  /**
   * Follows the events. Throws `ReceiverError` `Source` when the stream or consumer cannot be
   * opened (e.g. no server within `connectTimeoutMs`, no stream: call `ensureStream()` first)
   * or the consumer fails for good; a server restart is waited out.
   */
  events(options: EventStreamOptions = {}): AsyncIterable<CloudEventV1> {
    return { [Symbol.asyncIterator]: () => this.#read(options.signal) };
  }

  /** Stops every reader (their iterations end) and closes the connection when it is ours. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const reader of this.#readers) reader.abort();
    await this.#link.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #manager(): Promise<JetStreamManager> {
    let nc: NatsConnection;
    try {
      nc = await this.#link.get();
    } catch (error) {
      if (error instanceof ReceiverError) throw error;
      throw new ReceiverError("Source", `cannot connect to NATS for stream ${this.stream}: ${describe(error)}`, { cause: error });
    }
    try {
      return await jetstreamManager(nc);
    } catch (error) {
      throw new ReceiverError("Source", `JetStream is not available for stream ${this.stream}: ${describe(error)}`, { cause: error });
    }
  }

  /** Creates the consumer, or checks and adjusts the durable one; returns it and, when ephemeral, its name to delete. */
  async #openConsumer(signal: AbortSignal): Promise<{ consumer: Consumer; ephemeral: string | undefined; jsm: JetStreamManager }> {
    const jsm = await raceAbort(this.#manager(), signal);
    const config: Partial<ConsumerConfig> = {
      ack_policy: AckPolicy.Explicit,
      ...(this.#startTime === undefined
        ? { deliver_policy: this.#deliverPolicy === "all" ? DeliverPolicy.All : DeliverPolicy.New }
        : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: this.#startTime.toISOString() }),
      ack_wait: nanos(this.ackWaitMs),
      max_ack_pending: this.maxInFlight,
      max_deliver: this.#maxDeliver,
      filter_subject: this.filterSubject,
    };
    let info: ConsumerInfo;
    try {
      info = this.durable === undefined ? await raceAbort(jsm.consumers.add(this.stream, { ...config, inactive_threshold: nanos(this.#inactiveThresholdMs) }), signal) : await raceAbort(ensureDurableConsumer(jsm, this.stream, this.durable, config), signal);
    } catch (error) {
      if (error instanceof ReceiverError) throw error;
      const hint = isJetStreamApiError(error, JetStreamApiCodes.StreamNotFound) ? " (call ensureStream() first)" : "";
      throw new ReceiverError("Source", `cannot open a consumer on stream ${this.stream} for ${this.filterSubject}${hint}: ${describe(error)}`, { cause: error });
    }
    const consumer = jsm.jetstream().consumers.getConsumerFromInfo(info);
    return { consumer, ephemeral: this.durable === undefined ? info.name : undefined, jsm };
  }

  async *#read(outer: AbortSignal | undefined): AsyncGenerator<CloudEventV1, void, undefined> {
    if (outer?.aborted) return;
    if (this.#closed) throw new ReceiverError("Closed", `NatsJetStreamSource on ${this.stream} is closed`);
    // One controller per reader: fired by the caller's signal or by close().
    const reader = new AbortController();
    const forward = (): void => {
      reader.abort(outer?.reason);
    };
    outer?.addEventListener("abort", forward, { once: true });
    this.#readers.add(reader);
    let messages: ConsumerMessages | undefined;
    let ephemeral: string | undefined;
    let jsm: JetStreamManager | undefined;
    let handed: JsMsg | undefined;
    const stopMessages = (): void => {
      messages?.close().catch((error: unknown) => {
        this.#logger.warn(`NatsJetStreamSource: closing the consumer of ${this.stream} failed`, { error: describe(error) });
      });
    };
    reader.signal.addEventListener("abort", stopMessages, { once: true });
    try {
      let opened: { consumer: Consumer; ephemeral: string | undefined; jsm: JetStreamManager };
      try {
        opened = await this.#openConsumer(reader.signal);
      } catch (error) {
        if (reader.signal.aborted) return;
        throw error;
      }
      ({ ephemeral, jsm } = opened);
      try {
        messages = await opened.consumer.consume({ max_messages: this.maxInFlight, expires: this.#pullExpiresMs });
      } catch (error) {
        throw new ReceiverError("Source", `cannot consume from stream ${this.stream} (${this.filterSubject}): ${describe(error)}`, { cause: error });
      }
      if (reader.signal.aborted) stopMessages();
      this.#watch(messages);
      try {
        for await (const msg of messages) {
          // Buffered before the stop: left unacknowledged, it comes again after ackWaitMs.
          if (reader.signal.aborted) continue;
          const decoded = msg.data.length === 0 ? undefined : decodeJsonlLine(msg.data, this.#lineOptions);
          if (decoded?.status !== "event") {
            msg.term();
            this.#invalid(msg, decoded === undefined || decoded.status === "blank" ? { kind: "empty", reason: "message body is empty" } : decoded);
            continue;
          }
          this.#stats.delivered += 1;
          if (msg.info.deliveryCount > 1) this.#stats.redelivered += 1;
          handed = msg;
          yield decoded.event;
          handed = undefined;
          msg.ack();
          this.#stats.acked += 1;
        }
      } catch (error) {
        if (reader.signal.aborted) return;
        throw new ReceiverError("Source", `consumer of stream ${this.stream} (${this.filterSubject}) failed: ${describe(error)}`, { cause: error });
      }
      if (!reader.signal.aborted) throw new ReceiverError("Source", `consumer of stream ${this.stream} (${this.filterSubject}) stopped`);
    } finally {
      outer?.removeEventListener("abort", forward);
      reader.signal.removeEventListener("abort", stopMessages);
      this.#readers.delete(reader);
      if (handed !== undefined) this.#stats.unacked += 1;
      if (messages !== undefined) {
        try {
          await withTimeout(messages.close(), 2000);
        } catch (error) {
          this.#logger.warn(`NatsJetStreamSource: the consumer of ${this.stream} did not close cleanly`, { error: describe(error) });
        }
      }
      await this.#settle(jsm, ephemeral);
    }
  }

  /** After a reader stops: acknowledgements reach the server, and an ephemeral consumer is removed. */
  async #settle(jsm: JetStreamManager | undefined, ephemeral: string | undefined): Promise<void> {
    let nc: NatsConnection;
    try {
      nc = await this.#link.get();
    } catch {
      // Closed or never connected: there is nothing left to flush or delete.
      return;
    }
    if (nc.isClosed() || nc.isDraining()) return;
    try {
      await withTimeout(nc.flush(), 2000);
      if (jsm !== undefined && ephemeral !== undefined) await withTimeout(jsm.consumers.delete(this.stream, ephemeral), 2000);
    } catch (error) {
      this.#logger.warn(`NatsJetStreamSource: could not flush acknowledgements or delete consumer ${ephemeral ?? "(durable)"} of ${this.stream}; the server expires it`, {
        error: describe(error),
      });
    }
  }

  #watch(messages: ConsumerMessages): void {
    void (async () => {
      for await (const note of messages.status()) {
        if (NOTEWORTHY.has(note.type)) this.#logger.warn(`NatsJetStreamSource: ${note.type} on stream ${this.stream}`, { notification: note });
      }
    })().catch((error: unknown) => {
      this.#logger.warn(`NatsJetStreamSource: consumer status of ${this.stream} failed`, { error: describe(error) });
    });
  }

  #invalid(msg: JsMsg, problem: { kind: InvalidNatsMessage["kind"]; reason: string }): void {
    this.#stats.invalid += 1;
    const invalid: InvalidNatsMessage = { kind: problem.kind, reason: problem.reason, subject: msg.subject, streamSequence: msg.seq };
    if (this.#onInvalid === undefined) {
      this.#logger.warn(`NatsJetStreamSource skipped message ${msg.seq} on ${msg.subject}: ${problem.reason}`, { kind: problem.kind });
      return;
    }
    try {
      this.#onInvalid(invalid);
    } catch (error) {
      this.#logger.warn(`NatsJetStreamSource onInvalid threw for message ${msg.seq}`, { error: describe(error) });
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new ReceiverError("Timeout", `gave up after ${ms} ms`));
      }, ms);
    }),
  ]).finally(() => {
    clearTimeout(timer);
  });
}
