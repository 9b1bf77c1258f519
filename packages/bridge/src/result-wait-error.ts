import { isReceiverError } from "@cellos-cortex/receiver";
import { BridgeError, describeError } from "./bridge-error.js";

/** A failed result wait as a `BridgeError`, with the seed's timeout wording (`cell result timeout after N seconds (cell_id=…)`). */
export function resultWaitError(error: unknown, cellId: string, timeoutMs: number): BridgeError {
  if (error instanceof BridgeError) return error;
  if (isReceiverError(error, "Timeout")) return new BridgeError("Timeout", `cell result timeout after ${timeoutMs / 1000} seconds (cell_id=${cellId})`, { cellId, cause: error });
  if (isReceiverError(error, "Aborted")) return new BridgeError("Aborted", `wait for the result of cell ${JSON.stringify(cellId)} was aborted`, { cellId, cause: error });
  if (isReceiverError(error, "Closed")) return new BridgeError("Closed", `the result tracker was closed while waiting for cell ${JSON.stringify(cellId)}`, { cellId, cause: error });
  return new BridgeError("ResultSource", `cannot follow cell ${JSON.stringify(cellId)}: ${describeError(error)}`, { cellId, cause: error });
}
