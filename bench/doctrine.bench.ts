/**
 * @cellos-cortex/doctrine: `DoctrineAuthorityPolicy.apply` with 10 doctrine
 * refs on a realistic cell document, against `structuredClone` of the same
 * document. `apply` validates the input (cellos-core's
 * validateExecutionCellDocument), copies it, meets the 10 rules and narrows
 * the copy once, recording every change. Target (issue 5): ≤ 3× the time of
 * structuredClone.
 */
import { validateExecutionCellDocument, type ExecutionCellDocument } from "@cellos-cortex/cellos-core";
import { BUILTIN_DOCTRINE_IDS, DoctrineAuthorityPolicy } from "@cellos-cortex/doctrine";
import { compare, printRow } from "./harness.js";

function realisticDocument(): ExecutionCellDocument {
  return {
    apiVersion: "cellos.io/v1",
    kind: "ExecutionCell",
    spec: {
      id: "cortex-3f2a9c1d7e5b4a60",
      correlation: { platform: "cortex", externalRunId: "run-42", tenantId: "acme", labels: { team: "sre" } },
      placement: { poolId: "pool-a" },
      run: {
        argv: ["node", "agent.js", "--mode", "run", "summarise the incident report"],
        workingDirectory: "/work",
        timeoutMs: 300_000,
        secretDelivery: "env",
      },
      authority: {
        egressRules: [
          { host: "api.example.com", port: 443, protocol: "tcp" },
          { host: "*.s3.amazonaws.com", port: 443 },
          { host: "10.0.0.5", port: 5432 },
          { host: "registry.npmjs.org", port: 443 },
        ],
        secretRefs: ["OPENAI_API_KEY", "DB_PASSWORD", "S3_TOKEN"],
        filesystem: { readOnly: false, writablePaths: ["/work", "/tmp"] },
        exports: { allowed: true },
        capabilities: ["NET_BIND_SERVICE", "CHOWN"],
      },
      lifetime: { ttlSeconds: 300 },
      export: { artifacts: [{ name: "report", path: "/work/out/report.md" }] },
      telemetry: { otlpEndpoint: "http://127.0.0.1:4318", sampleRate: 1 },
    },
  };
}

export default async function (): Promise<void> {
  const policy = new DoctrineAuthorityPolicy({
    version: 1,
    extends: "builtin",
    rules: {
      "dct_01J9ZK5V8Q3M4N6P7R8S9T0V1W": { restrictEgressTo: ["*.amazonaws.com:443", "api.example.com", "registry.npmjs.org:443"] },
      "dct_01J9ZK5V8Q3M4N6P7R8S9T0V1X": { dropSecrets: ["DB_PASSWORD"], maxTtlSeconds: 120 },
    },
  });
  // 10 refs: the six built-in ids, two operator rules, two ids nobody knows.
  const refs = [...BUILTIN_DOCTRINE_IDS, "dct_01J9ZK5V8Q3M4N6P7R8S9T0V1W", "dct_01J9ZK5V8Q3M4N6P7R8S9T0V1X", "p1", "D5"];
  if (refs.length !== 10) throw new Error("expected 10 refs");
  // Only the operator rules and unknown ids: egress filtering actually runs (no-egress would pre-empt it).
  const partialRefs = ["dct_01J9ZK5V8Q3M4N6P7R8S9T0V1W", "dct_01J9ZK5V8Q3M4N6P7R8S9T0V1X", "no-exports", "short-lived", "p1", "D5", "D6", "D7", "D8", "D9"];
  const document = realisticDocument();
  const check = policy.apply(document, refs);
  if (check.unknownDoctrineIds.length !== 2 || check.document.spec.lifetime.ttlSeconds !== 60) throw new Error("apply misbehaves");

  for (const [label, list] of [["6 built-in + 2 operator + 2 unknown", refs], ["allowlist + named drops + 6 unknown", partialRefs]] as const) {
    const row = await compare({
      name: `apply, 10 refs (${label}) vs structuredClone of the document`,
      ours: () => policy.apply(document, list),
      baseline: () => structuredClone(document),
      time: 1_000,
    });
    const oursUs = 1e6 / row.ours;
    const baselineUs = 1e6 / row.baseline;
    printRow({
      name: `apply, 10 refs (${label}), µs per call`,
      ours: oursUs,
      baseline: baselineUs,
      unit: "µs/op",
      ratio: oursUs / baselineUs,
      target: "≤ 3× structuredClone",
      met: oursUs / baselineUs <= 3,
      note: "ratio = apply time / structuredClone time (lower is better here)",
    });
  }

  // Where the time goes: the admission check apply must run before any rule.
  await compare({
    name: "validateExecutionCellDocument alone (part of apply) vs structuredClone",
    ours: () => validateExecutionCellDocument(document),
    baseline: () => structuredClone(document),
    time: 500,
    note: "context only: the validator belongs to cellos-core",
  });
}
