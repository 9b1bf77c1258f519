import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import type { BridgeLogger } from "../logger.js";

/** A fresh directory under the OS temp dir, and a function that removes it. */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `bridge-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The seed's `ev(ty, time, data)` test builder (id `test-<type>`, source `test`). */
export function ev(type: string, time: string | undefined, data: Record<string, unknown>): CloudEventV1 {
  return {
    specversion: "1.0",
    id: `test-${type}`,
    source: "test",
    type,
    datacontenttype: "application/json",
    data,
    ...(time === undefined ? {} : { time }),
  };
}

/** A logger that keeps what it is told. */
export class RecordingLogger implements BridgeLogger {
  readonly warnings: { message: string; fields: Record<string, unknown> | undefined }[] = [];
  warn(message: string, fields?: Record<string, unknown>): void {
    this.warnings.push({ message, fields });
  }
}

export const LIFECYCLE_DESTROYED_TYPE = "dev.cellos.events.cell.lifecycle.v1.destroyed";
export const COMMAND_COMPLETED_TYPE = "dev.cellos.events.cell.command.v1.completed";
export const EXPORT_COMPLETED_V1_TYPE = "dev.cellos.events.cell.export.v1.completed";
export const EXPORT_COMPLETED_V2_TYPE = "dev.cellos.events.cell.export.v2.completed";

/** Host pids whose command line contains `marker` (reads /proc). */
export async function pidsWithMarker(marker: string): Promise<number[]> {
  const { readdir, readFile } = await import("node:fs/promises");
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`)).toString("utf8").replaceAll("\0", " ");
      if (cmdline.includes(marker)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}
