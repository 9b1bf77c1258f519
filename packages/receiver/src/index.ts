export { ReceiverError, RECEIVER_ERROR_KINDS, isReceiverError } from "./receiver-error.js";
export type { ReceiverErrorKind } from "./receiver-error.js";
export type { ReceiverLogger } from "./logger.js";
export { consoleLogger } from "./logger.js";
export type { CellEventSource, EventStreamOptions } from "./cell-event-source.js";
export { EventChannel } from "./event-channel.js";
export type { EventChannelOptions } from "./event-channel.js";
export { checkCloudEvent, parseCloudEvent } from "./event-validation.js";
export type { EventCheck, EventValidationOptions } from "./event-validation.js";
export { SignedEventEnvelopeSchema, isSignedEventEnvelope } from "./signed-envelope.js";
export type { SignedEventEnvelope, SignedEnvelopeVerifier } from "./signed-envelope.js";
export { decodeJsonlLine, decodeJsonlText, parseJsonlEvents } from "./jsonl-event-line.js";
export type { InvalidLineKind, JsonlLineOptions, JsonlLineResult } from "./jsonl-event-line.js";
export { JsonlLineSplitter } from "./jsonl-line-splitter.js";
export type { OversizedLine, SplitLine, SplitResult } from "./jsonl-line-splitter.js";
export { JsonlTailSource, DEFAULT_MAX_LINE_BYTES, DEFAULT_POLL_INTERVAL_MS } from "./jsonl-tail.js";
export type { InvalidLine, JsonlTailSourceOptions, JsonlTailStats } from "./jsonl-tail.js";
export {
  BATCH_CONTENT_TYPE,
  STRUCTURED_CONTENT_TYPE,
  cloudEventsModeOf,
  decodeCloudEventsHttp,
} from "./cloudevents-http.js";
export type { CloudEventsHttpMode, CloudEventsHttpProblem, CloudEventsHttpResult, HttpHeaders } from "./cloudevents-http.js";
export { HttpCloudEventsReceiver, DEFAULT_BODY_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES } from "./http-receiver.js";
export type { HttpCloudEventsReceiverOptions, HttpListenInfo, HttpReceiverStats } from "./http-receiver.js";
export { CortexCellResultSchema, buildCellResult, eventCellId, exportPathOf, RESULT_EVENT_TYPES } from "./cell-result.js";
export type { CellResultContext, CortexCellResult } from "./cell-result.js";
export { CellResultTracker, DEFAULT_MAX_CELLS, DEFAULT_WAIT_TIMEOUT_MS } from "./cell-result-tracker.js";
export type { CellResultTrackerOptions, CellResultTrackerStats, WaitForOptions } from "./cell-result-tracker.js";
export { parseRfc3339ToUnixMs } from "./rfc3339.js";
