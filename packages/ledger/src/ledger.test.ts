import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { createCortexHasher, cortexEventToWire, payloadHash, verifyChain, type CortexEvent } from "@cellos-cortex/cortex-core";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { at } from "./__fixtures__/at.js";
import { sampleEvent } from "./__fixtures__/events.js";
import { Ledger } from "./ledger.js";
import { LedgerError } from "./ledger-error.js";
import type { LedgerLogger } from "./ledger-logger.js";
import { exportPrivateKeyJwk, generateSigningKey, keyId } from "./signing-key.js";

const quiet: LedgerLogger = { warn: () => undefined };

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe("Ledger", () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "ledger-"));
    path = join(dir, "ledger.jsonl");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("seals appended events with cortex-core's hash chain and reads them back", async () => {
    const ledger = await Ledger.open(path, { logger: quiet, fsync: false });
    const sealed: CortexEvent[] = [];
    for (let i = 0; i < 5; i++) sealed.push(await ledger.append(sampleEvent(i)));
    expect(sealed[0]?.prevEventHash).toBeNull();
    for (let i = 1; i < 5; i++) expect(sealed[i]?.prevEventHash).toBe(sealed[i - 1]?.eventHash);
    expect(sealed[2]?.payloadHash).toBe(await payloadHash(sampleEvent(2).payload));
    expect(ledger.head).toEqual({ count: 5, eventHash: sealed[4]?.eventHash });
    expect(await collect(ledger.read())).toEqual(sealed);
    await ledger.close();
    const read = await collect(Ledger.read(path));
    expect(read).toEqual(sealed);
    expect(await verifyChain(read)).toMatchObject({ ok: true, count: 5 });
    expect(await Ledger.verify(path)).toEqual({ ok: true, count: 5 });
  });

  it("creates an empty ledger that verifies with count 0", async () => {
    const ledger = await Ledger.open(path, { logger: quiet });
    expect(ledger.head).toEqual({ count: 0, eventHash: null });
    expect(ledger.tornTail).toBeNull();
    expect(await collect(ledger.read())).toEqual([]);
    await ledger.close();
    expect(await Ledger.verify(path)).toEqual({ ok: true, count: 0 });
    expect(await Ledger.verify(path, { expectedHead: { count: 0, eventHash: null } })).toEqual({ ok: true, count: 0 });
  });

  it("keeps everything but the hashes of the appended event", async () => {
    const ledger = await Ledger.open(path, { logger: quiet, fsync: false });
    const event = sampleEvent(7);
    const sealed = await ledger.append(event);
    await ledger.close();
    expect({ ...sealed, payloadHash: "", prevEventHash: null, eventHash: "" }).toEqual(event);
    expect(event.eventHash).toBe(""); // the input is not mutated
  });

  it("writes one row per line: the wire event, a row hash and, when signing, the key id and signature", async () => {
    const { privateKey, publicKey } = generateSigningKey();
    const ledger = await Ledger.open(path, { signingKey: privateKey, logger: quiet, fsync: false });
    const sealed = await ledger.append(sampleEvent(1));
    await ledger.close();
    const text = await readFile(path, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.split("\n");
    expect(lines).toHaveLength(2);
    const row = JSON.parse(at(lines, 0)) as Record<string, unknown>;
    expect(Object.keys(row)).toEqual(["event", "key_id", "row_hash", "signature"]);
    expect(row.event).toEqual(cortexEventToWire(sealed));
    expect(Object.keys(row.event as object)).toEqual(Object.keys(cortexEventToWire(sealed)));
    expect(row.key_id).toBe(keyId(publicKey));
    expect(row.row_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.signature).toMatch(/^[0-9a-f]{128}$/);
    expect(await Ledger.verify(path, { publicKey })).toEqual({ ok: true, count: 1 });
  });

  it("computes the row hash as BLAKE3 over 0x02 and the stored event bytes", async () => {
    const ledger = await Ledger.open(path, { logger: quiet, fsync: false });
    await ledger.append(sampleEvent(3));
    await ledger.close();
    const line = (await readFile(path)).subarray(0, -1);
    const row = JSON.parse(line.toString("utf8")) as { row_hash: string };
    const eventBytes = line.subarray('{"event":'.length, line.length - ',"row_hash":"'.length - 64 - 2);
    const hasher = await createCortexHasher();
    expect(hasher.blake3Hex(Buffer.concat([Buffer.from([0x02]), eventBytes]))).toBe(row.row_hash);
  });

  it("serializes concurrent appends in call order", async () => {
    const ledger = await Ledger.open(path, { logger: quiet, fsync: true });
    const events = Array.from({ length: 40 }, (_, i) => sampleEvent(i));
    const sealed = await Promise.all(events.map((event) => ledger.append(event)));
    expect(sealed.map((e) => e.id)).toEqual(events.map((e) => e.id));
    await ledger.close();
    const read = await collect(Ledger.read(path));
    expect(read.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(await Ledger.verify(path)).toEqual({ ok: true, count: 40 });
  });

  it("continues the chain after reopening", async () => {
    const { privateKey, publicKey } = generateSigningKey();
    let ledger = await Ledger.open(path, { signingKey: privateKey, logger: quiet });
    await ledger.append(sampleEvent(0));
    const second = await ledger.append(sampleEvent(1));
    await ledger.close();
    ledger = await Ledger.open(path, { signingKey: privateKey, logger: quiet });
    expect(ledger.head).toEqual({ count: 2, eventHash: second.eventHash });
    expect(ledger.tornTail).toBeNull();
    const third = await ledger.append(sampleEvent(2));
    expect(third.prevEventHash).toBe(second.eventHash);
    await ledger.close();
    expect(await Ledger.verify(path, { publicKey })).toEqual({ ok: true, count: 3 });
  });

  it("accepts an event already sealed after its head (copying a chain) and refuses one sealed elsewhere", async () => {
    const source = await Ledger.open(path, { logger: quiet, fsync: false });
    const a = await source.append(sampleEvent(0));
    const b = await source.append(sampleEvent(1));
    await source.close();
    const copy = await Ledger.open(join(dir, "copy.jsonl"), { logger: quiet, fsync: false });
    await expect(copy.append(b)).rejects.toMatchObject({ kind: "ChainMismatch" });
    expect(await copy.append(a)).toEqual(a);
    expect(await copy.append(b)).toEqual(b);
    await expect(copy.append({ ...b, payload: { forged: true } })).rejects.toMatchObject({ kind: "ChainMismatch" });
    expect(copy.head).toEqual({ count: 2, eventHash: b.eventHash });
    await copy.close();
  });

  it("rejects junk events with InvalidEvent and writes nothing", async () => {
    const ledger = await Ledger.open(path, { logger: quiet, fsync: false });
    const good = sampleEvent(0);
    const junk = fc.oneof(
      fc.anything(),
      fc.record({ key: fc.constantFrom(...Object.keys(good)), value: fc.anything() }).map(({ key, value }) => ({ ...good, [key]: value })),
      fc.constantFrom<unknown>(
        { ...good, payload: { n: Number.NaN } },
        { ...good, payload: { u: undefined } },
        { ...good, payload: "\ud800" },
        { ...good, payloadHash: "0".repeat(64) },
        { ...good, prevEventHash: "0".repeat(64) },
        { ...good, eventType: "not.an.event.type" },
        { ...good, schemaVersion: 3 },
      ),
    );
    await fc.assert(
      fc.asyncProperty(junk, async (value) => {
        let accepted: CortexEvent | undefined;
        try {
          accepted = await ledger.append(value as CortexEvent);
        } catch (error) {
          expect(error).toBeInstanceOf(LedgerError);
          expect(["InvalidEvent", "ChainMismatch"]).toContain((error as LedgerError).kind);
          return;
        }
        // fast-check can rebuild a valid event (e.g. the same value for a key): then it must be a sealed, valid row.
        expect(accepted.eventHash).toMatch(/^[0-9a-f]{64}$/);
      }),
      { numRuns: 200 },
    );
    const count = ledger.head.count;
    await ledger.close();
    expect(await Ledger.verify(path)).toEqual({ ok: true, count });
  });

  it("refuses appends after close, and close waits for queued appends", async () => {
    const ledger = await Ledger.open(path, { logger: quiet });
    const pending = [ledger.append(sampleEvent(0)), ledger.append(sampleEvent(1))];
    const closing = ledger.close();
    await expect(ledger.append(sampleEvent(2))).rejects.toMatchObject({ kind: "Closed" });
    await closing;
    expect((await Promise.all(pending)).map((e) => e.id)).toEqual([sampleEvent(0).id, sampleEvent(1).id]);
    await ledger.close(); // idempotent
    expect(await Ledger.verify(path)).toEqual({ ok: true, count: 2 });
    await expect(collect(ledger.read())).rejects.toMatchObject({ kind: "Closed" });
  });

  it("flushes to disk on sync() with fsync off", async () => {
    const ledger = await Ledger.open(path, { logger: quiet, fsync: false });
    expect(ledger.fsync).toBe(false);
    void ledger.append(sampleEvent(0));
    void ledger.append(sampleEvent(1));
    await ledger.sync();
    expect((await readFile(path, "utf8")).split("\n")).toHaveLength(3);
    await ledger.close();
  });

  it("validates keys and options", async () => {
    const { publicKey } = generateSigningKey();
    await expect(Ledger.open(path, { signingKey: publicKey, logger: quiet })).rejects.toMatchObject({ kind: "InvalidKey" });
    await expect(Ledger.open(path, { maxRowBytes: 3, logger: quiet })).rejects.toMatchObject({ kind: "InvalidOption" });
    await expect(Ledger.verify(path, { expectedHead: { count: -1, eventHash: null } })).rejects.toMatchObject({ kind: "InvalidOption" });
    await expect(Ledger.verify(join(dir, "missing.jsonl"))).rejects.toMatchObject({ kind: "Io" });
    await expect(collect(Ledger.read(join(dir, "missing.jsonl")))).rejects.toMatchObject({ kind: "Io" });
  });

  it("never shows the signing key when the ledger is inspected", async () => {
    const { privateKey } = generateSigningKey();
    const ledger = await Ledger.open(path, { signingKey: privateKey, logger: quiet, fsync: false });
    const d = exportPrivateKeyJwk(privateKey).d;
    const text = inspect(ledger, { showHidden: true, depth: 10 }) + JSON.stringify(ledger) + Object.prototype.toString.call(ledger);
    expect(text).not.toContain(d);
    expect(text).not.toContain(Buffer.from(d, "base64url").toString("hex"));
    await ledger.close();
  });

  it("checks the expected head: rows removed from the end are found", async () => {
    const ledger = await Ledger.open(path, { logger: quiet, fsync: false });
    for (let i = 0; i < 3; i++) await ledger.append(sampleEvent(i));
    const head = ledger.head;
    await ledger.close();
    expect(await Ledger.verify(path, { expectedHead: head })).toEqual({ ok: true, count: 3 });
    const lines = (await readFile(path, "utf8")).split("\n");
    await writeFile(path, `${lines.slice(0, 2).join("\n")}\n`);
    expect(await Ledger.verify(path)).toEqual({ ok: true, count: 2 });
    const report = await Ledger.verify(path, { expectedHead: head });
    expect(report).toMatchObject({ ok: false, count: 2, firstBadIndex: 2 });
    expect(report.reason).toContain("expected head has 3");
  });

  it("aborts open through its signal and releases the lock", async () => {
    await expect(Ledger.open(path, { logger: quiet, signal: AbortSignal.abort() })).rejects.toMatchObject({ kind: "Aborted" });
    const ledger = await Ledger.open(path, { logger: quiet, fsync: false });
    await ledger.close();
  });

  it("refuses a path that is not a regular file", async () => {
    await expect(Ledger.open(dir, { logger: quiet })).rejects.toMatchObject({ kind: "Io" });
    await expect(Ledger.verify("/dev/zero")).rejects.toMatchObject({ kind: "Io", message: expect.stringContaining("not a regular file") as unknown });
  });

  it("aborts verify and read through their signal", async () => {
    const ledger = await Ledger.open(path, { logger: quiet, fsync: false });
    await ledger.append(sampleEvent(0));
    await ledger.close();
    const signal = AbortSignal.abort();
    await expect(Ledger.verify(path, { signal })).rejects.toMatchObject({ kind: "Aborted" });
    await expect(collect(Ledger.read(path, { signal }))).rejects.toMatchObject({ kind: "Aborted" });
  });
});
