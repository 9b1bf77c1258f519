import { isReceiverError } from "@cellos-cortex/receiver";
import { checkSubjectPrefix, encodeSubjectToken, ensureStream } from "@cellos-cortex/receiver/nats";
import type { EnsuredStream } from "@cellos-cortex/receiver/nats";
import type { JetStreamManager } from "@nats-io/jetstream";
import { BridgeError } from "../bridge-error.js";
import type { BridgeLogger } from "../logger.js";

/**
 * The JetStream work queue of ExecutionCell documents (ADR-0028): each document is one message
 * on `<prefix>.<cell token>` (the cell id escaped as in the event subjects) in a work-queue
 * stream, with the cell id as `Nats-Msg-Id`. A message is removed once a worker acknowledges it.
 */
export const DEFAULT_CELL_STREAM = "CELLOS_CELLS";
export const DEFAULT_CELL_SUBJECT_PREFIX = "cellos.cells";
/** The durable pull consumer every worker of a pool shares. */
export const DEFAULT_CELL_WORKERS_DURABLE = "cellos-cell-workers";
/** How long a re-submitted cell id is recognised and dropped (10 minutes). */
export const DEFAULT_CELL_DUPLICATE_WINDOW_MS = 600_000;

/** `<prefix>.<cell token>`. */
export function cellWorkSubject(prefix: string, cellId: string): string {
  return `${prefix}.${encodeSubjectToken(cellId)}`;
}

/** Turns the receiver's option and stream errors into `BridgeError` (`InvalidOptions` or `Submit`). */
export function asBridgeError(error: unknown, what: string): BridgeError {
  if (error instanceof BridgeError) return error;
  if (isReceiverError(error, "InvalidOptions")) return new BridgeError("InvalidOptions", `${what}: ${error.message}`, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new BridgeError("Submit", `${what}: ${message}`, { cause: error });
}

/** Checks the work queue's subject prefix (a `BridgeError` `InvalidOptions` naming it). */
export function checkCellSubjectPrefix(prefix: unknown, what: string): string {
  try {
    return checkSubjectPrefix(prefix, `${what} subjectPrefix`);
  } catch (error) {
    throw asBridgeError(error, what);
  }
}

export interface CellStreamSpec {
  readonly stream: string;
  readonly subjectPrefix: string;
  readonly duplicateWindowMs: number;
}

/** Creates the work-queue stream (file storage, work-queue retention) or checks the existing one. */
export async function ensureCellStream(jsm: JetStreamManager, spec: CellStreamSpec, logger: BridgeLogger): Promise<EnsuredStream> {
  try {
    return await ensureStream(jsm, { name: spec.stream, subjects: [`${spec.subjectPrefix}.>`], retention: "workqueue", duplicateWindowMs: spec.duplicateWindowMs }, logger);
  } catch (error) {
    throw asBridgeError(error, `cell work queue ${spec.stream}`);
  }
}
