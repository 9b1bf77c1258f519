import type { AuthorityBundle, ExecutionCellDocument } from "@cellos-cortex/cellos-core";

/** A valid document running `argv`, with the given authority and extra spec fields. */
export function cellDocument(id: string, argv: string[], options: { authority?: AuthorityBundle; ttlSeconds?: number; timeoutMs?: number; workingDirectory?: string; export?: unknown } = {}): ExecutionCellDocument {
  return {
    apiVersion: "cellos.io/v1",
    kind: "ExecutionCell",
    spec: {
      id,
      run: {
        argv,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.workingDirectory === undefined ? {} : { workingDirectory: options.workingDirectory }),
      },
      authority: options.authority ?? {},
      lifetime: { ttlSeconds: options.ttlSeconds ?? 30 },
      ...(options.export === undefined ? {} : { export: options.export }),
    },
  };
}

/** Event types in the order emitted. */
export function typesOf(events: readonly { type: string }[]): string[] {
  return events.map((event) => event.type.replace("dev.cellos.events.cell.", ""));
}

/** `data` of the first event of a type. */
export function dataOf(events: readonly { type: string; data?: unknown }[], suffix: string): Record<string, unknown> {
  const event = events.find((e) => e.type.endsWith(suffix));
  if (event === undefined) throw new Error(`no ${suffix} event among ${events.map((e) => e.type).join(", ")}`);
  return event.data as Record<string, unknown>;
}
