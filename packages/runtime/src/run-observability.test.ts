import { canonicalJson } from "@cellos-cortex/cortex-core";
import { StaticAdapter } from "@cellos-cortex/llm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { packFor } from "./__fixtures__/context-packs.js";
import { executeRun } from "./execute-run.js";
import { createRun } from "./run.js";
import { runObservabilityFromWire, runObservabilityToWire } from "./run-report.js";
import type { RuntimeLogger } from "./runtime-logger.js";

/*
 * The observability record (and the trace lines) may carry identifiers and
 * policy/proof metadata only. Plant a unique marker in each secret-bearing
 * input — the task, the system prompt, the raw context pack and the model's
 * text — and search every serialization of the record for it.
 */
describe("run observability never carries the task, prompt, raw context pack or model text", () => {
  const noise = fc.string({ maxLength: 24, unit: "grapheme" });

  it("holds for planted markers in every secret-bearing input (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uuid(), noise, noise, noise, noise, async (id, taskNoise, promptNoise, packNoise, textNoise) => {
        const markers = {
          task: `MARKER-TASK-${id}`,
          prompt: `MARKER-PROMPT-${id}`,
          pack: `MARKER-PACK-${id}`,
          text: `MARKER-TEXT-${id}`,
        };
        const task = `${taskNoise} ${markers.task} ${taskNoise}`;
        const pack = packFor(task, {
          conflicts: [{ summary: `${packNoise}${markers.pack}` }],
        });
        const withRefs = {
          ...pack,
          selectedRefs: [{ summary: `${markers.pack} ${packNoise}`, sensitivity: "internal" }],
        };
        const run = createRun({ task, pack: withRefs, system: `${promptNoise} ${markers.prompt}` });
        const adapter = new StaticAdapter(() => ({ text: `${textNoise}${markers.text}` }));
        const logged: unknown[] = [];
        const logger: RuntimeLogger = {
          info: (message, fields) => logged.push([message, fields]),
          warn: (message, fields) => logged.push([message, fields]),
        };

        const { report, observability } = await executeRun(run, adapter, { logger });

        // The markers did reach the places they belong, so the search below can find them.
        const request = adapter.calls[0]?.request;
        expect(request?.system).toContain(markers.prompt);
        expect(request?.messages[0]?.content).toContain(markers.task);
        expect(request?.messages[0]?.content).toContain(markers.pack);
        expect(JSON.stringify(report.agentResponseEvent.payload)).toContain(markers.text);
        expect(report.task).toContain(markers.task);

        const serializations = [
          JSON.stringify(observability),
          JSON.stringify(report.runObservability),
          JSON.stringify(runObservabilityToWire(observability)),
          canonicalJson(runObservabilityToWire(observability)),
          JSON.stringify(logged),
        ];
        for (const serialized of serializations) {
          for (const [where, marker] of Object.entries(markers)) {
            expect(serialized.includes(marker), `${where} marker leaked into ${serialized}`).toBe(false);
          }
        }
        expect(runObservabilityFromWire(runObservabilityToWire(observability))).toEqual(observability);
      }),
      { numRuns: 100 },
    );
  });
});
