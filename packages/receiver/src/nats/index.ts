export {
  DEFAULT_EVENT_STREAM,
  DEFAULT_EVENT_SUBJECT_PREFIX,
  NO_CELL_TOKEN,
  cellEventSubject,
  cellSubjectFilter,
  cellSubjectToken,
  checkSubjectPrefix,
  decodeSubjectToken,
  encodeSubjectToken,
  eventSubject,
  streamSubjectFilter,
  typeSubjectTokens,
} from "./subject-scheme.js";
export { NatsLink, checkCount, checkMillis, checkName } from "./nats-connection.js";
export type { NatsConnectionOptions } from "./nats-connection.js";
export { DEFAULT_DUPLICATE_WINDOW_MS, ensureStream } from "./jetstream-stream.js";
export { ensureDurableConsumer, isJetStreamApiError } from "./jetstream-consumer.js";
export { publishUntilAcked } from "./jetstream-publish.js";
export type { PublishAck, PublishUntilAckedOptions } from "./jetstream-publish.js";
export type { EnsuredStream, JetStreamStreamSpec } from "./jetstream-stream.js";
export { CLOUDEVENTS_JSON_CONTENT_TYPE, NatsJetStreamSink } from "./nats-jetstream-sink.js";
export type { EmitOptions, NatsJetStreamSinkOptions, NatsJetStreamSinkStats, NatsPublishReceipt } from "./nats-jetstream-sink.js";
export { NatsJetStreamSource } from "./nats-jetstream-source.js";
export type { InvalidNatsMessage, NatsJetStreamSourceOptions, NatsJetStreamSourceStats } from "./nats-jetstream-source.js";
export { NATS_SERVER_INSTALL_HINT, findNatsServer, freeLoopbackPort, startNatsServer } from "./test-server.js";
export type { NatsTestServer, NatsTestServerOptions } from "./test-server.js";
