import { CloudEvent } from "cloudevents";
import { ExecutionCellDocumentSchema, commandCompletedEvent, parseCloudEventV1, parseExecutionCellDocument } from "@cellos-cortex/cellos-core";
import { compare } from "./harness.js";

/**
 * cellos-core overheads (no speed target in issue 3; the numbers are recorded):
 * - `parseExecutionCellDocument` (zod + `__proto__` check + key order kept +
 *   CellosError) against a bare `ExecutionCellDocumentSchema.safeParse`;
 * - reading one JSONL event line with `parseCloudEventV1` against the
 *   cloudevents SDK's `new CloudEvent(…)` (which validates, and truncates time);
 * - building an event with `commandCompletedEvent` against `new CloudEvent(…)`.
 */
export default async function (): Promise<void> {
  const document = {
    apiVersion: "cellos.io/v1",
    kind: "ExecutionCell",
    spec: {
      id: "demo-cell-002",
      correlation: { platform: "github-actions", externalRunId: "run-42", labels: { team: "infra" } },
      run: { argv: ["node", "agent.js", "summarise the ticket"], timeoutMs: 300000 },
      authority: { egressRules: [{ host: "api.example.com", port: 443 }], secretRefs: ["API_KEY"], filesystem: { readOnly: true } },
      lifetime: { ttlSeconds: 300 },
    },
  };
  await compare({
    name: "parseExecutionCellDocument vs plain zod safeParse (same schema)",
    ours: () => parseExecutionCellDocument(document),
    baseline: () => ExecutionCellDocumentSchema.safeParse(document),
  });

  const line = JSON.stringify(
    commandCompletedEvent({ source: "/cellos/supervisor/h1", cellId: "c1", specId: "s1", argv: ["node", "a.js"], exitCode: 0, durationMs: 12, time: "2026-07-08T09:10:11.123456789Z" }),
  );
  await compare({
    name: "JSONL line → parseCloudEventV1 vs → new CloudEvent (cloudevents SDK)",
    ours: () => parseCloudEventV1(JSON.parse(line)),
    baseline: () => new CloudEvent(JSON.parse(line) as Record<string, unknown>),
  });

  await compare({
    name: "commandCompletedEvent vs new CloudEvent (cloudevents SDK)",
    ours: () => commandCompletedEvent({ source: "/cellos/supervisor/h1", cellId: "c1", specId: "s1", argv: ["node", "a.js"], exitCode: 0, durationMs: 12 }),
    baseline: () =>
      new CloudEvent({
        source: "/cellos/supervisor/h1",
        type: "dev.cellos.events.cell.command.v1.completed",
        datacontenttype: "application/json",
        data: { cellId: "c1", specId: "s1", argv: ["node", "a.js"], exitCode: 0, durationMs: 12 },
      }),
  });
}
