import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  CELLOS_API_VERSION,
  CellosError,
  EXECUTION_CELL_KIND,
  ExecutionCellDocumentSchema,
  parseExecutionCellDocument,
  safeParseExecutionCellDocument,
  validateExecutionCellDocument,
} from "./index.js";
import type { ExecutionCellDocument } from "./index.js";

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), "utf8"));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are mutated at arbitrary paths
function validDoc(): Record<string, any> {
  return {
    apiVersion: "cellos.io/v1",
    kind: "ExecutionCell",
    spec: { id: "cell-1", run: { argv: ["node", "agent.js"] }, authority: {}, lifetime: { ttlSeconds: 60 } },
  };
}

function errorOf(input: unknown): CellosError {
  try {
    parseExecutionCellDocument(input);
  } catch (error) {
    if (error instanceof CellosError) return error;
    throw error;
  }
  throw new Error("expected parseExecutionCellDocument to throw");
}

function pathsOf(input: unknown): string[] {
  return errorOf(input).problems.map((p) => p.path);
}

describe("ExecutionCell documents", () => {
  for (const name of ["execution-cell-minimal.valid.json", "execution-cell-with-command.valid.json", "execution-cell-with-run-limits.valid.json"]) {
    it(`parses ${name} and serializes it back byte for byte`, () => {
      const input = fixture(name);
      const doc = parseExecutionCellDocument(input);
      expect(JSON.stringify(doc)).toBe(JSON.stringify(input));
      expect(() => { validateExecutionCellDocument(doc); }).not.toThrow();
    });
  }

  it("keeps fields we do not model at every level, in their places", () => {
    const input = {
      futureTop: { a: [1, { b: null }] },
      apiVersion: "cellos.io/v1",
      kind: "ExecutionCell",
      spec: {
        lifetime: { ttlSeconds: 5, graceSeconds: 2 },
        id: "cell-1",
        correlation: { platform: "gh", provenance: { parent: "x", parentType: "cell" }, labels: { z: "1", a: "2" } },
        placement: { poolId: "p", zone: "eu-1" },
        run: { argv: ["a"], limits: { memoryMaxBytes: 1 }, niceness: 5, secretDelivery: { mode: "leased", ttl: 3 } },
        authority: {
          egressRules: [{ port: 443, host: "h", sni: true }],
          filesystem: { readOnly: true, tmpfs: ["/tmp"] },
          exports: { allowed: false, reason: "doctrine" },
          dnsAuthority: { resolvers: ["1.1.1.1"] },
        },
        ingress: { ports: [8080] },
        environment: { FOO: "bar" },
        policy: { packId: "p1" },
        identity: { audience: "aud" },
        export: { targets: [] },
        telemetry: { otlp: true },
        somethingNew: 42,
      },
    };
    const doc = parseExecutionCellDocument(input);
    expect(JSON.stringify(doc)).toBe(JSON.stringify(input));
    expect(doc).toEqual(input);
  });

  it("accepts null for optional fields and keeps it (ADR-0004)", () => {
    const input = validDoc();
    input.spec.correlation = null;
    input.spec.placement = null;
    input.spec.run.workingDirectory = null;
    input.spec.run.timeoutMs = null;
    input.spec.authority.egressRules = null;
    input.spec.authority.secretRefs = null;
    const doc = parseExecutionCellDocument(input);
    expect(JSON.stringify(doc)).toBe(JSON.stringify(input));
    expect(doc.spec.correlation).toBeNull();
  });

  it("does not modify its input", () => {
    const input = validDoc();
    const before = JSON.stringify(input);
    parseExecutionCellDocument(input);
    expect(JSON.stringify(input)).toBe(before);
  });

  it("accepts a document built in TypeScript as the bridge builds it", () => {
    const ttl = 300;
    const document: ExecutionCellDocument = {
      apiVersion: CELLOS_API_VERSION,
      kind: EXECUTION_CELL_KIND,
      spec: {
        id: "cortex-pack-abc",
        run: { argv: ["node", "agent.js", "ship it"], timeoutMs: ttl * 1000 },
        authority: {},
        lifetime: { ttlSeconds: ttl },
      },
    };
    expect(() => { validateExecutionCellDocument(document); }).not.toThrow();
    expect(ExecutionCellDocumentSchema.safeParse(document).success).toBe(true);
  });

  it("accepts the three secret delivery strings and an object form", () => {
    for (const mode of ["env", "runtimeBroker", "runtimeLeasedBroker", { leased: { ttlSeconds: 30 } }]) {
      const input = validDoc();
      input.spec.run.secretDelivery = mode;
      expect(parseExecutionCellDocument(input).spec.run?.secretDelivery).toEqual(mode);
    }
    const bad = validDoc();
    bad.spec.run.secretDelivery = "carrier-pigeon";
    expect(errorOf(bad).message).toContain('spec.run.secretDelivery: expected "env", "runtimeBroker", "runtimeLeasedBroker" or an object');
  });
});

describe("validation rules", () => {
  it("requires apiVersion cellos.io/v1 and kind ExecutionCell", () => {
    const input = validDoc();
    input.apiVersion = "cellos.dev/v1";
    input.kind = "Formation";
    const error = errorOf(input);
    expect(error.kind).toBe("InvalidSpec");
    expect(error.message).toContain('apiVersion: must be "cellos.io/v1" (got "cellos.dev/v1")');
    expect(error.message).toContain('kind: must be "ExecutionCell" (got "Formation")');
  });

  it("cell ids follow [A-Za-z0-9._-]{1,128}", () => {
    for (const id of ["a", "A.b_c-9", "x".repeat(128), "..", "-"]) {
      const input = validDoc();
      input.spec.id = id;
      expect(parseExecutionCellDocument(input).spec.id).toBe(id);
    }
    for (const id of ["", "x".repeat(129), "has space", "a/b", "ünï", "a\n", 7]) {
      const input = validDoc();
      input.spec.id = id;
      expect(pathsOf(input)).toEqual(["spec.id"]);
    }
  });

  it("ttl is an integer of at least one second", () => {
    for (const ttl of [0, -1, 1.5, "60", null]) {
      const input = validDoc();
      input.spec.lifetime.ttlSeconds = ttl;
      expect(pathsOf(input)).toEqual(["spec.lifetime.ttlSeconds"]);
    }
    const input = validDoc();
    input.spec.lifetime.ttlSeconds = 1;
    expect(parseExecutionCellDocument(input).spec.lifetime.ttlSeconds).toBe(1);
  });

  it("requires authority and lifetime", () => {
    const input = validDoc();
    delete input.spec.authority;
    delete input.spec.lifetime;
    expect(pathsOf(input)).toEqual(["spec.authority", "spec.lifetime"]);
  });

  it("argv is a non-empty array of strings with a non-empty program", () => {
    const cases: [unknown, string[]][] = [
      [[], ["spec.run.argv"]],
      [[""], ["spec.run.argv[0]"]],
      [["node", 3], ["spec.run.argv[1]"]],
      ["node agent.js", ["spec.run.argv"]],
      [["ok", "\ud800"], ["spec.run.argv[1]"]],
    ];
    for (const [argv, paths] of cases) {
      const input = validDoc();
      input.spec.run.argv = argv;
      expect(pathsOf(input)).toEqual(paths);
    }
    const input = validDoc();
    input.spec.run.argv = ["prog", "", "😀"];
    expect(parseExecutionCellDocument(input).spec.run?.argv).toEqual(["prog", "", "😀"]);
  });

  it("egress ports are integers in 1–65535", () => {
    for (const port of [1, 443, 65535]) {
      const input = validDoc();
      input.spec.authority.egressRules = [{ host: "h", port }];
      expect(parseExecutionCellDocument(input).spec.authority.egressRules?.[0]?.port).toBe(port);
    }
    for (const port of [0, 65536, -1, 443.5, "443"]) {
      const input = validDoc();
      input.spec.authority.egressRules = [{ host: "h", port: 1 }, { host: "h", port }];
      expect(pathsOf(input)).toEqual(["spec.authority.egressRules[1].port"]);
    }
  });

  it("ArgvTooLarge when the base64 argv is over 3072 bytes, with both numbers", () => {
    const input = validDoc();
    input.spec.run.argv = ["node", "x".repeat(3000)];
    const error = errorOf(input);
    expect(error.kind).toBe("ArgvTooLarge");
    // ["node","xxx…"] is 9 + 3000 + 2 = 3011 JSON bytes → 4 × ⌈3011 / 3⌉ = 4016.
    expect(error.encodedBytes).toBe(4016);
    expect(error.limitBytes).toBe(3072);
    expect(error.message).toBe("spec.run.argv encoded as base64 is 4016 bytes; exceeds 3072-byte kernel cmdline limit");
    expect(error.problems.map((p) => p.path)).toEqual(["spec.run.argv"]);
  });

  it("lists every problem with its JSON path, not just the first", () => {
    const input = {
      apiVersion: "v0",
      kind: "ExecutionCell",
      spec: {
        id: "bad id",
        run: { argv: ["node", "y".repeat(4000)], timeoutMs: -5 },
        authority: { egressRules: [{ host: "", port: 70000 }], secretRefs: [1] },
        lifetime: { ttlSeconds: 0 },
        correlation: { labels: { team: 3 } },
      },
    };
    const error = errorOf(input);
    expect(error.kind).toBe("InvalidSpec");
    const paths = error.problems.map((p) => p.path);
    expect(paths).toEqual([
      "apiVersion",
      "spec.id",
      "spec.correlation.labels.team",
      "spec.run.argv",
      "spec.run.timeoutMs",
      "spec.authority.egressRules[0].host",
      "spec.authority.egressRules[0].port",
      "spec.authority.secretRefs[0]",
      "spec.lifetime.ttlSeconds",
    ]);
    expect(error.message.startsWith("invalid cell specification: 9 problems: ")).toBe(true);
    for (const path of paths) expect(error.message).toContain(`${path}: `);
    // 9 + 4000 + 2 = 4011 JSON bytes → 4 × 1337 = 5348.
    expect(error.message).toContain("encoded as base64 is 5348 bytes; exceeds 3072-byte kernel cmdline limit");
    expect(error.message).toContain('(got "bad id")');
  });

  it("safeParse returns the error instead of throwing", () => {
    const result = safeParseExecutionCellDocument({ apiVersion: "cellos.io/v1" });
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error.problems.map((p) => p.path)).toEqual(["kind", "spec"]);
    const ok = safeParseExecutionCellDocument(validDoc());
    expect(ok.success).toBe(true);
  });

  it("validateExecutionCellDocument throws CellosError for a typed but invalid document", () => {
    const document: ExecutionCellDocument = { apiVersion: "cellos.io/v1", kind: "ExecutionCell", spec: { id: "ok", authority: {}, lifetime: { ttlSeconds: 0 } } };
    expect(() => { validateExecutionCellDocument(document); }).toThrow(CellosError);
    expect(() => { validateExecutionCellDocument(document); }).toThrow("invalid cell specification: spec.lifetime.ttlSeconds: must be an integer ≥ 1 (got 0)");
  });
});
