import { CellosEventType } from "@cellos-cortex/cellos-core";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import { buildCellResult, eventCellId, exportPathOf, parseRfc3339ToUnixMs } from "@cellos-cortex/receiver";
import type { CellDetail, CellDoctrine, CellState, CellSummary, DashboardStats, DoctrineApplicationView, DoctrineChangeView, TimelineEntry } from "./cell-view.js";
import { DashboardError } from "./dashboard-error.js";
import { eventLabel, summarizeEvent } from "./event-summary.js";

export const DEFAULT_MAX_CELLS = 1000;
export const DEFAULT_MAX_TIMELINE_ENTRIES = 500;

export interface CellProjectionOptions {
  /** Cells kept; beyond it the oldest finished cell (else the oldest) is forgotten. Default 1000. */
  maxCells?: number;
  /** Timeline entries kept per cell (the newest); older ones are counted as dropped. Default 500. */
  maxTimelineEntries?: number;
}

/** What applying one event changed. */
export type ProjectionChange =
  | { kind: "cell"; cell: CellSummary; evicted: string[] }
  | { kind: "duplicate"; cellId: string }
  | { kind: "ignored" };

/** Everything known about one cell. Result-relevant events are kept apart from the (capped) timeline. */
interface CellRecord {
  cellId: string;
  firstSeenSeq: number;
  seen: Set<string>;
  eventCount: number;
  timeline: TimelineEntry[];
  droppedTimelineEntries: number;
  packId: string | null;
  doctrine: CellDoctrine | null;
  started: CloudEventV1 | undefined;
  lastDestroyed: CloudEventV1 | undefined;
  lastCommand: CloudEventV1 | undefined;
  lastFailed: CloudEventV1 | undefined;
  exports: CloudEventV1[];
  enforced: Record<string, boolean> | null;
  isolation: string | null;
  /** Any event other than `cortex.v1.dispatched` arrived: the supervisor has the cell. */
  supervised: boolean;
  summary: CellSummary;
}

type CellFacts = Omit<CellRecord, "summary">;

const TERMINAL: ReadonlySet<CellState> = new Set(["succeeded", "failed", "forced"]);
const MAX_EXPORTS = 1000;
/** Event keys remembered per cell for re-delivery checks, as a multiple of `maxTimelineEntries`. */
const SEEN_PER_TIMELINE_ENTRY = 4;
/** Event data longer than this (as JSON) is not kept in the timeline; its summary still is. */
export const MAX_TIMELINE_DATA_CHARS = 16 * 1024;

function objectOf(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function stringsOf(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === "string") ? [...value] : undefined;
}

function timeMs(time: string | null | undefined): number | null {
  return typeof time === "string" ? (parseRfc3339ToUnixMs(time) ?? null) : null;
}

/** `applied` as `DoctrineAuthorityPolicy` reports it (`{doctrineId, changes: {path, before, after}[]}[]`); other shapes are skipped. */
function appliedOf(value: unknown): DoctrineApplicationView[] {
  if (!Array.isArray(value)) return [];
  const applied: DoctrineApplicationView[] = [];
  for (const item of value) {
    const entry = objectOf(item);
    const doctrineId = stringOf(entry?.doctrineId);
    if (entry === undefined || doctrineId === undefined) continue;
    const changes: DoctrineChangeView[] = [];
    if (Array.isArray(entry.changes)) {
      for (const change of entry.changes) {
        const fields = objectOf(change);
        const path = stringOf(fields?.path);
        if (fields !== undefined && path !== undefined) changes.push({ path, before: fields.before, after: fields.after });
      }
    }
    applied.push({ doctrineId, changes });
  }
  return applied;
}

/** Doctrine an event carries (`doctrineRefs`, `applied`, `unknownDoctrineIds`), merged into what is known. */
function mergeDoctrine(known: CellDoctrine | null, data: Record<string, unknown>): CellDoctrine | null {
  const refs = stringsOf(data.doctrineRefs);
  const applied = appliedOf(data.applied);
  const unknown = stringsOf(data.unknownDoctrineIds);
  if (refs === undefined && applied.length === 0 && unknown === undefined) return known;
  return {
    refs: refs ?? known?.refs ?? [],
    applied: applied.length > 0 ? applied : (known?.applied ?? []),
    unknownDoctrineIds: unknown ?? known?.unknownDoctrineIds ?? [],
  };
}

function enforcedOf(value: unknown): Record<string, boolean> | null {
  const fields = objectOf(value);
  if (fields === undefined) return null;
  const enforced: Record<string, boolean> = {};
  for (const [axis, flag] of Object.entries(fields)) if (typeof flag === "boolean") enforced[axis] = flag;
  return Object.keys(enforced).length > 0 ? enforced : null;
}

function integerOf(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) ? value : null;
}

function keptData(data: unknown): unknown {
  if (data === undefined) return null;
  let json: string;
  try {
    json = JSON.stringify(data);
  } catch (error) {
    // An in-process source may hand over values JSON cannot hold (a BigInt, a cycle).
    return `(data that is not JSON, not kept: ${error instanceof Error ? error.message : String(error)})`;
  }
  return json.length > MAX_TIMELINE_DATA_CHARS ? `(${json.length} characters of data, not kept)` : data;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new DashboardError("InvalidOptions", `${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/**
 * The dashboard's view of cells, fed one CloudEvent at a time from any
 * source (HTTP, a JSONL file, an in-process channel). Events are grouped by
 * `data.cellId`; re-deliveries (same `source` and `id`) are ignored; the
 * outcome uses the receiver's `buildCellResult`, so the dashboard says what
 * the bridge would return. Memory is bounded (`maxCells`,
 * `maxTimelineEntries`). Events may arrive in any order: the state is derived
 * from which events are present, not from the last one.
 */
export class CellProjection {
  readonly maxCells: number;
  readonly maxTimelineEntries: number;
  private readonly cells = new Map<string, CellRecord>();
  private seq = 0;
  private readonly counters: DashboardStats = { cells: 0, events: 0, duplicates: 0, ignored: 0, evicted: 0 };

  constructor(options: CellProjectionOptions = {}) {
    this.maxCells = positiveInteger("maxCells", options.maxCells ?? DEFAULT_MAX_CELLS);
    this.maxTimelineEntries = positiveInteger("maxTimelineEntries", options.maxTimelineEntries ?? DEFAULT_MAX_TIMELINE_ENTRIES);
  }

  get stats(): DashboardStats {
    return { ...this.counters, cells: this.cells.size };
  }

  apply(event: CloudEventV1): ProjectionChange {
    const cellId = eventCellId(event);
    if (cellId === undefined || cellId === "") {
      this.counters.ignored += 1;
      return { kind: "ignored" };
    }
    let record = this.cells.get(cellId);
    const evicted: string[] = [];
    if (record === undefined) {
      record = this.newRecord(cellId);
      this.cells.set(cellId, record);
      while (this.cells.size > this.maxCells) {
        const victim = this.evictOne(cellId);
        if (victim === undefined) break;
        evicted.push(victim);
      }
    }
    const key = `${event.source}\u0000${event.id}`;
    if (record.seen.has(key)) {
      this.counters.duplicates += 1;
      return { kind: "duplicate", cellId };
    }
    record.seen.add(key);
    if (record.seen.size > this.maxTimelineEntries * SEEN_PER_TIMELINE_ENTRY) {
      // Forget the oldest key (a Set iterates in insertion order).
      for (const oldest of record.seen) {
        record.seen.delete(oldest);
        break;
      }
    }
    record.eventCount += 1;
    this.counters.events += 1;
    this.seq += 1;
    this.record(record, event);
    record.summary = this.summarize(record);
    return { kind: "cell", cell: record.summary, evicted };
  }

  /** Every cell, newest first. */
  snapshot(): CellSummary[] {
    return [...this.cells.values()].map((record) => record.summary).reverse();
  }

  detail(cellId: string): CellDetail | undefined {
    const record = this.cells.get(cellId);
    if (record === undefined) return undefined;
    return {
      ...record.summary,
      doctrine: record.doctrine,
      enforced: record.enforced,
      isolation: record.isolation,
      exportPaths: record.exports.map((event) => exportPathOf(event)).filter((path): path is string => path !== undefined),
      timeline: [...record.timeline],
      droppedTimelineEntries: record.droppedTimelineEntries,
    };
  }

  private newRecord(cellId: string): CellRecord {
    const facts: CellFacts = {
      cellId,
      firstSeenSeq: this.seq + 1,
      seen: new Set(),
      eventCount: 0,
      timeline: [],
      droppedTimelineEntries: 0,
      packId: null,
      doctrine: null,
      started: undefined,
      lastDestroyed: undefined,
      lastCommand: undefined,
      lastFailed: undefined,
      exports: [],
      enforced: null,
      isolation: null,
      supervised: false,
    };
    return { ...facts, summary: this.summarize(facts) };
  }

  /** Forgets the oldest finished cell, else the oldest cell (never `keep`, the one just added). */
  private evictOne(keep: string): string | undefined {
    let victim: string | undefined;
    for (const [id, record] of this.cells) {
      if (id === keep) continue;
      if (TERMINAL.has(record.summary.state)) {
        victim = id;
        break;
      }
      victim ??= id;
    }
    if (victim === undefined) return undefined;
    this.cells.delete(victim);
    this.counters.evicted += 1;
    return victim;
  }

  private record(record: CellRecord, event: CloudEventV1): void {
    const data = objectOf(event.data) ?? {};
    if (event.type !== CellosEventType.cortexDispatched) record.supervised = true;
    switch (event.type) {
      case CellosEventType.cortexDispatched:
        record.packId = stringOf(data.packId) ?? record.packId;
        record.doctrine = mergeDoctrine(record.doctrine, data);
        break;
      case CellosEventType.lifecycleStarted:
        record.started ??= event;
        record.doctrine = mergeDoctrine(record.doctrine, data);
        record.enforced = enforcedOf(data.enforced) ?? record.enforced;
        record.isolation = stringOf(data.isolation) ?? record.isolation;
        break;
      case CellosEventType.lifecycleDestroyed:
        record.lastDestroyed = event;
        break;
      case CellosEventType.lifecycleFailed:
        record.lastFailed = event;
        break;
      case CellosEventType.commandCompleted:
        record.lastCommand = event;
        break;
      case CellosEventType.exportV1Completed:
      case CellosEventType.exportV2Completed:
        if (record.exports.length < MAX_EXPORTS) record.exports.push(event);
        break;
      default:
        break;
    }
    record.timeline.push({
      seq: this.seq,
      id: event.id,
      source: event.source,
      type: event.type,
      label: eventLabel(event.type),
      time: event.time ?? null,
      summary: summarizeEvent(event),
      data: keptData(event.data),
    });
    if (record.timeline.length > this.maxTimelineEntries) {
      const excess = record.timeline.length - this.maxTimelineEntries;
      record.timeline.splice(0, excess);
      record.droppedTimelineEntries += excess;
    }
  }

  private summarize(record: CellFacts): CellSummary {
    const resultEvents = [record.lastCommand, ...record.exports, record.lastDestroyed].filter((event): event is CloudEventV1 => event !== undefined);
    const result = buildCellResult(record.cellId, resultEvents, { packId: record.packId ?? "" });
    const destroyedData = objectOf(record.lastDestroyed?.data);
    let state: CellState;
    if (record.lastDestroyed !== undefined) {
      if (destroyedData?.terminalState === "forced") state = "forced";
      else state = result?.success === true ? "succeeded" : "failed";
    } else if (record.lastFailed !== undefined) {
      state = "failed";
    } else if (record.supervised) {
      state = "running";
    } else {
      state = "dispatched";
    }
    const startedAt = record.started?.time ?? null;
    const startedAtMs = timeMs(record.started?.time);
    const destroyedAt = record.lastDestroyed?.time ?? null;
    const destroyedAtMs = result === undefined || result.lifecycleDestroyedAt === 0 ? null : result.lifecycleDestroyedAt;
    const reason = stringOf(destroyedData?.reason) ?? stringOf(objectOf(record.lastFailed?.data)?.reason) ?? null;
    return {
      cellId: record.cellId,
      packId: record.packId,
      state,
      exitCode: result?.exitCode ?? integerOf(objectOf(record.lastCommand?.data)?.exitCode),
      startedAt,
      startedAtMs,
      destroyedAt,
      destroyedAtMs,
      durationMs: startedAtMs !== null && destroyedAtMs !== null && destroyedAtMs >= startedAtMs ? destroyedAtMs - startedAtMs : null,
      reason,
      eventCount: record.eventCount,
      firstSeenSeq: record.firstSeenSeq,
    };
  }
}
