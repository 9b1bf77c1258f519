import { JetStreamApiError } from "@nats-io/jetstream";
import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import type { MsgHdrs } from "@nats-io/transport-node";
import { ReceiverError } from "../receiver-error.js";
import { raceAbort, sleep } from "./abortable.js";

export interface PublishUntilAckedOptions {
  /** `Nats-Msg-Id`: the stream drops a re-send of it within its duplicate window, so retrying is safe. */
  readonly msgID: string;
  /** The stream the message must land in; a publish captured by another stream is refused. */
  readonly stream: string;
  readonly headers?: MsgHdrs;
  /** Limit on one attempt's ack. */
  readonly ackTimeoutMs: number;
  /** Limit on all attempts together. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Registers a listener called at each reconnect (returns its removal): an attempt pending then is given up and repeated at once. */
  readonly onReconnect?: (listener: () => void) => () => void;
  /** Called before each repeated attempt (for statistics). */
  readonly onRetry?: (attempt: number, error: unknown) => void;
}

/** A stored (or already stored) message. */
export interface PublishAck {
  readonly stream: string;
  readonly seq: number;
  readonly duplicate: boolean;
  readonly attempts: number;
}

/**
 * Publishes until JetStream acknowledges, retrying a missing ack (server restarting, no
 * responders, timeout) with a short backoff until `timeoutMs`; a refusal by the server (an API
 * error) is not retried. Rejects with `ReceiverError`: `Aborted`, or `Timeout` (no ack; the
 * message names the subject, id, attempts and last error, which is the `cause`).
 */
export async function publishUntilAcked(js: () => Promise<JetStreamClient>, subject: string, payload: Uint8Array, options: PublishUntilAckedOptions): Promise<PublishAck> {
  const { msgID, signal } = options;
  const deadline = performance.now() + options.timeoutMs;
  const aborted = (): ReceiverError => new ReceiverError("Aborted", `publish of ${JSON.stringify(msgID)} on ${subject} aborted`, { cause: signal?.reason });
  let attempts = 0;
  let lastError: unknown;
  for (;;) {
    if (signal?.aborted) throw aborted();
    const remaining = deadline - performance.now();
    if (remaining <= 0 && attempts > 0) break;
    attempts += 1;
    if (attempts > 1) options.onRetry?.(attempts, lastError);
    try {
      const client = await raceAbort(js(), signal);
      const publishing = client.publish(subject, payload, {
        msgID,
        timeout: Math.max(1, Math.min(options.ackTimeoutMs, remaining)),
        expect: { streamName: options.stream },
        ...(options.headers === undefined ? {} : { headers: options.headers }),
      });
      const onReconnect = options.onReconnect;
      const acked: Promise<PubAck> =
        onReconnect === undefined
          ? publishing
          : new Promise<PubAck>((resolve, reject) => {
              // A reconnect gives this attempt up (its request may be lost); the publish's own outcome is then ignored.
              const remove = onReconnect(() => {
                reject(new Reconnected());
              });
              publishing.then(
                (value) => {
                  remove();
                  resolve(value);
                },
                (error: unknown) => {
                  remove();
                  reject(error instanceof Error ? error : new Error(String(error)));
                },
              );
            });
      const ack = signal === undefined ? await acked : await raceAbort(acked, signal);
      return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate, attempts };
    } catch (error) {
      if (signal?.aborted) throw aborted();
      lastError = error;
      // The server answered and refused (wrong stream, too large…): retrying will not help.
      if (error instanceof JetStreamApiError) break;
      // Reconnected: the server is back, try again now.
      if (error instanceof Reconnected) continue;
      const wait = Math.min(1000, 50 * 2 ** Math.min(attempts, 5), deadline - performance.now());
      if (wait <= 0) break;
      await sleep(wait, signal);
    }
  }
  const refused = lastError instanceof JetStreamApiError;
  throw new ReceiverError(
    refused ? "Source" : "Timeout",
    `${refused ? "JetStream refused" : "no publish ack for"} ${JSON.stringify(msgID)} on ${subject} (stream ${options.stream}) after ${attempts} attempt${attempts === 1 ? "" : "s"}${refused ? "" : ` within ${options.timeoutMs} ms`}: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
    { cause: lastError },
  );
}

/** An attempt given up because the connection reconnected while it waited for its ack. */
class Reconnected extends Error {
  constructor() {
    super("the connection reconnected while the publish waited for its ack");
  }
}
