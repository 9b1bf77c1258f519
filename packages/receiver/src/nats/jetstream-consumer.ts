import { AckPolicy, JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import type { ConsumerConfig, ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";
import { ReceiverError } from "../receiver-error.js";

/** True when `error` is the JetStream API error with this code (e.g. `JetStreamApiCodes.StreamNotFound`). */
export function isJetStreamApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

/**
 * Creates the durable pull consumer `name` with `config` (explicit ack, one filter subject) or,
 * when it exists, checks that it is the same consumer (same filter subject, explicit ack) and
 * updates what may change on a live consumer (`ack_wait`, `max_ack_pending`, `max_deliver`).
 * Several processes calling this at once end with one consumer. A different filter or ack
 * policy throws `ReceiverError` `InvalidOptions`; other failures are the client's errors.
 */
export async function ensureDurableConsumer(jsm: JetStreamManager, stream: string, name: string, config: Partial<ConsumerConfig>): Promise<ConsumerInfo> {
  let existing: ConsumerInfo | undefined;
  try {
    existing = await jsm.consumers.info(stream, name);
  } catch (error) {
    if (!isJetStreamApiError(error, JetStreamApiCodes.ConsumerNotFound)) throw error;
  }
  if (existing === undefined) {
    try {
      return await jsm.consumers.add(stream, { ...config, durable_name: name });
    } catch (error) {
      // Another process may have created it a moment ago; if it is not there, the add's error stands.
      try {
        existing = await jsm.consumers.info(stream, name);
      } catch {
        throw error;
      }
    }
  }
  const current = existing.config;
  const filter = config.filter_subject ?? "";
  if ((current.filter_subject ?? "") !== filter) {
    throw new ReceiverError("InvalidOptions", `durable consumer ${name} of stream ${stream} filters ${JSON.stringify(current.filter_subject ?? "")}, not ${JSON.stringify(filter)}; use another durable name`);
  }
  if (current.ack_policy !== AckPolicy.Explicit) {
    throw new ReceiverError("InvalidOptions", `durable consumer ${name} of stream ${stream} has ack policy ${current.ack_policy}, not explicit`);
  }
  const changed =
    (config.ack_wait !== undefined && current.ack_wait !== config.ack_wait) ||
    (config.max_ack_pending !== undefined && current.max_ack_pending !== config.max_ack_pending) ||
    (config.max_deliver !== undefined && (current.max_deliver ?? -1) !== config.max_deliver);
  if (!changed) return existing;
  return jsm.consumers.update(stream, name, {
    ...(config.ack_wait === undefined ? {} : { ack_wait: config.ack_wait }),
    ...(config.max_ack_pending === undefined ? {} : { max_ack_pending: config.max_ack_pending }),
    ...(config.max_deliver === undefined ? {} : { max_deliver: config.max_deliver }),
  });
}
