import { CellosError, safeParseCloudEventV1 } from "@cellos-cortex/cellos-core";
import type { CloudEventV1, EventSink } from "@cellos-cortex/cellos-core";
import { jetstreamManager } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { consoleLogger } from "../logger.js";
import type { ReceiverLogger } from "../logger.js";
import { publishUntilAcked } from "./jetstream-publish.js";
import { ensureStream, eventStreamSpec } from "./jetstream-stream.js";
import type { EnsuredStream } from "./jetstream-stream.js";
import { NatsLink, checkMillis, checkName } from "./nats-connection.js";
import type { NatsConnectionOptions } from "./nats-connection.js";
import { DEFAULT_EVENT_STREAM, DEFAULT_EVENT_SUBJECT_PREFIX, checkSubjectPrefix, eventSubject } from "./subject-scheme.js";

/** CloudEvents NATS binding, structured mode. */
export const CLOUDEVENTS_JSON_CONTENT_TYPE = "application/cloudevents+json";

export interface NatsJetStreamSinkOptions extends NatsConnectionOptions {
  /** Subject prefix (default `cellos.events`): events go to `<prefix>.<cell>.<type>`. */
  readonly subjectPrefix?: string;
  /** The stream the events must land in (default `CELLOS_EVENTS`); a publish captured by another stream is refused. */
  readonly stream?: string;
  /** For `ensureStream()`: the duplicate window (default 120 000 ms). Re-sends within it are dropped by id. */
  readonly duplicateWindowMs?: number;
  /** For `ensureStream()`: oldest event kept (default: no limit). */
  readonly maxAgeMs?: number;
  /** Limit on one publish attempt's ack (default 5000 ms). */
  readonly ackTimeoutMs?: number;
  /** Limit on one `emit` with its retries (default 15 000 ms); past it the emit rejects. */
  readonly timeoutMs?: number;
  readonly logger?: ReceiverLogger;
}

export interface EmitOptions {
  readonly signal?: AbortSignal;
}

/** What JetStream said about one published event. */
export interface NatsPublishReceipt {
  readonly subject: string;
  readonly stream: string;
  /** The stream sequence of the stored event (of the first copy, for a duplicate). */
  readonly seq: number;
  /** True when the stream already held this event id (within its duplicate window) and dropped this copy. */
  readonly duplicate: boolean;
  /** Publish attempts it took (1 unless the server was unreachable for a while). */
  readonly attempts: number;
}

export interface NatsJetStreamSinkStats {
  /** Events the stream stored. */
  published: number;
  /** Events the stream dropped as re-sends of an id it already held. */
  duplicates: number;
  /** Publish attempts repeated after a missing ack. */
  retries: number;
  /** Emits that failed (no ack in time, refused, aborted). */
  failures: number;
}

const encoder = new TextEncoder();

/**
 * An `EventSink` that publishes each CloudEvent (structured JSON) to JetStream on
 * `<prefix>.<cell token>.<type tokens>` (see `subject-scheme.ts`), with the event id as
 * `Nats-Msg-Id`: the stream drops a re-send of the same id within its duplicate window, so
 * retrying is always safe. `emit` resolves only once JetStream acknowledged the event as
 * stored; it retries a missing ack until `timeoutMs` and then rejects with `CellosError`
 * `EventSink` (the `EventSink` contract) naming the event, subject and last error.
 */
export class NatsJetStreamSink implements EventSink {
  readonly subjectPrefix: string;
  readonly stream: string;
  readonly #link: NatsLink;
  readonly #duplicateWindowMs: number | undefined;
  readonly #maxAgeMs: number | undefined;
  readonly #ackTimeoutMs: number;
  readonly #timeoutMs: number;
  readonly #logger: ReceiverLogger;
  readonly #stats: NatsJetStreamSinkStats = { published: 0, duplicates: 0, retries: 0, failures: 0 };
  readonly #headers = headers();
  #closed = false;

  constructor(options: NatsJetStreamSinkOptions) {
    this.#logger = options.logger ?? consoleLogger;
    this.#link = new NatsLink(options, "NatsJetStreamSink", this.#logger);
    this.subjectPrefix = checkSubjectPrefix(options.subjectPrefix ?? DEFAULT_EVENT_SUBJECT_PREFIX);
    this.stream = checkName(options.stream ?? DEFAULT_EVENT_STREAM, "NatsJetStreamSink stream");
    this.#duplicateWindowMs = options.duplicateWindowMs === undefined ? undefined : checkMillis(options.duplicateWindowMs, "NatsJetStreamSink duplicateWindowMs", 0, 1);
    this.#maxAgeMs = options.maxAgeMs === undefined ? undefined : checkMillis(options.maxAgeMs, "NatsJetStreamSink maxAgeMs", 0, 1);
    this.#ackTimeoutMs = checkMillis(options.ackTimeoutMs, "NatsJetStreamSink ackTimeoutMs", 5000, 1);
    this.#timeoutMs = checkMillis(options.timeoutMs, "NatsJetStreamSink timeoutMs", 15_000, 1);
    this.#headers.set("Content-Type", CLOUDEVENTS_JSON_CONTENT_TYPE);
  }

  get stats(): NatsJetStreamSinkStats {
    return { ...this.#stats };
  }

  /**
   * Creates the event stream (`<prefix>.>`, file storage, the duplicate window) or checks the
   * existing one; throws `ReceiverError` (`InvalidOptions` on a mismatch, `Source` otherwise).
   */
  async ensureStream(): Promise<EnsuredStream> {
    const nc = await this.#link.get();
    return ensureStream(
      await jetstreamManager(nc),
      eventStreamSpec(this.stream, this.subjectPrefix, { duplicateWindowMs: this.#duplicateWindowMs, maxAgeMs: this.#maxAgeMs }),
      this.#logger,
    );
  }

  /** The subject an event is published to. */
  subjectOf(event: CloudEventV1): string {
    return eventSubject(this.subjectPrefix, event);
  }

  /** `EventSink.emit`: resolves once the event is stored (or known to be stored already). */
  async emit(event: CloudEventV1, options: EmitOptions = {}): Promise<void> {
    await this.publish(event, options);
  }

  /** Like `emit`, and says where the event went and whether it was a duplicate. */
  async publish(event: CloudEventV1, options: EmitOptions = {}): Promise<NatsPublishReceipt> {
    if (this.#closed) throw new CellosError("EventSink", `NatsJetStreamSink is closed; event ${JSON.stringify(previewId(event))} was not published`);
    const checked = safeParseCloudEventV1(event);
    if (!checked.success) {
      this.#stats.failures += 1;
      throw new CellosError("EventSink", `NatsJetStreamSink: not a CloudEventV1: ${checked.error.detail}`, { cause: checked.error });
    }
    let payload: Uint8Array;
    try {
      payload = encoder.encode(JSON.stringify(event));
    } catch (cause) {
      this.#stats.failures += 1;
      throw new CellosError("EventSink", `NatsJetStreamSink cannot serialize event ${JSON.stringify(event.id)}: ${describe(cause)}`, { cause });
    }
    const subject = this.subjectOf(event);
    try {
      const ack = await publishUntilAcked(() => this.#link.jetstream(), subject, payload, {
        msgID: event.id,
        stream: this.stream,
        headers: this.#headers,
        ackTimeoutMs: this.#ackTimeoutMs,
        timeoutMs: this.#timeoutMs,
        signal: options.signal,
        onReconnect: (listener) => this.#link.onReconnect(listener),
        onRetry: () => {
          this.#stats.retries += 1;
        },
      });
      if (ack.duplicate) this.#stats.duplicates += 1;
      else this.#stats.published += 1;
      return { subject, ...ack };
    } catch (error) {
      this.#stats.failures += 1;
      // The EventSink contract: failures are CellosError EventSink (the ReceiverError is the cause).
      throw new CellosError("EventSink", `NatsJetStreamSink: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  /** Refuses later emits, then drains and closes the connection when it is ours. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#link.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function previewId(event: unknown): unknown {
  return typeof event === "object" && event !== null ? (event as { id?: unknown }).id : undefined;
}
