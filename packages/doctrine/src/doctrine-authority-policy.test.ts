import { CellosError, validateExecutionCellDocument, type ExecutionCellDocument } from "@cellos-cortex/cellos-core";
import { describe, expect, it } from "vitest";
import { BUILTIN_DOCTRINE_IDS } from "./builtin-doctrine.js";
import { DoctrineAuthorityPolicy } from "./doctrine-authority-policy.js";
import { DoctrineError } from "./doctrine-error.js";
import { deepFreezeForTest, realisticDocument } from "./__fixtures__/documents.js";

const builtin = DoctrineAuthorityPolicy.builtin();

function changesOf(document: ExecutionCellDocument, refs: string[], policy = builtin) {
  return policy.apply(document, refs).applied.map(({ doctrineId, changes }) => ({ doctrineId, changes }));
}

function rejectionOf(run: () => unknown): DoctrineError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DoctrineError);
    return error as DoctrineError;
  }
  throw new Error("expected a DoctrineError");
}

describe("DoctrineAuthorityPolicy.builtin()", () => {
  it("knows exactly the pinned built-in doctrine ids", () => {
    expect([...builtin.doctrineIds].sort()).toEqual(
      ["no-capabilities", "no-egress", "no-exports", "no-secrets", "read-only-filesystem", "short-lived"].sort(),
    );
    expect([...BUILTIN_DOCTRINE_IDS].sort()).toEqual([...builtin.doctrineIds].sort());
    expect(builtin.ruleFor("short-lived")).toEqual({ maxTtlSeconds: 60 });
    expect(builtin.ruleFor("no-secrets")).toEqual({ dropSecrets: true });
  });

  it("no-egress removes every egress rule", () => {
    const input = realisticDocument();
    expect(changesOf(input, ["no-egress"])).toEqual([
      { doctrineId: "no-egress", changes: [{ path: "/spec/authority/egressRules", before: input.spec.authority.egressRules, after: [] }] },
    ]);
  });

  it("no-secrets removes every secret ref", () => {
    const { document } = builtin.apply(realisticDocument(), ["no-secrets"]);
    expect(document.spec.authority.secretRefs).toEqual([]);
  });

  it("read-only-filesystem makes the filesystem read-only and drops the writable paths", () => {
    expect(changesOf(realisticDocument(), ["read-only-filesystem"])).toEqual([
      {
        doctrineId: "read-only-filesystem",
        changes: [
          { path: "/spec/authority/filesystem/readOnly", before: false, after: true },
          { path: "/spec/authority/filesystem/writablePaths", before: ["/work", "/tmp"], after: [] },
        ],
      },
    ]);
  });

  it("short-lived caps the ttl at 60 seconds and the run timeout with it", () => {
    expect(changesOf(realisticDocument(), ["short-lived"])).toEqual([
      {
        doctrineId: "short-lived",
        changes: [
          { path: "/spec/lifetime/ttlSeconds", before: 300, after: 60 },
          { path: "/spec/run/timeoutMs", before: 300_000, after: 60_000 },
        ],
      },
    ]);
  });

  it("no-exports denies exports", () => {
    expect(changesOf(realisticDocument(), ["no-exports"])).toEqual([
      { doctrineId: "no-exports", changes: [{ path: "/spec/authority/exports/allowed", before: true, after: false }] },
    ]);
  });

  it("no-capabilities removes every capability", () => {
    const { document } = builtin.apply(realisticDocument(), ["no-capabilities"]);
    expect(document.spec.authority.capabilities).toEqual([]);
  });

  it("all six together leave the least authority and keep every field they do not govern", () => {
    const input = realisticDocument();
    const { document, unknownDoctrineIds } = builtin.apply(input, [...BUILTIN_DOCTRINE_IDS]);
    expect(unknownDoctrineIds).toEqual([]);
    expect(document).toEqual({
      ...input,
      spec: {
        ...input.spec,
        run: { ...input.spec.run, timeoutMs: 60_000 },
        authority: {
          egressRules: [],
          secretRefs: [],
          filesystem: { readOnly: true, writablePaths: [] },
          exports: { allowed: false },
          capabilities: [],
        },
        lifetime: { ttlSeconds: 60 },
      },
    });
  });
});

describe("DoctrineAuthorityPolicy.apply", () => {
  // Seed (runner.rs, ADR-0009): "doctrine ids that match no rule are no-ops".
  it("doctrine ids that match no rule are no-ops", () => {
    const input = realisticDocument();
    const application = builtin.apply(input, ["p1", "D1", "D5"]);
    expect(application.document).toStrictEqual(input);
    expect(application.applied).toEqual([]);
    expect(application.unknownDoctrineIds).toEqual(["p1", "D1", "D5"]);
  });

  // Seed: translate_produces_runspec_with_task_appended_to_argv cites doctrine ref "p1" and expects ttl 300.
  it("an unknown doctrine ref p1 leaves the ttl at the runner default of 300", () => {
    const { document } = builtin.apply(realisticDocument(), ["p1"]);
    expect(document.spec.lifetime.ttlSeconds).toBe(300);
  });

  // Seed integration test: translate (apply_policy) → validate_execution_cell_document → admit.
  it("a narrowed document still passes validate_execution_cell_document", () => {
    const { document } = builtin.apply(realisticDocument(), [...BUILTIN_DOCTRINE_IDS, "p1"]);
    expect(() => validateExecutionCellDocument(document)).not.toThrow();
  });

  it("matches doctrine ids exactly and case-sensitively", () => {
    const { applied, unknownDoctrineIds } = builtin.apply(realisticDocument(), ["No-Egress", "no-egress ", " no-egress", "NO-EGRESS", "no_egress"]);
    expect(applied).toEqual([]);
    expect(unknownDoctrineIds).toEqual(["No-Egress", "no-egress ", " no-egress", "NO-EGRESS", "no_egress"]);
  });

  it("never touches the input, and works on a deep-frozen one", () => {
    const input = deepFreezeForTest(realisticDocument());
    const snapshot = structuredClone(input);
    const { document } = builtin.apply(input, [...BUILTIN_DOCTRINE_IDS]);
    expect(input).toStrictEqual(snapshot);
    expect(Object.isFrozen(document)).toBe(false);
    document.spec.argvMarker = "output is mutable";
    document.spec.telemetry = null;
    expect(input.spec.telemetry).toEqual(snapshot.spec.telemetry);
  });

  it("the output shares no object with the input", () => {
    const input = realisticDocument();
    const { document } = builtin.apply(input, ["p1"]);
    const inputs = new Set<unknown>();
    const walk = (v: unknown, sink: (o: object) => void) => {
      if (typeof v === "object" && v !== null) {
        sink(v);
        for (const item of Object.values(v)) walk(item, sink);
      }
    };
    walk(input, (o) => inputs.add(o));
    walk(document, (o) => expect(inputs.has(o)).toBe(false));
  });

  it("change records are copies, not views of the input or output", () => {
    const input = realisticDocument();
    const { document, applied } = builtin.apply(input, ["no-egress", "read-only-filesystem"]);
    const [egress, , writable] = applied.flatMap((a) => a.changes);
    expect(egress?.before).not.toBe(input.spec.authority.egressRules);
    expect(egress?.before).toEqual(input.spec.authority.egressRules);
    expect(egress?.after).not.toBe(document.spec.authority.egressRules);
    (writable?.after as string[]).push("/mutated");
    expect(document.spec.authority.filesystem?.writablePaths).toEqual([]);
  });

  it("rejects a document that fails validation before any rule runs, with the CellosError as cause", () => {
    const bad = realisticDocument();
    bad.spec.lifetime.ttlSeconds = 0;
    bad.spec.authority.egressRules = [{ host: "api.example.com", port: 70_000 }];
    for (const refs of [["no-egress"], ["p1"], []]) {
      const error = rejectionOf(() => builtin.apply(bad, refs));
      expect(error.kind).toBe("InvalidDocument");
      expect(error.cause).toBeInstanceOf(CellosError);
      expect(error.message).toMatch(/^document rejected before any doctrine ran: invalid cell specification:/);
      expect(error.message).toMatch(/ttlSeconds/);
      expect(error.message).toMatch(/port/);
    }
    expect(bad.spec.authority.egressRules).toHaveLength(1);
    for (const junk of [null, 42, "doc", {}, { apiVersion: "cellos.io/v1", kind: "ExecutionCell" }]) {
      expect(rejectionOf(() => builtin.apply(junk as unknown as ExecutionCellDocument, [])).kind).toBe("InvalidDocument");
    }
  });

  it("rejects a document it cannot copy (a cycle in an unmodelled field) without a crash", () => {
    const input = realisticDocument();
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    input.spec.telemetry = loop;
    const error = rejectionOf(() => builtin.apply(input, ["no-egress"]));
    expect(error.kind).toBe("InvalidDocument");
    expect(error.message).toMatch(/\/spec\/telemetry\/self\/self.*deeper than/);
  });

  it("rejects doctrine refs that are not an array of strings", () => {
    expect(rejectionOf(() => builtin.apply(realisticDocument(), "no-egress" as unknown as string[])).kind).toBe("InvalidDoctrineRefs");
    const error = rejectionOf(() => builtin.apply(realisticDocument(), ["no-egress", 7 as unknown as string]));
    expect(error.kind).toBe("InvalidDoctrineRefs");
    expect(error.message).toMatch(/\[1\].*got 7/);
  });

  it("reports a repeated ref once", () => {
    const { applied, unknownDoctrineIds } = builtin.apply(realisticDocument(), ["no-egress", "x", "no-egress", "x"]);
    expect(applied.map((a) => a.doctrineId)).toEqual(["no-egress"]);
    expect(unknownDoctrineIds).toEqual(["x"]);
  });

  it("leaves absent and null authority absent and null, and empty lists empty", () => {
    const input = realisticDocument();
    delete input.spec.authority.egressRules;
    input.spec.authority.secretRefs = null;
    input.spec.authority.capabilities = [];
    const { document, applied } = builtin.apply(input, ["no-egress", "no-secrets", "no-capabilities"]);
    expect(document).toStrictEqual(input);
    expect(applied.every((a) => a.changes.length === 0)).toBe(true);
  });

  it("creates the filesystem and exports objects when absent or null, reporting the whole object", () => {
    const input = realisticDocument();
    input.spec.authority.filesystem = null;
    delete input.spec.authority.exports;
    const { document, applied } = builtin.apply(input, ["read-only-filesystem", "no-exports"]);
    expect(document.spec.authority.filesystem).toEqual({ readOnly: true });
    expect(document.spec.authority.exports).toEqual({ allowed: false });
    expect(applied.flatMap((a) => a.changes)).toEqual([
      { path: "/spec/authority/filesystem", before: null, after: { readOnly: true } },
      { path: "/spec/authority/exports", before: undefined, after: { allowed: false } },
    ]);
  });

  it("keeps unmodelled keys of the objects it narrows", () => {
    const input = realisticDocument();
    input.spec.authority.filesystem = { readOnly: false, mountMode: "overlay" };
    input.spec.authority.exports = { allowed: true, sink: "s3" };
    const { document } = builtin.apply(input, ["read-only-filesystem", "no-exports"]);
    expect(document.spec.authority.filesystem).toEqual({ readOnly: true, mountMode: "overlay" });
    expect(document.spec.authority.exports).toEqual({ allowed: false, sink: "s3" });
  });

  it("short-lived leaves a shorter ttl, a shorter timeout and a zero timeout alone", () => {
    const input = realisticDocument();
    input.spec.lifetime.ttlSeconds = 30;
    if (input.spec.run) input.spec.run.timeoutMs = 0;
    expect(builtin.apply(input, ["short-lived"]).applied).toEqual([{ doctrineId: "short-lived", changes: [] }]);
  });
});

describe("operator tables", () => {
  const egressTable = new DoctrineAuthorityPolicy({
    version: 1,
    extends: "builtin",
    rules: {
      "aws-and-api": { restrictEgressTo: ["*.amazonaws.com:443", "api.example.com"] },
      "aws-only": { restrictEgressTo: ["*.amazonaws.com"] },
      "api-and-npm": { restrictEgressTo: ["api.example.com:443", "registry.npmjs.org"] },
      "db-secret": { dropSecrets: ["DB_PASSWORD", "NOT_PRESENT"] },
      "two-minutes": { maxTtlSeconds: 120 },
      "short-lived": { maxTtlSeconds: 600 },
    },
  });

  it("restrictEgressTo keeps only rules inside the allowlist", () => {
    const { document } = egressTable.apply(realisticDocument(), ["aws-and-api"]);
    expect(document.spec.authority.egressRules).toEqual([
      { host: "api.example.com", port: 443, protocol: "tcp" },
      { host: "*.s3.amazonaws.com", port: 443 },
    ]);
  });

  it("two allowlists keep only what both allow, and both are credited when neither alone decides", () => {
    const { document, applied } = egressTable.apply(realisticDocument(), ["aws-and-api", "api-and-npm"]);
    expect(document.spec.authority.egressRules).toEqual([{ host: "api.example.com", port: 443, protocol: "tcp" }]);
    expect(applied.map((a) => [a.doctrineId, a.changes.map((c) => c.path)])).toEqual([
      ["aws-and-api", ["/spec/authority/egressRules"]],
      ["api-and-npm", ["/spec/authority/egressRules"]],
    ]);
  });

  it("a change is credited to the doctrine that alone produces it, not to one it subsumes", () => {
    const { applied } = egressTable.apply(realisticDocument(), ["aws-only", "no-egress", "two-minutes", "short-lived"]);
    expect(applied.map((a) => [a.doctrineId, a.changes.map((c) => c.path)])).toEqual([
      ["aws-only", []],
      ["no-egress", ["/spec/authority/egressRules"]],
      ["two-minutes", []],
      ["short-lived", ["/spec/lifetime/ttlSeconds", "/spec/run/timeoutMs"]],
    ]);
  });

  it("dropSecrets with names removes only those", () => {
    const { document } = egressTable.apply(realisticDocument(), ["db-secret"]);
    expect(document.spec.authority.secretRefs).toEqual(["OPENAI_API_KEY", "S3_TOKEN"]);
  });

  it("extending the built-in table can tighten a built-in doctrine but never loosen it", () => {
    expect(egressTable.ruleFor("short-lived")).toEqual({ maxTtlSeconds: 60 });
    const tighter = new DoctrineAuthorityPolicy({ version: 1, extends: "builtin", rules: { "short-lived": { maxTtlSeconds: 10 } } });
    expect(tighter.apply(realisticDocument(), ["short-lived"]).document.spec.lifetime.ttlSeconds).toBe(10);
  });

  it("extends: none replaces the built-in table", () => {
    const own = new DoctrineAuthorityPolicy({ version: 1, extends: "none", rules: { "short-lived": { maxTtlSeconds: 600 } } });
    expect(own.doctrineIds).toEqual(["short-lived"]);
    const { document, unknownDoctrineIds } = own.apply(realisticDocument(), ["short-lived", "no-egress"]);
    expect(document.spec.lifetime.ttlSeconds).toBe(300);
    expect(unknownDoctrineIds).toEqual(["no-egress"]);
  });

  it("an empty rule is a known id that narrows nothing", () => {
    const policy = new DoctrineAuthorityPolicy({ version: 1, extends: "none", rules: { acknowledged: {} } });
    expect(policy.apply(realisticDocument(), ["acknowledged"])).toMatchObject({ applied: [{ doctrineId: "acknowledged", changes: [] }], unknownDoctrineIds: [] });
  });

  it("the constructor validates a hand-written table too", () => {
    const error = rejectionOf(
      () => new DoctrineAuthorityPolicy({ version: 1, extends: "none", rules: { a: { maxTtlSeconds: -1, bogus: true } } } as never),
    );
    expect(error.kind).toBe("InvalidRuleTable");
    expect(error.issues.map((i) => i.path).sort()).toEqual(["/rules/a/bogus", "/rules/a/maxTtlSeconds"]);
  });

  it("accepts a deep-frozen table", () => {
    const table = deepFreezeForTest({ version: 1 as const, extends: "none" as const, rules: { a: { restrictEgressTo: ["x.org"] } } });
    expect(new DoctrineAuthorityPolicy(table).ruleFor("a")).toEqual({ restrictEgressTo: ["x.org"] });
  });

  it("narrowingFor gives the meet of the refs' rules", () => {
    expect(egressTable.narrowingFor(["two-minutes", "short-lived", "unknown"]).maxTtlSeconds).toBe(60);
  });
});
