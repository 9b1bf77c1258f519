import { StaticAdapter } from "@cellos-cortex/llm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { packFor } from "./__fixtures__/context-packs.js";
import { agentResponseEvent } from "./agent-response-event.js";
import { DEVELOPMENT_LEDGER_USES, developmentLedgerUseDecision, type DevelopmentLedgerUse } from "./development-ledger-use.js";
import { executeRun } from "./execute-run.js";
import { createRun } from "./run.js";

async function payloadFor(runtimeMode: "local_unsigned" | "remote_unsigned"): Promise<unknown> {
  const task = `development payload ${runtimeMode}`;
  const { report } = await executeRun(createRun({ task, pack: packFor(task), runtimeMode }), new StaticAdapter([{ text: "ok" }]));
  return report.agentResponseEvent.payload;
}

describe("developmentLedgerUseDecision", () => {
  it("an agent response payload is usable for local_diagnostic only; each forbidden use is denied naming it", async () => {
    for (const mode of ["local_unsigned", "remote_unsigned"] as const) {
      const payload = await payloadFor(mode);
      for (const use of DEVELOPMENT_LEDGER_USES) {
        const decision = developmentLedgerUseDecision(payload, use);
        expect(decision.use).toBe(use);
        if (use === "local_diagnostic") {
          expect(decision).toEqual({ allowed: true, use, reason: "local_diagnostic is allowed for development ledger data" });
        } else {
          expect(decision.allowed).toBe(false);
          expect(decision.reason).toBe(`development ledger payload forbids ${use} (listed in forbidden_uses)`);
        }
      }
    }
  });

  it("uses not listed in forbidden_uses are still denied: a payload cannot raise its own authority", () => {
    const selfAsserted = { ledger_authority: "signed", signed_ledger_authority: true, trusted_run_history: true, forbidden_uses: [] };
    for (const use of DEVELOPMENT_LEDGER_USES.filter((u) => u !== "local_diagnostic")) {
      const decision = developmentLedgerUseDecision(selfAsserted, use);
      expect(decision.allowed).toBe(false);
      expect(decision.reason).toBe(`${use} needs verified signed ledger authority; development ledger data supports local_diagnostic only`);
    }
    expect(developmentLedgerUseDecision(selfAsserted, "local_diagnostic").allowed).toBe(true);
    expect(developmentLedgerUseDecision({}, "local_diagnostic").allowed).toBe(true);
  });

  it("a payload listing local_diagnostic in forbidden_uses denies even that", () => {
    const decision = developmentLedgerUseDecision({ forbidden_uses: ["local_diagnostic"] }, "local_diagnostic");
    expect(decision).toEqual({
      allowed: false,
      use: "local_diagnostic",
      reason: "development ledger payload forbids local_diagnostic (listed in forbidden_uses)",
    });
  });

  it("fails closed on malformed payloads, malformed forbidden_uses and unknown uses", () => {
    for (const payload of [null, undefined, 7, "payload", [], [{ forbidden_uses: [] }]]) {
      const decision = developmentLedgerUseDecision(payload, "local_diagnostic");
      expect(decision.allowed).toBe(false);
      expect(decision.reason).toContain("payload is not a JSON object");
    }
    for (const forbidden of ["audit_export", [1], { audit_export: true }, null]) {
      const decision = developmentLedgerUseDecision({ forbidden_uses: forbidden }, "local_diagnostic");
      expect(decision.allowed).toBe(false);
      expect(decision.reason).toContain("forbidden_uses is malformed");
    }
    const unknown = developmentLedgerUseDecision({}, "export_everything" as DevelopmentLedgerUse);
    expect(unknown).toMatchObject({ allowed: false, use: "export_everything" });
    expect(unknown.reason).toContain("unrecognized development ledger use");
  });

  it("never allows anything but local_diagnostic, whatever the payload (property)", () => {
    fc.assert(
      fc.property(fc.anything(), fc.oneof(fc.constantFrom(...DEVELOPMENT_LEDGER_USES), fc.string()), (payload, use) => {
        const decision = developmentLedgerUseDecision(payload, use as DevelopmentLedgerUse);
        if (decision.allowed) {
          expect(use).toBe("local_diagnostic");
          expect(typeof payload === "object" && payload !== null && !Array.isArray(payload)).toBe(true);
        }
        expect(decision.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (payload) => {
        const forbidden = (payload as { forbidden_uses?: unknown }).forbidden_uses;
        const listed = Array.isArray(forbidden) && forbidden.includes("local_diagnostic");
        const wellFormed = forbidden === undefined || (Array.isArray(forbidden) && forbidden.every((x) => typeof x === "string"));
        expect(developmentLedgerUseDecision(payload, "local_diagnostic").allowed).toBe(wellFormed && !listed);
      }),
      { numRuns: 200 },
    );
  });

  it("the standalone agentResponseEvent payload forbids the same uses", () => {
    const run = createRun({ task: "standalone", pack: packFor("standalone"), runtimeMode: "remote_unsigned" });
    const event = agentResponseEvent(run, {
      text: "t",
      model: "m",
      usage: { inputTokens: 1, outputTokens: 1 },
      rawHash: "0".repeat(64),
    });
    expect((event.payload as { forbidden_uses: string[] }).forbidden_uses).toEqual([
      "audit_export",
      "compliance_evidence",
      "cross_system_trust_decision",
      "external_reporting",
      "remote_unsigned",
    ]);
    expect((event.payload as { adapter_id: unknown }).adapter_id).toBeNull();
    expect(developmentLedgerUseDecision(event.payload, "audit_export").allowed).toBe(false);
  });
});
