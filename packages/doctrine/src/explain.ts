/**
 * `explain(application)`: what a policy application did, as short text for
 * a terminal. One line per change, under the doctrine responsible for it.
 */
import type { PolicyApplication } from "./authority-policy.js";

const MAX_LISTED = 6;

function isEndpoint(value: unknown): value is { host: unknown; port: unknown; protocol?: unknown } {
  return typeof value === "object" && value !== null && "host" in value && "port" in value;
}

function renderItem(item: unknown): string {
  if (isEndpoint(item)) {
    const base = `${String(item.host)}:${String(item.port)}`;
    return typeof item.protocol === "string" ? `${base}/${item.protocol}` : base;
  }
  return typeof item === "string" ? item : JSON.stringify(item) ?? String(item);
}

/** A value as a person reads it: `(absent)`, `(none)`, `a, b, +3 more`, `60`. */
export function renderValue(value: unknown): string {
  if (value === undefined) return "(absent)";
  if (Array.isArray(value)) {
    if (value.length === 0) return "(none)";
    const shown = value.slice(0, MAX_LISTED).map(renderItem);
    const more = value.length > MAX_LISTED ? [`+${value.length - MAX_LISTED} more`] : [];
    return [...shown, ...more].join(", ");
  }
  return renderItem(value);
}

export function explain(application: PolicyApplication): string {
  const { applied, unknownDoctrineIds } = application;
  const paths = new Set(applied.flatMap((a) => a.changes.map((c) => c.path)));
  if (applied.length === 0 && unknownDoctrineIds.length === 0) return "doctrine: no refs; authority unchanged";
  const lines = [
    `doctrine: ${applied.length} applied, ${unknownDoctrineIds.length} unknown, ${paths.size} value${paths.size === 1 ? "" : "s"} narrowed`,
  ];
  for (const { doctrineId, changes } of applied) {
    if (changes.length === 0) {
      lines.push(`  ${doctrineId}: no change (already within it, or a stricter doctrine decided)`);
      continue;
    }
    lines.push(`  ${doctrineId}:`);
    for (const c of changes) lines.push(`    ${c.path}: ${renderValue(c.before)} → ${renderValue(c.after)}`);
  }
  if (unknownDoctrineIds.length > 0) {
    lines.push(`  unknown, no effect: ${unknownDoctrineIds.map((id) => JSON.stringify(id)).join(", ")}`);
  }
  return lines.join("\n");
}
