import { appendFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { at } from "./__fixtures__/at.js";
import { sampleEvent } from "./__fixtures__/events.js";
import { Ledger } from "./ledger.js";
import { LedgerError } from "./ledger-error.js";
import type { LedgerLogger } from "./ledger-logger.js";
import { generateSigningKey } from "./signing-key.js";

function recordingLogger(): LedgerLogger & { messages: string[] } {
  const messages: string[] = [];
  return { messages, warn: (message) => void messages.push(message) };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe("crash safety", () => {
  const { privateKey, publicKey } = generateSigningKey();
  let dir: string;
  /** A 20-row signed ledger and the byte offset where each row ends. */
  let pristine: Buffer;
  let rowEnds: number[];
  let caseNo = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ledger-crash-"));
    const path = join(dir, "pristine.jsonl");
    const ledger = await Ledger.open(path, { signingKey: privateKey, fsync: false, logger: recordingLogger() });
    for (let i = 0; i < 20; i++) await ledger.append(sampleEvent(i));
    await ledger.close();
    pristine = await readFile(path);
    rowEnds = [];
    for (let i = pristine.indexOf(0x0a); i !== -1; i = pristine.indexOf(0x0a, i + 1)) rowEnds.push(i + 1);
    expect(rowEnds).toHaveLength(20);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function ledgerFile(content: Buffer): Promise<string> {
    const path = join(dir, `case-${caseNo++}.jsonl`);
    await writeFile(path, content);
    return path;
  }

  it("detects a torn last row on open, reports it, and refuses to append", async () => {
    // A crash in the middle of writing row 20: the first 100 bytes of a valid row, no newline.
    const path = await ledgerFile(pristine);
    const extra = await Ledger.open(join(dir, "donor.jsonl"), { signingKey: privateKey, fsync: false, logger: recordingLogger() });
    for (let i = 0; i < 21; i++) await extra.append(sampleEvent(i));
    await extra.close();
    const donor = await readFile(join(dir, "donor.jsonl"));
    const torn = donor.subarray(pristine.length, pristine.length + 100);
    await appendFile(path, torn);

    const logger = recordingLogger();
    const ledger = await Ledger.open(path, { signingKey: privateKey, logger });
    expect(ledger.tornTail).toEqual({ offset: pristine.length, bytes: 100, repaired: false, droppedBytes: 0 });
    expect(ledger.head.count).toBe(20);
    expect(logger.messages[0]).toContain("torn tail: 100 bytes");
    const error = await ledger.append(sampleEvent(20)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerError);
    expect((error as LedgerError).kind).toBe("TornTail");
    expect((error as LedgerError).message).toContain("repairTornTail");
    // Reading still works up to the last complete row.
    expect(await collect(ledger.read())).toHaveLength(20);
    await ledger.close();
    // Nothing was changed on disk.
    expect((await stat(path)).size).toBe(pristine.length + 100);

    expect(await Ledger.verify(path, { publicKey })).toEqual({
      ok: false,
      count: 20,
      firstBadIndex: 20,
      reason: `row 20: torn tail: 100 bytes after the last complete row (at byte ${pristine.length})`,
    });
    await expect(collect(Ledger.read(path))).rejects.toMatchObject({ kind: "TornTail" });
    expect(await collect(Ledger.read(path, { allowTornTail: true }))).toHaveLength(20);
  });

  it("repairTornTail truncates to the last complete row and says how many bytes it dropped", async () => {
    const path = await ledgerFile(Buffer.concat([pristine, Buffer.from('{"event":{"id":"evt_')]));
    const logger = recordingLogger();
    const ledger = await Ledger.open(path, { signingKey: privateKey, repairTornTail: true, logger });
    expect(ledger.tornTail).toEqual({ offset: pristine.length, bytes: 20, repaired: true, droppedBytes: 20 });
    expect(logger.messages).toEqual(["repaired torn tail: dropped 20 bytes after the last complete row"]);
    expect((await stat(path)).size).toBe(pristine.length);
    const next = await ledger.append(sampleEvent(20));
    await ledger.close();
    expect(next.prevEventHash).not.toBeNull();
    expect(await Ledger.verify(path, { publicKey })).toEqual({ ok: true, count: 21 });
  });

  it("whatever length a crash leaves the file at, open keeps the complete rows and repair restores a valid ledger", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: pristine.length }), async (cut) => {
        const path = await ledgerFile(pristine.subarray(0, cut));
        const complete = rowEnds.filter((end) => end <= cut);
        const lastEnd = complete.length === 0 ? 0 : at(complete, complete.length - 1);
        const ledger = await Ledger.open(path, { signingKey: privateKey, repairTornTail: true, logger: recordingLogger() });
        expect(ledger.head.count).toBe(complete.length);
        expect(ledger.tornTail).toEqual(cut === lastEnd ? null : { offset: lastEnd, bytes: cut - lastEnd, repaired: true, droppedBytes: cut - lastEnd });
        await ledger.append(sampleEvent(complete.length));
        await ledger.close();
        expect(await Ledger.verify(path, { publicKey })).toEqual({ ok: true, count: complete.length + 1 });
        await rm(path);
      }),
      { numRuns: 40 },
    );
  });

  it("refuses to open when the last complete row is corrupt, and changes nothing", async () => {
    const content = Buffer.from(pristine);
    const inLastRow = at(rowEnds, 18) + 30; // a byte inside row 19, the last one
    content[inLastRow] = content.readUInt8(inLastRow) ^ 0x01;
    const path = await ledgerFile(content);
    const error = await Ledger.open(path, { signingKey: privateKey, repairTornTail: true, logger: recordingLogger() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerError);
    expect((error as LedgerError).kind).toBe("Corrupt");
    expect((error as LedgerError).message).toContain("last row (19)");
    expect((await readFile(path)).equals(content)).toBe(true);
    // The lock was released: a later open gets the same Corrupt error, not Locked.
    await expect(Ledger.open(path, { logger: recordingLogger() })).rejects.toMatchObject({ kind: "Corrupt" });
  });

  it("treats zero bytes left by a lost write (no newline) as a torn tail", async () => {
    const path = await ledgerFile(Buffer.concat([pristine, Buffer.alloc(700)]));
    const ledger = await Ledger.open(path, { repairTornTail: true, logger: recordingLogger() });
    expect(ledger.tornTail?.droppedBytes).toBe(700);
    await ledger.close();
    expect(await Ledger.verify(path, { publicKey })).toEqual({ ok: true, count: 20 });
  });

  it("starts an empty ledger from a file that holds only a torn row", async () => {
    const path = await ledgerFile(pristine.subarray(0, 50));
    const ledger = await Ledger.open(path, { logger: recordingLogger() });
    expect(ledger.head).toEqual({ count: 0, eventHash: null });
    expect(ledger.tornTail).toMatchObject({ offset: 0, bytes: 50, repaired: false });
    await expect(ledger.append(sampleEvent(0))).rejects.toMatchObject({ kind: "TornTail" });
    await ledger.close();
    await truncate(path, 0);
    const fresh = await Ledger.open(path, { logger: recordingLogger() });
    expect(fresh.tornTail).toBeNull();
    expect((await fresh.append(sampleEvent(0))).prevEventHash).toBeNull();
    await fresh.close();
  });
});
