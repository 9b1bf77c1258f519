import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";

export const LIFECYCLE_STARTED = "dev.cellos.events.cell.lifecycle.v1.started";
export const LIFECYCLE_DESTROYED = "dev.cellos.events.cell.lifecycle.v1.destroyed";
export const COMMAND_COMPLETED = "dev.cellos.events.cell.command.v1.completed";
export const EXPORT_V1_COMPLETED = "dev.cellos.events.cell.export.v1.completed";
export const EXPORT_V2_COMPLETED = "dev.cellos.events.cell.export.v2.completed";

/** The seed's test helper `ev(ty, time, data)`: id `test-<type>`, source `test`. */
export function ev(type: string, time: string | undefined, data: unknown, id = `test-${type}`): CloudEventV1 {
  return {
    specversion: "1.0",
    id,
    source: "test",
    type,
    datacontenttype: "application/json",
    data,
    ...(time === undefined ? {} : { time }),
  };
}

export function jsonl(events: readonly unknown[]): string {
  return events.map((e) => JSON.stringify(e)).join("\n") + "\n";
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "receiver-test-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Next value of an async iterator, failing (instead of hanging) after `timeoutMs`. */
export async function nextWithin<T>(iterator: AsyncIterator<T>, timeoutMs = 5000): Promise<IteratorResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no value within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([iterator.next(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The next `count` values of an iterator (each within `timeoutMs`). */
export async function take<T>(iterator: AsyncIterator<T>, count: number, timeoutMs = 5000): Promise<T[]> {
  const values: T[] = [];
  while (values.length < count) {
    const result = await nextWithin(iterator, timeoutMs);
    if (result.done === true) throw new Error(`iterator ended after ${values.length} of ${count} values`);
    values.push(result.value);
  }
  return values;
}

let counter = 0;
/** A distinct event of `type` for `cellId`. */
export function cellEvent(type: string, cellId: string, extra: Record<string, unknown> = {}, time = "2026-01-01T00:00:00Z"): CloudEventV1 {
  counter += 1;
  return { specversion: "1.0", id: `evt-${counter}`, source: "/cellos/supervisor/test", type, time, datacontenttype: "application/json", data: { cellId, specId: cellId, ...extra } };
}
