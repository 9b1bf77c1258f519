import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CellosError,
  CellosEventType,
  JsonlFileEventSink,
  MemoryEventSink,
  buildCellosEvent,
  checkArgvSizeWithinKernelCmdlineLimit,
  commandCompletedEvent,
  lifecycleDestroyedEvent,
  parseCellosEventData,
  parseCloudEventV1,
  parseExecutionCellDocument,
  safeParseCloudEventV1,
  safeParseExecutionCellDocument,
  validateExecutionCellDocument,
} from "./index.js";
import type { CellosEventKey } from "./index.js";

const KINDS = new Set(["InvalidSpec", "ArgvTooLarge", "Host", "EventSink", "SecretBroker", "ExportSink", "Lifecycle", "InferenceBroker"]);
const EVENT_KEYS = Object.keys(CellosEventType) as CellosEventKey[];
const TEN_MB = "x".repeat(10 * 1024 * 1024);

/** Own property names of the built-in prototypes, to prove nothing was added to them. */
function prototypeSnapshot(): string {
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype]
    .map((proto) => Reflect.ownKeys(proto).map(String).sort().join(","))
    .join("|");
}

function deeplyNested(depth: number, kind: "object" | "array"): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = kind === "object" ? { a: value, spec: value } : [value];
  return value;
}

/** Runs fn; it may return, or throw a CellosError with a bounded message; anything else fails the test. */
function onlyCellosError(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof CellosError)) throw new Error(`threw a non-CellosError: ${String(error)}`, { cause: error });
    expect(KINDS.has(error.kind)).toBe(true);
    expect(error.message.length).toBeLessThan(50_000);
  }
}

/** Like onlyCellosError for an async API: it must not throw synchronously and must reject only with CellosError. */
async function onlyCellosRejection(fn: () => Promise<unknown>): Promise<boolean> {
  let promise: Promise<unknown> | undefined;
  expect(() => {
    promise = fn();
  }).not.toThrow();
  try {
    await promise;
    return true;
  } catch (error) {
    if (!(error instanceof CellosError)) throw new Error(`rejected with a non-CellosError: ${String(error)}`, { cause: error });
    expect(KINDS.has(error.kind)).toBe(true);
    return false;
  }
}

const nastyKey = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "apiVersion", "kind", "spec", "id", "run", "argv", "authority", "lifetime", "ttlSeconds", "egressRules", "port", "data", "cellId", "source", "type", "specversion", "time"),
);

const junk = fc.oneof(
  fc.anything({ key: nastyKey, maxDepth: 4, withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withBoxedValues: true }),
  fc.json().map((text) => JSON.parse(text) as unknown),
  fc.constantFrom<unknown>(null, undefined, 0, -0, Number.NaN, Infinity, "", [], {}, TEN_MB, [TEN_MB], { [TEN_MB.slice(0, 1_000_000)]: 1 }),
  fc.constantFrom<unknown>(deeplyNested(50_000, "object"), deeplyNested(50_000, "array")),
  fc.constantFrom('{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}', '{"spec":{"__proto__":{"polluted":true},"authority":{"__proto__":[]}}}').map((text) => JSON.parse(text) as unknown),
);

/** A valid document with one part replaced by junk, so the parser gets past the top level. */
const nearlyValidDocument = fc
  .record({
    where: fc.constantFrom("root", "apiVersion", "spec", "id", "run", "argv", "argv0", "authority", "egress", "port", "lifetime", "ttl", "correlation", "labels", "secretDelivery", "ingress"),
    value: junk,
  })
  .map(({ where, value }) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the fixture is mutated at arbitrary paths
    const doc: Record<string, any> = {
      apiVersion: "cellos.io/v1",
      kind: "ExecutionCell",
      spec: {
        id: "cell-1",
        correlation: { labels: { a: "b" } },
        run: { argv: ["node", "x"], secretDelivery: "env" },
        authority: { egressRules: [{ host: "h", port: 443 }] },
        lifetime: { ttlSeconds: 5 },
      },
    };
    const spec = doc.spec;
    switch (where) {
      case "root": return value;
      case "apiVersion": doc.apiVersion = value; break;
      case "spec": doc.spec = value; break;
      case "id": spec.id = value; break;
      case "run": spec.run = value; break;
      case "argv": spec.run.argv = value; break;
      case "argv0": spec.run.argv[0] = value; break;
      case "authority": spec.authority = value; break;
      case "egress": spec.authority.egressRules = value; break;
      case "port": spec.authority.egressRules[0].port = value; break;
      case "lifetime": spec.lifetime = value; break;
      case "ttl": spec.lifetime.ttlSeconds = value; break;
      case "correlation": spec.correlation = value; break;
      case "labels": spec.correlation.labels = value; break;
      case "secretDelivery": spec.run.secretDelivery = value; break;
      default: spec.ingress = value; break;
    }
    return doc;
  });

const RUNS = { numRuns: 150 };

describe("junk input gets a typed CellosError, never anything else, never pollutes prototypes", () => {
  let before: string;
  beforeAll(() => {
    before = prototypeSnapshot();
  });
  afterAll(() => {
    expect(prototypeSnapshot()).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("parseExecutionCellDocument / safeParse / validate", () => {
    fc.assert(
      fc.property(fc.oneof(junk, nearlyValidDocument), (input) => {
        onlyCellosError(() => parseExecutionCellDocument(input));
        onlyCellosError(() => { validateExecutionCellDocument(input as never); });
        const result = safeParseExecutionCellDocument(input);
        if (!result.success) expect(result.error).toBeInstanceOf(CellosError);
        expect(prototypeSnapshot()).toBe(before);
      }),
      RUNS,
    );
  });

  it("parseCloudEventV1 / safeParseCloudEventV1", () => {
    fc.assert(
      fc.property(junk, (input) => {
        onlyCellosError(() => parseCloudEventV1(input));
        const result = safeParseCloudEventV1(input);
        if (!result.success) expect(result.error).toBeInstanceOf(CellosError);
      }),
      RUNS,
    );
  });

  it("parseCellosEventData for every event type", () => {
    fc.assert(
      fc.property(fc.constantFrom(...EVENT_KEYS), junk, (key, input) => {
        onlyCellosError(() => parseCellosEventData(key, input));
      }),
      RUNS,
    );
  });

  it("event constructors given junk fields", () => {
    fc.assert(
      fc.property(fc.constantFrom(...EVENT_KEYS), junk, fc.boolean(), (key, input, merge) => {
        const fields = merge && typeof input === "object" && input !== null ? { source: "/s", cellId: "c", specId: "s", ...input } : input;
        onlyCellosError(() => buildCellosEvent(key, fields as never));
      }),
      RUNS,
    );
    onlyCellosError(() => buildCellosEvent("nope" as CellosEventKey, { source: "/s" } as never));
  });

  it("argv size check given junk strings", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary" }), { maxLength: 20 }), (argv) => {
        onlyCellosError(() => { checkArgvSizeWithinKernelCmdlineLimit(argv); });
      }),
      RUNS,
    );
  });

  it("10 MB strings in every modelled position", () => {
    const base = () => ({ apiVersion: "cellos.io/v1", kind: "ExecutionCell", spec: { id: "c", run: { argv: ["a"] }, authority: {}, lifetime: { ttlSeconds: 1 } } });
    const variants: unknown[] = [TEN_MB, { ...base(), apiVersion: TEN_MB }, { ...base(), [TEN_MB]: 1 }];
    const withId = base();
    withId.spec.id = TEN_MB;
    const withArgv = base();
    withArgv.spec.run.argv = ["node", TEN_MB];
    variants.push(withId, withArgv);
    for (const input of variants) {
      const result = safeParseExecutionCellDocument(input);
      if (result.success) {
        // An unknown 10 MB key is kept, not lost.
        expect(JSON.stringify(result.data)).toBe(JSON.stringify(input));
      } else {
        expect(result.error.message.length).toBeLessThan(2_000);
      }
    }
    expect(safeParseExecutionCellDocument(withArgv)).toMatchObject({ success: false, error: { kind: "ArgvTooLarge" } });
    onlyCellosError(() => lifecycleDestroyedEvent({ source: TEN_MB, cellId: TEN_MB, specId: "s", outcome: "failed", time: TEN_MB }));
    onlyCellosError(() => commandCompletedEvent({ source: "/s", cellId: "c", specId: "s", argv: [TEN_MB], exitCode: 0, durationMs: 0 }));
  });

  it("__proto__ keys are reported, not dropped, and never reach a prototype", () => {
    const input = JSON.parse('{"apiVersion":"cellos.io/v1","kind":"ExecutionCell","__proto__":{"polluted":1},"spec":{"id":"c","authority":{"__proto__":{"egressRules":[{"host":"evil","port":1}]}},"lifetime":{"ttlSeconds":1},"ingress":{"__proto__":{"kept":true}}}}') as unknown;
    const result = safeParseExecutionCellDocument(input);
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error.problems.map((p) => p.path)).toEqual(["__proto__", "spec.authority.__proto__"]);
    // Inside a field we keep verbatim, the key is kept as an own property.
    const opaque = JSON.parse('{"apiVersion":"cellos.io/v1","kind":"ExecutionCell","spec":{"id":"c","authority":{},"lifetime":{"ttlSeconds":1},"ingress":{"__proto__":{"kept":true}}}}') as unknown;
    const parsed = parseExecutionCellDocument(opaque);
    expect(JSON.stringify(parsed)).toBe(JSON.stringify(opaque));
    expect(Object.hasOwn(parsed.spec.ingress as object, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).egressRules).toBeUndefined();
    const event = JSON.parse('{"specversion":"1.0","id":"1","source":"s","type":"t","__proto__":{"polluted":1}}') as unknown;
    expect(safeParseCloudEventV1(event).success).toBe(false);
  });
});

describe("event sinks given junk reject with EventSink and write nothing", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "cellos-core-junk-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("MemoryEventSink and JsonlFileEventSink", async () => {
    const memory = new MemoryEventSink();
    const path = join(dir, "events.jsonl");
    const file = new JsonlFileEventSink({ path });
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(junk, async (input) => {
        const okMemory = await onlyCellosRejection(() => memory.emit(input as never));
        const okFile = await onlyCellosRejection(() => file.emit(input as never));
        expect(okFile).toBe(okMemory);
        if (okFile) accepted++;
      }),
      { numRuns: 100 },
    );
    await file.close();
    const text = await readFile(path, "utf8").catch(() => "");
    expect(text.split("\n").filter(Boolean)).toHaveLength(accepted);
    expect(memory.events).toHaveLength(accepted);
  });

  it("a valid envelope around data too deep to serialize", async () => {
    const event = { specversion: "1.0" as const, id: "deep", source: "/s", type: "t", data: deeplyNested(200_000, "array") };
    const path = join(dir, "deep.jsonl");
    const file = new JsonlFileEventSink({ path });
    expect(await onlyCellosRejection(() => file.emit(event))).toBe(false);
    await file.close();
    await expect(readFile(path, "utf8")).rejects.toMatchObject({ code: "ENOENT" });
    // structuredClone copes with depth that JSON cannot, or fails; either way no foreign error escapes.
    await onlyCellosRejection(() => new MemoryEventSink().emit(event));
  });
});
