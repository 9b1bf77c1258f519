/**
 * What the dashboard shows, as sent over `/api/*` and the Server-Sent Events
 * stream. The server builds these; the page script only imports the types
 * (erased at compile time), so both sides agree on one shape. Absent values
 * are `null` so the JSON always has every key.
 */

/**
 * A cell's state: `dispatched` (a `cortex.v1.dispatched` event and nothing
 * from the supervisor yet), `running` (started, not destroyed), then one of
 * `succeeded`, `failed` or `forced` (destroyed with `terminalState: "forced"`,
 * e.g. the TTL ran out).
 */
export type CellState = "dispatched" | "running" | "succeeded" | "failed" | "forced";

export const CELL_STATES: readonly CellState[] = ["dispatched", "running", "succeeded", "failed", "forced"];

/** One row of the cell table. */
export interface CellSummary {
  cellId: string;
  /** The dispatched pack's id (`cortex.v1.dispatched` `packId`). */
  packId: string | null;
  state: CellState;
  /** As `buildCellResult` computes it once destroyed; before that the last `command.v1.completed` exit code. */
  exitCode: number | null;
  /** The first `lifecycle.v1.started` event's `time`, as sent. */
  startedAt: string | null;
  startedAtMs: number | null;
  /** The last `lifecycle.v1.destroyed` event's `time`, as sent. */
  destroyedAt: string | null;
  destroyedAtMs: number | null;
  /** `destroyedAtMs - startedAtMs` when both are known. */
  durationMs: number | null;
  /** The destroyed (or failed) event's `reason`, e.g. `ttl_exceeded`. */
  reason: string | null;
  /** Distinct events of this cell received so far. */
  eventCount: number;
  /** Order in which cells were first seen (higher = newer). */
  firstSeenSeq: number;
}

/** One event in a cell's timeline. */
export interface TimelineEntry {
  /** Order received, over all cells. */
  seq: number;
  id: string;
  source: string;
  type: string;
  /** `type` without the `dev.cellos.events.cell.` prefix, e.g. `lifecycle.v1.started`. */
  label: string;
  time: string | null;
  /** One line saying what the event says. */
  summary: string;
  data: unknown;
}

/** One narrowing a doctrine made (`PolicyApplication.applied[].changes[]`). */
export interface DoctrineChangeView {
  path: string;
  before: unknown;
  after: unknown;
}

export interface DoctrineApplicationView {
  doctrineId: string;
  changes: DoctrineChangeView[];
}

/** Doctrine as carried by a `cortex.v1.dispatched` or `lifecycle.v1.started` event. */
export interface CellDoctrine {
  refs: string[];
  applied: DoctrineApplicationView[];
  unknownDoctrineIds: string[];
}

/** The side panel: a cell with its timeline. */
export interface CellDetail extends CellSummary {
  doctrine: CellDoctrine | null;
  /** Per authority axis, whether the host enforced it (`LocalCellHost`'s `started` event). */
  enforced: Record<string, boolean> | null;
  isolation: string | null;
  exportPaths: string[];
  timeline: TimelineEntry[];
  /** Oldest timeline entries dropped to keep memory bounded. */
  droppedTimelineEntries: number;
}

/** The ledger's verification status (`Ledger.verify`). */
export type LedgerStatus =
  | { configured: false }
  | {
      configured: true;
      path: string;
      /** Signatures are checked (a public key was given). */
      signed: boolean;
      /** `pending` before the first check; `missing` while the file does not exist; `error` when it could not be read. */
      state: "pending" | "verified" | "broken" | "missing" | "error";
      count: number;
      firstBadIndex: number | null;
      reason: string | null;
      checkedAt: string | null;
    };

export interface DashboardStats {
  cells: number;
  /** Distinct cell events applied. */
  events: number;
  /** Re-deliveries (same `source` and `id`) ignored. */
  duplicates: number;
  /** Events that name no cell (`data.cellId` missing). */
  ignored: number;
  /** Cells forgotten to keep memory bounded (oldest finished first). */
  evicted: number;
}

/** `GET /api/cells` and the first message of the event stream. */
export interface DashboardSnapshot {
  cells: CellSummary[];
  ledger: LedgerStatus;
  stats: DashboardStats;
}

/** The Server-Sent Events of `GET /api/events/stream`, by event name. */
export interface DashboardStreamMessages {
  snapshot: DashboardSnapshot;
  cell: { cell: CellSummary; stats: DashboardStats };
  removed: { cellIds: string[]; stats: DashboardStats };
  ledger: LedgerStatus;
}

export type DashboardStreamEvent = keyof DashboardStreamMessages;
