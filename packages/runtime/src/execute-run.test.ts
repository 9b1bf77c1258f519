import { blake3Hex, parseCorrelationId, type JsonObject } from "@cellos-cortex/cortex-core";
import { LlmError, StaticAdapter, promptHash, type LlmAdapter, type LlmRequest, type LlmResponse } from "@cellos-cortex/llm";
import { describe, expect, it } from "vitest";
import { packFor } from "./__fixtures__/context-packs.js";
import { fixedAdapter } from "./__fixtures__/fixed-adapter.js";
import { DEFAULT_RUNTIME_MODEL, RUNTIME_RUN_OPERATION, RUNTIME_TRACE_SCHEMA_VERSION } from "./constants.js";
import { executeRun, runTask } from "./execute-run.js";
import { createRun } from "./run.js";
import { runObservabilityToWire } from "./run-report.js";
import { RuntimeError } from "./runtime-error.js";
import type { RunTraceFields, RuntimeLogger } from "./runtime-logger.js";

async function rejection(promise: Promise<unknown>): Promise<RuntimeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RuntimeError);
    return error as RuntimeError;
  }
  throw new Error("expected the promise to reject");
}

function payloadOf(report: { agentResponseEvent: { payload: unknown } }): JsonObject {
  return report.agentResponseEvent.payload as JsonObject;
}

describe("crtx-runtime seed tests", () => {
  it("run builds agent response event linked to pack", async () => {
    const task = "answer with declared context";
    const pack = packFor(task);
    const adapter = fixedAdapter();

    const { report, observability } = await runTask(task, adapter, pack);

    expect(report.contextPackId).toBe(pack.contextPackId);
    expect(report.correlationId.startsWith("cor_")).toBe(true);
    expect(parseCorrelationId(report.correlationId)).toBe(report.correlationId);
    expect(observability).toBe(report.runObservability);
    expect(report.runObservability.correlationId).toBe(report.correlationId);
    expect(report.runObservability.contextPackId).toBe(pack.contextPackId);
    expect(report.runObservability.auditSchemaVersion).toBe(RUNTIME_TRACE_SCHEMA_VERSION);
    expect(report.runObservability.operation).toBe(RUNTIME_RUN_OPERATION);
    expect(report.runObservability.status).toBe("completed");
    expect(report.runObservability.adapterId).toBe("fixed-runtime");
    expect(report.runObservability.model).toBe(DEFAULT_RUNTIME_MODEL);
    expect(report.runObservability.runtimeMode).toBe("local_unsigned");
    expect(report.runObservability.proofState).toBe("partial");
    expect(report.runObservability.claimCeiling).toBe("local_unsigned");
    expect(report.runObservability.trustedRunHistory).toBe(false);
    expect(report.runObservability.contextPolicyOutcome).toBe("allow");
    expect(report.runObservability.responseHash).toBe(report.rawHash);
    expect(report.adapterId).toBe("fixed-runtime");
    expect(report.agentResponseEvent.eventType).toBe("cortex.event.agent_response.v1");
    const payload = payloadOf(report);
    expect(payload.correlation_id).toBe(report.correlationId);
    expect(payload.context_pack_id).toBe(pack.contextPackId);
    expect(payload.ledger_authority).toBe("development");
    expect(payload.signed_ledger_authority).toBe(false);
    expect(report.runtimeMode).toBe("local_unsigned");
    expect(report.proofState).toBe("partial");
    expect(report.claimCeiling).toBe("local_unsigned");
    expect(report.trustedRunHistory).toBe(false);
    expect(report.contextPolicyOutcome).toBe("allow");
    expect(report.downgradeReasons.some((reason) => reason.includes("proof state Partial"))).toBe(true);
    expect(payload.forbidden_uses).toContain("audit_export");
    expect(report.agentResponseEvent.source).toEqual({ type: "child_agent", model: DEFAULT_RUNTIME_MODEL });
    expect(report.agentResponseEvent.payloadHash).toBe("");
    expect(report.agentResponseEvent.eventHash).toBe("");
  });

  it("run observability excludes prompt and raw context", async () => {
    const task = "observe without leaking prompt";
    const { report } = await runTask(task, fixedAdapter(), packFor(task));

    for (const record of [
      report.runObservability as unknown as Record<string, unknown>,
      runObservabilityToWire(report.runObservability) as unknown as Record<string, unknown>,
    ]) {
      expect(Object.values(record)).toContain(report.correlationId);
      expect(Object.values(record)).toContain(report.contextPackId);
      for (const forbiddenKey of [
        "task",
        "system",
        "messages",
        "prompt",
        "prompt_hash",
        "promptHash",
        "context_pack",
        "contextPack",
        "selected_refs",
        "selectedRefs",
        "raw_context",
        "raw_event_payload",
        "response_text",
        "text",
      ]) {
        expect(record, `run observability must not expose ${forbiddenKey}`).not.toHaveProperty(forbiddenKey);
      }
      expect(JSON.stringify(record), "run observability must not include task text").not.toContain(task);
    }
  });

  it("run request carries context pack id to adapter", async () => {
    const task = "carry pack id";
    const pack = packFor(task);
    const adapter = fixedAdapter();

    const { report } = await runTask(task, adapter, pack);
    const [call] = adapter.calls;
    if (call === undefined) throw new Error("adapter saw no request");
    const payload = JSON.parse(call.request.messages[0]?.content ?? "") as { context_pack_id: string; context_pack: { context_pack_id: string } };

    expect(adapter.calls).toHaveLength(1);
    expect(payload.context_pack_id).toBe(pack.contextPackId);
    expect(payload.context_pack.context_pack_id).toBe(pack.contextPackId);
    expect(report.promptHash).toBe(await promptHash(call.request));
  });

  it("run rejects task that differs from pack task", async () => {
    const adapter = fixedAdapter();

    const error = await rejection(runTask("different task", adapter, packFor("pack task")));

    expect(error.kind).toBe("Validation");
    expect(error.message).toContain("does not match context pack task");
    expect(adapter.calls).toHaveLength(0);
  });

  it("remote unsigned mode sets forbidden uses in event", async () => {
    const task = "remote api task";
    const run = createRun({ task, pack: packFor(task), runtimeMode: "remote_unsigned" });

    const { report } = await executeRun(run, fixedAdapter());

    expect(report.runtimeMode).toBe("remote_unsigned");
    const names = payloadOf(report).forbidden_uses;
    expect(names, 'ADR 0048 item 7: forbidden_uses must include "remote_unsigned"').toContain("remote_unsigned");
    expect(names, 'baseline forbidden_uses must still include "audit_export"').toContain("audit_export");
  });

  it("local unsigned mode does not set remote unsigned forbidden use", async () => {
    const task = "local task";
    const { report } = await runTask(task, fixedAdapter(), packFor(task));

    expect(payloadOf(report).forbidden_uses).not.toContain("remote_unsigned");
  });
});

describe("executeRun", () => {
  it("builds the whole report from the adapter's answer", async () => {
    const task = "report every field";
    const run = createRun({ task, pack: packFor(task), sessionId: "ses-7", domainTags: ["runtime", "ops"] });
    const adapter = fixedAdapter();

    const { report } = await executeRun(run, adapter, { now: () => "2025-01-02T03:04:05.678Z" });

    expect(Object.keys(report)).toHaveLength(16);
    expect(Object.keys(report.runObservability)).toHaveLength(13);
    expect(report.task).toBe(task);
    expect(report.correlationId).toBe(run.correlationId);
    expect(report.model).toBe(DEFAULT_RUNTIME_MODEL);
    expect(report.rawHash).toBe(await blake3Hex("runtime response"));
    expect(report.usage).toEqual({ inputTokens: 12, outputTokens: 3 });
    expect(report.downgradeReasons).toEqual([
      "runtime mode LocalUnsigned caps claims at local_unsigned",
      "authority class Observed caps claims at signed_local_ledger",
      "proof state Partial caps claims at signed_local_ledger",
      "requested ceiling LocalUnsigned caps claims at local_unsigned",
    ]);
    const event = report.agentResponseEvent;
    expect(event.id.startsWith("evt_")).toBe(true);
    expect(event.schemaVersion).toBe(2);
    expect(event.observedAt).toBe("2025-01-02T03:04:05.678Z");
    expect(event.recordedAt).toBe(event.observedAt);
    expect(event.sessionId).toBe("ses-7");
    expect(event.domainTags).toEqual(["runtime", "ops"]);
    expect(event.traceId).toBeNull();
    expect(event.prevEventHash).toBeNull();
    expect(event.payload).toEqual({
      task,
      correlation_id: run.correlationId,
      context_pack_id: run.pack.contextPackId,
      adapter_id: "fixed-runtime",
      model: DEFAULT_RUNTIME_MODEL,
      text: "runtime response",
      parsed_json: null,
      raw_hash: report.rawHash,
      usage: { prompt_tokens: 12, completion_tokens: 3 },
      runtime_mode: "local_unsigned",
      ledger_authority: "development",
      signed_ledger_authority: false,
      trusted_run_history: false,
      forbidden_uses: ["audit_export", "compliance_evidence", "cross_system_trust_decision", "external_reporting"],
    });
  });

  it("reports a pack that surfaces conflicts with context policy outcome warn", async () => {
    const task = "explain the conflict";
    const pack = packFor(task, { conflicts: [{ summary: "two memories disagree" }] });
    const { report, observability } = await runTask(task, fixedAdapter(), pack);
    expect(report.contextPolicyOutcome).toBe("warn");
    expect(observability.contextPolicyOutcome).toBe("warn");
  });

  it("a remote adapter lowers a local run to remote_unsigned (weakest link, ADR 0025)", async () => {
    const task = "local run, remote backend";
    const { report } = await runTask(task, fixedAdapter("remote_unsigned"), packFor(task));
    expect(report.runtimeMode).toBe("remote_unsigned");
    expect(report.claimCeiling).toBe("dev_only");
    expect(payloadOf(report).runtime_mode).toBe("remote_unsigned");
    expect(payloadOf(report).forbidden_uses).toContain("remote_unsigned");
  });

  it("a stronger adapter never raises the run's declared mode", async () => {
    const task = "dev run";
    const run = createRun({ task, pack: packFor(task), runtimeMode: "dev" });
    const { report } = await executeRun(run, fixedAdapter("authority_grade"));
    expect(report.runtimeMode).toBe("dev");
    expect(report.claimCeiling).toBe("dev_only");
  });

  it("an adapter without a valid runtime mode counts as unknown (fail closed)", async () => {
    const task = "odd adapter";
    const inner = fixedAdapter();
    const adapter = { adapterId: "odd", runtimeMode: "super_trusted", complete: inner.complete.bind(inner) } as unknown as LlmAdapter;
    const { report } = await runTask(task, adapter, packFor(task));
    expect(report.runtimeMode).toBe("unknown");
    expect(report.claimCeiling).toBe("dev_only");
    expect(report.downgradeReasons).toContain("runtime mode Unknown caps claims at dev_only");
  });

  it("wraps an adapter's LlmError as RuntimeError Adapter, keeping its kind", async () => {
    const task = "adapter fails";
    for (const kind of ["Upstream", "NoFixture", "Timeout", "Transport"] as const) {
      const failure = new LlmError(kind, `scripted ${kind}`, { adapterId: "fixed-runtime" });
      const adapter = new StaticAdapter([failure], { adapterId: "fixed-runtime" });
      const error = await rejection(runTask(task, adapter, packFor(task)));
      expect(error.kind).toBe("Adapter");
      expect(error.llmError).toBe(failure);
      expect(error.llmErrorKind).toBe(kind);
      expect(error.cause).toBe(failure);
      expect(error.message).toBe(`llm adapter failed: ${failure.message}`);
    }
  });

  it("turns a foreign error or a malformed response from an adapter into an Adapter error", async () => {
    const task = "misbehaving adapter";
    const throwing: LlmAdapter = {
      adapterId: "throwing",
      runtimeMode: "local_unsigned",
      complete: () => {
        throw new TypeError("boom");
      },
    };
    const thrown = await rejection(runTask(task, throwing, packFor(task)));
    expect([thrown.kind, thrown.llmErrorKind]).toEqual(["Adapter", "Upstream"]);
    expect(thrown.message).toContain("boom");

    const junk: LlmAdapter = {
      adapterId: "junk",
      runtimeMode: "local_unsigned",
      complete: async () => ({ text: 42 }) as unknown as LlmResponse,
    };
    const malformed = await rejection(runTask(task, junk, packFor(task)));
    expect([malformed.kind, malformed.llmErrorKind]).toEqual(["Adapter", "Upstream"]);
    expect(malformed.message).toContain("malformed response");
  });

  it("logs started and completed trace lines with identifiers only", async () => {
    const task = "trace me";
    const lines: { level: string; message: string; fields: RunTraceFields }[] = [];
    const logger: RuntimeLogger = {
      info: (message, fields) => lines.push({ level: "info", message, fields }),
      warn: (message, fields) => lines.push({ level: "warn", message, fields }),
    };
    const { report } = await runTask(task, fixedAdapter(), packFor(task), { logger });
    expect(lines.map((line) => [line.level, line.message, line.fields.status])).toEqual([
      ["info", "runtime run", "started"],
      ["info", "runtime run", "completed"],
    ]);
    expect(lines[1]?.fields).toEqual({
      audit_schema_version: 1,
      operation: "runtime.run",
      correlation_id: report.correlationId,
      context_pack_id: report.contextPackId,
      adapter_id: "fixed-runtime",
      model: DEFAULT_RUNTIME_MODEL,
      status: "completed",
      context_policy_outcome: "allow",
      response_hash: report.rawHash,
    });
    expect(JSON.stringify(lines)).not.toContain(task);

    lines.length = 0;
    const failing = new StaticAdapter([new LlmError("Upstream", "503", { adapterId: "static" })]);
    await rejection(runTask(task, failing, packFor(task), { logger }));
    expect(lines.map((line) => [line.level, line.fields.status, line.fields.error_kind, line.fields.llm_error_kind])).toEqual([
      ["info", "started", undefined, undefined],
      ["warn", "failed", "adapter", "Upstream"],
    ]);
  });
});

/** An adapter that never answers and ignores its signal, so only the runtime can end the call. */
function hangingAdapter(): LlmAdapter & { seen: { request: LlmRequest; signal: AbortSignal | undefined }[] } {
  const seen: { request: LlmRequest; signal: AbortSignal | undefined }[] = [];
  return {
    adapterId: "hanging",
    runtimeMode: "local_unsigned",
    seen,
    complete: (request, options) => {
      seen.push({ request, signal: options?.signal });
      return new Promise<never>(() => undefined);
    },
  };
}

describe("cancellation", () => {
  it("an already aborted signal stops the run before the adapter is called", async () => {
    const task = "never sent";
    const adapter = fixedAdapter();
    const error = await rejection(runTask(task, adapter, packFor(task), { signal: AbortSignal.abort() }));
    expect(error.kind).toBe("Adapter");
    expect(error.llmErrorKind).toBe("Transport");
    expect(error.llmError?.aborted).toBe(true);
    expect(adapter.calls).toHaveLength(0);
  });

  it("aborting during the call stops the run and aborts the adapter's signal, even if the adapter ignores it", async () => {
    const task = "abort me";
    const adapter = hangingAdapter();
    const controller = new AbortController();
    const running = runTask(task, adapter, packFor(task), { signal: controller.signal });
    await expect.poll(() => adapter.seen.length).toBe(1);
    const adapterSignal = adapter.seen[0]?.signal;
    expect(adapterSignal?.aborted).toBe(false);

    controller.abort(new Error("operator cancelled"));
    const error = await rejection(running);

    expect(error.kind).toBe("Adapter");
    expect(error.llmError?.aborted).toBe(true);
    expect(error.llmError?.adapterId).toBe("hanging");
    expect(adapterSignal?.aborted).toBe(true);
  });

  it("the run's timeoutMs bounds the adapter call (Timeout naming the budget) and reaches the adapter", async () => {
    const task = "too slow";
    const adapter = hangingAdapter();
    const run = createRun({ task, pack: packFor(task), timeoutMs: 20 });

    const error = await rejection(executeRun(run, adapter));

    expect(error.kind).toBe("Adapter");
    expect(error.llmErrorKind).toBe("Timeout");
    expect(error.llmError?.timeoutMs).toBe(20);
    expect(error.message).toContain("timed out after 20 ms");
    expect(adapter.seen[0]?.request.timeoutMs).toBe(20);
    expect(adapter.seen[0]?.signal?.aborted).toBe(true);
  });

  it("an adapter that honours its signal ends the run with its own error on abort", async () => {
    const task = "cooperative";
    const adapter = new StaticAdapter(
      (_request, { signal }) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener("abort", () => {
            reject(new LlmError("Transport", "static saw the abort", { adapterId: "static", aborted: true }));
          });
        }),
    );
    const controller = new AbortController();
    const running = runTask(task, adapter, packFor(task), { signal: controller.signal });
    await expect.poll(() => adapter.calls.length).toBe(1);
    controller.abort();
    const error = await rejection(running);
    expect(error.llmErrorKind).toBe("Transport");
    expect(error.llmError?.aborted).toBe(true);
  });
});
