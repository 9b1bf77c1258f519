/** Test documents and fast-check arbitraries for cell documents, rules and refs. */
import type { EgressRule, ExecutionCellDocument } from "@cellos-cortex/cellos-core";
import { safeParseExecutionCellDocument } from "@cellos-cortex/cellos-core";
import fc from "fast-check";
import type { DoctrineRule, DoctrineRuleTable } from "../rule-table.js";

/** A realistic cell document, as the bridge would build it and an operator would widen it. */
export function realisticDocument(): ExecutionCellDocument {
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

/** Freezes every object reachable from `value`. */
export function deepFreezeForTest<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const item of Object.values(value)) deepFreezeForTest(item);
    Object.freeze(value);
  }
  return value;
}

/** Hosts chosen so that patterns overlap, nest and miss in every way, plus hosts no pattern can read. */
export const HOST_POOL = [
  "example.com",
  "api.example.com",
  "x.api.example.com",
  "API.Example.COM",
  "example.com.",
  "*.example.com",
  "*.api.example.com",
  "other.org",
  "*.org",
  "*",
  "10.0.0.5",
  "::1",
  "[::1]",
  "a.*.com",
  ".example.com",
  "example.com:443",
  "exämple.com",
] as const;

export const PATTERN_POOL = [
  "*",
  "*:443",
  "example.com",
  "example.com:443",
  "api.example.com",
  "api.example.com:443",
  "api.example.com:80",
  "*.example.com",
  "*.example.com:443",
  "*.api.example.com",
  "other.org:8080",
  "*.org",
  "10.0.0.5",
  "[::1]",
  "[::1]:443",
] as const;

export const SECRET_POOL = ["A", "B", "C", "OPENAI_API_KEY", "constructor", "__proto__"] as const;
export const CAPABILITY_POOL = ["NET_ADMIN", "CHOWN", "SYS_PTRACE", "toString"] as const;
const PORT_POOL = [80, 443, 5432, 8080, 1, 65535] as const;

/** Documents come from JSON: plain objects, never null-prototype ones (those are tested on their own). */
const NO_NULL_PROTO = { noNullPrototype: true } as const;

const nullish = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null | undefined> =>
  fc.oneof(arb, fc.constant(null), fc.constant(undefined));

export const egressRuleArb: fc.Arbitrary<EgressRule> = fc.record(
  {
    host: fc.constantFrom(...HOST_POOL),
    port: fc.oneof(fc.constantFrom(...PORT_POOL), fc.integer({ min: 1, max: 65535 })),
    protocol: fc.constantFrom("tcp", "udp"),
  },
  { requiredKeys: ["host", "port"], noNullPrototype: true },
);

/** Drops keys whose value is undefined, so "absent" is absent rather than present-and-undefined. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const authorityArb = fc
  .record({
    egressRules: nullish(fc.array(egressRuleArb, { maxLength: 6 })),
    secretRefs: nullish(fc.array(fc.constantFrom(...SECRET_POOL), { maxLength: 5 })),
    filesystem: nullish(
      fc
        .record({
          readOnly: nullish(fc.boolean()),
          writablePaths: nullish(fc.array(fc.constantFrom("/work", "/tmp", "/var"), { maxLength: 3 })),
          mountMode: fc.constantFrom(undefined, "overlay"),
        }, NO_NULL_PROTO)
        .map(compact),
    ),
    exports: nullish(fc.record({ allowed: fc.boolean() }, NO_NULL_PROTO)),
    capabilities: nullish(fc.array(fc.constantFrom(...CAPABILITY_POOL), { maxLength: 4 })),
    vendorExtension: fc.constantFrom(undefined, { keep: ["me"] }),
  }, NO_NULL_PROTO)
  .map(compact);

const runArb = fc
  .record({
    argv: fc.array(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 4 }),
    timeoutMs: nullish(fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(0, 60_000, 60_001))),
    workingDirectory: fc.constantFrom(undefined, "/work"),
  }, NO_NULL_PROTO)
  .map(compact);

/** Valid ExecutionCell documents (checked with cellos-core), with unmodelled fields to carry through. */
export const documentArb: fc.Arbitrary<ExecutionCellDocument> = fc
  .record({
    id: fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/),
    run: nullish(runArb),
    authority: authorityArb,
    ttlSeconds: fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom(1, 59, 60, 61, 300)),
    telemetry: fc.constantFrom(undefined, { sampleRate: 0.5, tags: ["a"] }),
  }, NO_NULL_PROTO)
  .map(({ id, run, authority, ttlSeconds, telemetry }) => {
    const spec = compact({ id, run, authority, lifetime: { ttlSeconds }, telemetry });
    const document: ExecutionCellDocument = { apiVersion: "cellos.io/v1", kind: "ExecutionCell", spec };
    return document;
  })
  .filter((doc) => safeParseExecutionCellDocument(doc).success);

const nameDropArb = (pool: readonly string[]) =>
  fc.oneof(fc.constant(true as const), fc.array(fc.constantFrom(...pool), { maxLength: 3 }));

/** Valid rules: every operation, alone and combined. */
export const ruleArb: fc.Arbitrary<DoctrineRule> = fc
  .record(
    {
      denyEgress: fc.constant(true as const),
      restrictEgressTo: fc.array(fc.constantFrom(...PATTERN_POOL), { maxLength: 4 }),
      dropSecrets: nameDropArb(SECRET_POOL),
      maxTtlSeconds: fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom(1, 60, 300)),
      readOnlyFilesystem: fc.constant(true as const),
      denyExports: fc.constant(true as const),
      dropCapabilities: nameDropArb(CAPABILITY_POOL),
    },
    { requiredKeys: [], noNullPrototype: true },
  )
  .map(compact);

/** Operator doctrine ids; `no-egress` is shared with the built-in table on purpose. */
export const OPERATOR_IDS = ["op-a", "op-b", "op-c", "op-d", "no-egress", "dct_01J9ZK5V8Q3M4N6P7R8S9T0V1W"] as const;
export const UNKNOWN_IDS = ["No-Egress", "no-egress ", "D5", "p1", "__proto__", "toString", ""] as const;

export const tableArb: fc.Arbitrary<DoctrineRuleTable> = fc
  .record({
    extends: fc.constantFrom("builtin" as const, "none" as const),
    rules: fc.dictionary(fc.constantFrom(...OPERATOR_IDS), ruleArb, { maxKeys: OPERATOR_IDS.length, noNullPrototype: true }),
  })
  .map(({ extends: base, rules }) => ({ version: 1 as const, extends: base, rules }));

/** Ref lists mixing built-in, operator and unknown ids, with repeats. */
export const refsArb = (known: readonly string[]): fc.Arbitrary<string[]> =>
  fc.array(
    fc.oneof(
      ...(known.length > 0 ? [fc.constantFrom(...known), fc.constantFrom(...known)] : []),
      fc.constantFrom(...UNKNOWN_IDS),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 10 },
  );
