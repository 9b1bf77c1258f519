export {
  DEFAULT_CELL_DUPLICATE_WINDOW_MS,
  DEFAULT_CELL_STREAM,
  DEFAULT_CELL_SUBJECT_PREFIX,
  DEFAULT_CELL_WORKERS_DURABLE,
  cellWorkSubject,
} from "./cell-work-queue.js";
export { NatsCellSubmitter } from "./nats-cell-submitter.js";
export type { NatsCellSubmission, NatsCellSubmitterOptions } from "./nats-cell-submitter.js";
export { runNatsCellWorker } from "./nats-cell-worker.js";
export type { NatsCellRun, NatsCellRunOutcome, NatsCellWorkerOptions, NatsCellWorkerReport } from "./nats-cell-worker.js";
