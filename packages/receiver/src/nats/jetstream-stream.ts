import { JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import type { JetStreamManager, StreamConfig, StreamInfo } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import type { ReceiverLogger } from "../logger.js";
import { ReceiverError } from "../receiver-error.js";
import { streamSubjectFilter } from "./subject-scheme.js";

/** Default window in which a re-published message id is dropped as a duplicate (2 minutes, the server's default). */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

/** What a stream must be for our use of it. */
export interface JetStreamStreamSpec {
  readonly name: string;
  /** Subjects the stream must hold (each must be among an existing stream's subjects). */
  readonly subjects: readonly string[];
  /** `limits` for events (every consumer sees every message), `workqueue` for cells (a message goes once, then is removed). */
  readonly retention: "limits" | "workqueue";
  /** Duplicate window for `Nats-Msg-Id` (default 120 000 ms). */
  readonly duplicateWindowMs?: number;
  /** Oldest message kept, when set (a new stream only). */
  readonly maxAgeMs?: number;
  /** Largest stream size in bytes, when set (a new stream only). */
  readonly maxBytes?: number;
}

/** The event stream's spec (shared by the sink and the source): `<prefix>.>`, limits retention. */
export function eventStreamSpec(
  name: string,
  subjectPrefix: string,
  limits: { readonly duplicateWindowMs: number | undefined; readonly maxAgeMs: number | undefined },
): JetStreamStreamSpec {
  return {
    name,
    subjects: [streamSubjectFilter(subjectPrefix)],
    retention: "limits",
    ...(limits.duplicateWindowMs === undefined ? {} : { duplicateWindowMs: limits.duplicateWindowMs }),
    ...(limits.maxAgeMs === undefined ? {} : { maxAgeMs: limits.maxAgeMs }),
  };
}

/** What `ensureStream` found or made. */
export interface EnsuredStream {
  readonly name: string;
  /** True when the stream was created by this call. */
  readonly created: boolean;
  readonly subjects: readonly string[];
  readonly duplicateWindowMs: number;
  readonly messages: number;
}

function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function summary(info: StreamInfo, created: boolean): EnsuredStream {
  return {
    name: info.config.name,
    created,
    subjects: [...(info.config.subjects ?? [])],
    duplicateWindowMs: Math.floor(info.config.duplicate_window / 1_000_000),
    messages: info.state.messages,
  };
}

/**
 * Creates the stream (file storage, the given retention and duplicate window) or, when it
 * exists, checks that it is usable: file storage, the same retention, and every required
 * subject among its subjects. A mismatch throws `ReceiverError` `InvalidOptions` naming each
 * difference (an existing stream is never changed behind its operator's back); a different
 * duplicate window is only logged. Other failures are `Source`.
 */
export async function ensureStream(jsm: JetStreamManager, spec: JetStreamStreamSpec, logger: ReceiverLogger): Promise<EnsuredStream> {
  const duplicateWindowMs = spec.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
  const retention = spec.retention === "workqueue" ? RetentionPolicy.Workqueue : RetentionPolicy.Limits;
  let existing: StreamInfo | undefined;
  try {
    existing = await jsm.streams.info(spec.name);
  } catch (error) {
    if (!isStreamNotFound(error)) throw new ReceiverError("Source", `cannot look up stream ${spec.name}: ${describe(error)}`, { cause: error });
  }
  if (existing === undefined) {
    const config: Partial<StreamConfig> & { name: string } = {
      name: spec.name,
      subjects: [...spec.subjects],
      retention,
      storage: StorageType.File,
      duplicate_window: nanos(duplicateWindowMs),
      ...(spec.maxAgeMs === undefined ? {} : { max_age: nanos(spec.maxAgeMs) }),
      ...(spec.maxBytes === undefined ? {} : { max_bytes: spec.maxBytes }),
    };
    try {
      return summary(await jsm.streams.add(config), true);
    } catch (error) {
      // Another process may have created it at the same moment: check what is there now.
      try {
        existing = await jsm.streams.info(spec.name);
      } catch {
        throw new ReceiverError("Source", `cannot create stream ${spec.name} on subjects ${spec.subjects.join(", ")}: ${describe(error)}`, { cause: error });
      }
    }
  }
  const problems: string[] = [];
  if (existing.config.storage !== StorageType.File) problems.push(`storage is ${existing.config.storage}, expected file`);
  if (existing.config.retention !== retention) problems.push(`retention is ${existing.config.retention}, expected ${retention}`);
  const held = existing.config.subjects ?? [];
  for (const subject of spec.subjects) {
    if (!held.includes(subject)) problems.push(`subjects ${JSON.stringify(held)} do not include ${subject}`);
  }
  if (problems.length > 0) throw new ReceiverError("InvalidOptions", `stream ${spec.name} exists but ${problems.join("; ")}`);
  const found = summary(existing, false);
  if (found.duplicateWindowMs !== duplicateWindowMs) {
    logger.warn(`stream ${spec.name} has a duplicate window of ${found.duplicateWindowMs} ms, not the ${duplicateWindowMs} ms asked for; keeping the stream's`, {
      stream: spec.name,
    });
  }
  return found;
}
