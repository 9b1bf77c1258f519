import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { packFor } from "./__fixtures__/context-packs.js";
import { fixedAdapter } from "./__fixtures__/fixed-adapter.js";
import { runTask } from "./execute-run.js";
import {
  RunObservabilitySchema,
  RunReportSchema,
  refreshObservability,
  runObservabilityFor,
  runObservabilityFromWire,
  runObservabilityToWire,
  runReportFromWire,
  runReportToWire,
} from "./run-report.js";
import { RuntimeError } from "./runtime-error.js";

async function sampleReport() {
  const task = "wire me";
  return (await runTask(task, fixedAdapter(), packFor(task))).report;
}

describe("run report and observability records", () => {
  it("match their schemas and have the seed's 16 and 13 fields", async () => {
    const report = await sampleReport();
    expect(RunReportSchema.parse(report)).toEqual(report);
    expect(RunObservabilitySchema.parse(report.runObservability)).toEqual(report.runObservability);
    expect(Object.keys(runReportToWire(report))).toEqual([
      "correlation_id",
      "task",
      "context_pack_id",
      "run_observability",
      "adapter_id",
      "model",
      "raw_hash",
      "usage",
      "prompt_hash",
      "runtime_mode",
      "proof_state",
      "claim_ceiling",
      "trusted_run_history",
      "downgrade_reasons",
      "context_policy_outcome",
      "agent_response_event",
    ]);
    expect(Object.keys(runObservabilityToWire(report.runObservability))).toEqual([
      "audit_schema_version",
      "operation",
      "status",
      "correlation_id",
      "context_pack_id",
      "adapter_id",
      "model",
      "runtime_mode",
      "proof_state",
      "claim_ceiling",
      "trusted_run_history",
      "context_policy_outcome",
      "response_hash",
    ]);
  });

  it("round-trip through their snake_case wire forms and JSON text", async () => {
    const report = await sampleReport();
    const text = JSON.stringify(runReportToWire(report));
    expect(runReportFromWire(JSON.parse(text))).toEqual(report);
    expect(runObservabilityFromWire(runObservabilityToWire(report.runObservability))).toEqual(report.runObservability);
    expect(runReportToWire(report).agent_response_event.event_type).toBe("cortex.event.agent_response.v1");
    expect(runReportToWire(report).usage).toEqual({ prompt_tokens: 12, completion_tokens: 3 });
  });

  it("refreshObservability rebuilds the record after authority metadata changes", async () => {
    const report = await sampleReport();
    const downgraded = refreshObservability({ ...report, claimCeiling: "dev_only", runtimeMode: "dev" });
    expect(downgraded.runObservability).toEqual({ ...report.runObservability, claimCeiling: "dev_only", runtimeMode: "dev" });
    expect(runObservabilityFor(report)).toEqual(report.runObservability);
    expect(report.runObservability.claimCeiling).toBe("local_unsigned");
  });

  it("reading junk or tampered records is a Validation error listing the problem", async () => {
    const report = await sampleReport();
    const wire = runObservabilityToWire(report.runObservability);
    const bad = (value: unknown): RuntimeError => {
      try {
        runObservabilityFromWire(value);
      } catch (error) {
        expect(error).toBeInstanceOf(RuntimeError);
        expect((error as RuntimeError).kind).toBe("Validation");
        return error as RuntimeError;
      }
      throw new Error("expected a Validation error");
    };
    expect(bad({ ...wire, task: "leaked" }).message).toContain("unexpected fields task");
    expect(bad({ ...wire, claim_ceiling: "maximum" }).message).toContain("claimCeiling");
    expect(bad({ ...wire, audit_schema_version: 2 }).message).toContain("auditSchemaVersion");
    expect(bad([]).message).toContain("must be a JSON object");
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        expect(() => runObservabilityFromWire(junk)).toThrow(RuntimeError);
        expect(() => runReportFromWire(junk)).toThrow(RuntimeError);
      }),
      { numRuns: 200 },
    );
    const reportWire = runReportToWire(report);
    expect(() => runReportFromWire({ ...reportWire, agent_response_event: { ...reportWire.agent_response_event, id: "nope" } })).toThrow(
      /agent_response_event/,
    );
    expect(() => runReportFromWire({ ...reportWire, downgrade_reasons: "none" })).toThrow(/downgradeReasons/);
  });
});
