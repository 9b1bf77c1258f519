import type { CloudEventV1 } from "@cellos-cortex/cellos-core";

export interface EventStreamOptions {
  /** Ends the iteration (normally, without throwing) when it fires. */
  signal?: AbortSignal;
}

/**
 * Anything CellOS events can be followed from: a JSONL file, an HTTP
 * endpoint, a NATS stream, an in-process channel. Each call to `events` is an
 * independent reader; the iteration ends when `signal` fires (or the source
 * closes) and throws `ReceiverError` only when the source itself fails.
 */
export interface CellEventSource {
  events(options?: EventStreamOptions): AsyncIterable<CloudEventV1>;
}
