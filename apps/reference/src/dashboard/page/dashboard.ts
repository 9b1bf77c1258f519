/// <reference lib="dom" />
/**
 * The dashboard page script (runs in the browser, served as
 * `/assets/dashboard.js`). Plain DOM, no framework. Every value that comes
 * from an event is put on the page with `textContent` (or as an attribute
 * value), never parsed as markup: a cell id `<script>…` shows as text.
 */
import type { CellDetail, CellState, CellSummary, DashboardSnapshot, DashboardStats, DashboardStreamMessages, LedgerStatus, TimelineEntry } from "../cell-view.js";

const STATES: readonly CellState[] = ["dispatched", "running", "succeeded", "failed", "forced"];

const cells = new Map<string, CellSummary>();
const rows = new Map<string, HTMLTableRowElement>();
let selected: string | null = null;
let detailRequest = 0;
let detailRefreshPending = false;

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
}

const tbody = byId<HTMLTableSectionElement>("cell-rows");
const empty = byId<HTMLParagraphElement>("empty");
const counts = byId<HTMLUListElement>("counts");
const ledger = byId<HTMLDivElement>("ledger");
const connection = byId<HTMLDivElement>("connection");
const detail = byId<HTMLElement>("detail");

/** Creates an element; `text` goes in as text, never as markup. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className !== undefined) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

function formatTime(ms: number | null, raw: string | null): string {
  if (ms === null) return raw ?? "—";
  const date = new Date(ms);
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

function formatDuration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} m ${pad(Math.floor((ms % 60_000) / 1000))} s`;
}

function badge(state: CellState): HTMLSpanElement {
  const span = el("span", "badge state", state);
  span.dataset.state = state;
  return span;
}

function timeCell(ms: number | null, raw: string | null): HTMLTableCellElement {
  const td = el("td", "time", formatTime(ms, raw));
  if (raw !== null) td.title = raw;
  return td;
}

function durationText(cell: CellSummary): string {
  if (cell.durationMs !== null) return formatDuration(cell.durationMs);
  if (cell.state === "running" && cell.startedAtMs !== null) return `${formatDuration(Math.max(0, Date.now() - cell.startedAtMs))}…`;
  return "—";
}

function fillRow(row: HTMLTableRowElement, cell: CellSummary): void {
  row.dataset.cellId = cell.cellId;
  row.dataset.state = cell.state;
  const id = el("td", "cell-id", cell.cellId);
  id.title = cell.cellId;
  const pack = el("td", "pack", cell.packId ?? "—");
  if (cell.packId !== null) pack.title = cell.packId;
  const state = el("td");
  state.append(badge(cell.state));
  row.replaceChildren(
    id,
    pack,
    state,
    el("td", "num exit", cell.exitCode === null ? "—" : String(cell.exitCode)),
    timeCell(cell.startedAtMs, cell.startedAt),
    timeCell(cell.destroyedAtMs, cell.destroyedAt),
    el("td", "num duration", durationText(cell)),
  );
}

function newRow(cellId: string): HTMLTableRowElement {
  const row = el("tr");
  row.tabIndex = 0;
  row.setAttribute("aria-selected", String(selected === cellId));
  row.addEventListener("click", () => select(cellId));
  row.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      select(cellId);
    }
  });
  return row;
}

function upsert(cell: CellSummary): void {
  cells.set(cell.cellId, cell);
  let row = rows.get(cell.cellId);
  if (row === undefined) {
    row = newRow(cell.cellId);
    rows.set(cell.cellId, row);
    tbody.prepend(row);
  }
  fillRow(row, cell);
}

function remove(cellId: string): void {
  cells.delete(cellId);
  rows.get(cellId)?.remove();
  rows.delete(cellId);
  if (selected === cellId) {
    detail.replaceChildren(el("p", "note", "This cell was forgotten to keep the dashboard's memory bounded."));
  }
}

function renderCounts(stats: DashboardStats): void {
  const byState = new Map<CellState, number>(STATES.map((state) => [state, 0]));
  for (const cell of cells.values()) byState.set(cell.state, (byState.get(cell.state) ?? 0) + 1);
  const items: HTMLLIElement[] = [];
  const total = el("li");
  total.append(el("strong", undefined, String(cells.size)), document.createTextNode(cells.size === 1 ? "cell" : "cells"));
  items.push(total);
  for (const state of STATES) {
    const count = byState.get(state) ?? 0;
    if (count === 0) continue;
    const item = el("li");
    item.dataset.state = state;
    item.append(badge(state), el("strong", undefined, String(count)));
    items.push(item);
  }
  counts.replaceChildren(...items);
  counts.title = `${stats.events} events, ${stats.duplicates} duplicates ignored, ${stats.ignored} without a cell id, ${stats.evicted} cells forgotten`;
  empty.hidden = cells.size > 0;
}

function renderLedger(status: LedgerStatus): void {
  if (!status.configured) {
    ledger.dataset.ledgerState = "off";
    ledger.textContent = "ledger: not configured";
    ledger.title = "start serve with --ledger <file> to verify a ledger";
    return;
  }
  ledger.dataset.ledgerState = status.state;
  const signed = status.signed ? ", signatures checked" : "";
  const rowsText = `${status.count} ${status.count === 1 ? "row" : "rows"}`;
  const text: Record<typeof status.state, string> = {
    pending: "ledger: checking…",
    verified: `ledger ✓ verified · ${rowsText}${signed}`,
    broken: `ledger ✗ broken at row ${status.firstBadIndex ?? "?"}`,
    missing: "ledger: no file yet",
    error: "ledger: cannot be read",
  };
  ledger.textContent = text[status.state];
  ledger.title = [status.path, status.reason, status.checkedAt === null ? null : `checked ${status.checkedAt}`].filter((part) => part !== null).join("\n");
}

function setConnection(state: "connecting" | "live" | "reconnecting"): void {
  connection.dataset.connection = state;
  connection.textContent = state === "live" ? "live" : state === "connecting" ? "connecting…" : "reconnecting…";
}

function applySnapshot(snapshot: DashboardSnapshot): void {
  const keep = new Set(snapshot.cells.map((cell) => cell.cellId));
  for (const cellId of [...rows.keys()]) if (!keep.has(cellId)) remove(cellId);
  // Snapshot order is newest first; prepend oldest first to end up the same.
  for (const cell of [...snapshot.cells].reverse()) {
    const row = rows.get(cell.cellId);
    if (row !== undefined) {
      fillRow(row, cell);
      cells.set(cell.cellId, cell);
      tbody.prepend(row);
    } else {
      upsert(cell);
    }
  }
  renderCounts(snapshot.stats);
  renderLedger(snapshot.ledger);
  if (selected !== null && keep.has(selected)) refreshDetail();
}

// ---- side panel ------------------------------------------------------------

function select(cellId: string): void {
  selected = cellId;
  for (const [id, row] of rows) row.setAttribute("aria-selected", String(id === cellId));
  detail.hidden = false;
  detail.dataset.cellId = cellId;
  refreshDetail();
}

function closeDetail(): void {
  selected = null;
  detail.hidden = true;
  delete detail.dataset.cellId;
  for (const row of rows.values()) row.setAttribute("aria-selected", "false");
}

/** Fetches the selected cell again; overlapping updates make one request after the one in flight. */
function refreshDetail(): void {
  if (selected === null) return;
  if (detailRefreshPending) return;
  detailRefreshPending = true;
  queueMicrotask(() => {
    detailRefreshPending = false;
    void loadDetail();
  });
}

async function loadDetail(): Promise<void> {
  const cellId = selected;
  if (cellId === null) return;
  const request = ++detailRequest;
  try {
    const response = await fetch(`/api/cells/${encodeURIComponent(cellId)}`, { headers: { accept: "application/json" } });
    if (request !== detailRequest || selected !== cellId) return;
    if (response.status === 404) {
      detail.replaceChildren(el("p", "note", "This cell is no longer known to the dashboard."));
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    renderDetail((await response.json()) as CellDetail);
  } catch (error) {
    if (request !== detailRequest) return;
    detail.replaceChildren(el("p", "note", `Could not load the cell: ${error instanceof Error ? error.message : String(error)}`));
  }
}

function fact(list: HTMLDListElement, name: string, value: string): void {
  const dd = el("dd", undefined, value);
  dd.dataset.fact = name.toLowerCase();
  list.append(el("dt", undefined, name), dd);
}

function json(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function timelineKind(entry: TimelineEntry, cell: CellDetail): string {
  if (entry.label.startsWith("lifecycle.v1.started") || entry.label.startsWith("cortex.")) return "start";
  if (entry.label.endsWith(".failed")) return "bad";
  if (entry.label === "lifecycle.v1.destroyed") return cell.state === "succeeded" ? "good" : "bad";
  if (entry.label.startsWith("export.") && entry.label.endsWith(".completed")) return "good";
  return "info";
}

function renderDetail(cell: CellDetail): void {
  const close = el("button", "close", "×");
  close.type = "button";
  close.title = "close";
  close.setAttribute("aria-label", "close the cell detail");
  close.addEventListener("click", closeDetail);
  const head = el("div", "detail-head");
  head.append(el("h2", "detail-cell-id", cell.cellId), badge(cell.state), close);

  const facts = el("dl", "facts");
  fact(facts, "Pack", cell.packId ?? "—");
  fact(facts, "Exit code", cell.exitCode === null ? "—" : String(cell.exitCode));
  fact(facts, "Started", cell.startedAt ?? "—");
  fact(facts, "Destroyed", cell.destroyedAt ?? "—");
  fact(facts, "Duration", durationText(cell));
  if (cell.reason !== null) fact(facts, "Reason", cell.reason);
  if (cell.isolation !== null) fact(facts, "Isolation", cell.isolation);
  fact(facts, "Events", String(cell.eventCount));

  const parts: HTMLElement[] = [head, facts];

  const doctrine = el("section", "doctrine");
  doctrine.append(el("h3", undefined, "Doctrine"));
  if (cell.doctrine === null) {
    doctrine.append(el("p", "note", "No doctrine reported for this cell."));
  } else {
    const refs = el("ul", "chips doctrine-refs");
    for (const ref of cell.doctrine.refs) refs.append(el("li", "chip", ref));
    if (cell.doctrine.refs.length === 0) refs.append(el("li", "note", "no doctrine refs"));
    doctrine.append(refs);
    for (const application of cell.doctrine.applied) {
      doctrine.append(el("p", "note", `${application.doctrineId} narrowed:`));
      const changes = el("ul", "changes");
      for (const change of application.changes) changes.append(el("li", undefined, `${change.path}: ${json(change.before)} → ${json(change.after)}`));
      if (application.changes.length === 0) changes.append(el("li", undefined, "nothing (already narrow enough)"));
      doctrine.append(changes);
    }
    if (cell.doctrine.unknownDoctrineIds.length > 0) doctrine.append(el("p", "note", `unknown doctrine ids (no effect): ${cell.doctrine.unknownDoctrineIds.join(", ")}`));
  }
  parts.push(doctrine);

  if (cell.enforced !== null) {
    const authority = el("section", "authority");
    authority.append(el("h3", undefined, "Authority enforced by the host"));
    const axes = el("ul", "chips");
    for (const [axis, enforced] of Object.entries(cell.enforced)) {
      const chip = el("li", "chip", `${enforced ? "✓" : "✗"} ${axis}`);
      chip.dataset.enforced = String(enforced);
      chip.title = enforced ? "enforced" : "recorded only, not enforced";
      axes.append(chip);
    }
    authority.append(axes);
    parts.push(authority);
  }

  if (cell.exportPaths.length > 0) {
    const exports = el("section", "exports");
    exports.append(el("h3", undefined, "Exports"));
    const list = el("ul", "changes");
    for (const path of cell.exportPaths) list.append(el("li", "mono", path));
    exports.append(list);
    parts.push(exports);
  }

  const timeline = el("section");
  timeline.append(el("h3", undefined, `Timeline (${cell.timeline.length} events)`));
  if (cell.droppedTimelineEntries > 0) timeline.append(el("p", "note", `${cell.droppedTimelineEntries} earlier events not kept`));
  const list = el("ol", "timeline");
  for (const entry of cell.timeline) {
    const item = el("li");
    item.dataset.type = entry.type;
    item.dataset.kind = timelineKind(entry, cell);
    const when = el("span", "when", entry.time === null ? "—" : formatTime(Date.parse(entry.time) || null, entry.time));
    if (entry.time !== null) when.title = entry.time;
    const data = el("details");
    data.append(el("summary", undefined, "data"), el("pre", undefined, JSON.stringify(entry.data, null, 2)));
    item.append(when, el("span", "label", entry.label), el("span", "summary", entry.summary), data);
    list.append(item);
  }
  timeline.append(list);
  parts.push(timeline);
  detail.replaceChildren(...parts);
}

// ---- live updates ----------------------------------------------------------

function listen<E extends keyof DashboardStreamMessages>(source: EventSource, event: E, handle: (message: DashboardStreamMessages[E]) => void): void {
  source.addEventListener(event, (message: MessageEvent<string>) => {
    handle(JSON.parse(message.data) as DashboardStreamMessages[E]);
  });
}

function connect(): void {
  const source = new EventSource("/api/events/stream");
  source.addEventListener("open", () => setConnection("live"));
  source.addEventListener("error", () => setConnection(source.readyState === EventSource.CLOSED ? "connecting" : "reconnecting"));
  listen(source, "snapshot", applySnapshot);
  listen(source, "cell", ({ cell, stats }) => {
    upsert(cell);
    renderCounts(stats);
    if (cell.cellId === selected) refreshDetail();
  });
  listen(source, "removed", ({ cellIds, stats }) => {
    for (const cellId of cellIds) remove(cellId);
    renderCounts(stats);
  });
  listen(source, "ledger", renderLedger);
}

// Running cells' durations tick without an event.
setInterval(() => {
  for (const [cellId, cell] of cells) {
    if (cell.state !== "running") continue;
    const cellDuration = rows.get(cellId)?.querySelector("td.duration");
    if (cellDuration) cellDuration.textContent = durationText(cell);
    if (cellId === selected) {
      const fact = detail.querySelector('dd[data-fact="duration"]');
      if (fact) fact.textContent = durationText(cell);
    }
  }
}, 1000);

byId<HTMLElement>("events-url").textContent = `${location.origin}/events`;
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && selected !== null) closeDetail();
});
connect();
