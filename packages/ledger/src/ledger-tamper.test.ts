import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCortexHasher } from "@cellos-cortex/cortex-core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { at } from "./__fixtures__/at.js";
import { sampleEvent } from "./__fixtures__/events.js";
import { Ledger } from "./ledger.js";
import type { LedgerLogger } from "./ledger-logger.js";
import { RowCodec } from "./ledger-row.js";
import type { LedgerHead } from "./ledger-verify.js";
import { generateSigningKey, keyId } from "./signing-key.js";

const ROWS = 1000;
const quiet: LedgerLogger = { warn: () => undefined };

/**
 * Tamper evidence on a 1 000-row signed ledger, built once; each property
 * mutates a copy of its bytes, writes it to a scratch file and verifies it
 * with the ledger's public key.
 */
describe("tamper evidence (1 000 signed rows)", () => {
  const owner = generateSigningKey();
  const intruder = generateSigningKey();
  let dir: string;
  let scratch: string;
  let pristine: Buffer;
  /** Each row's line with its trailing newline. */
  let lines: Buffer[];
  let head: LedgerHead;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ledger-tamper-"));
    scratch = join(dir, "scratch.jsonl");
    const path = join(dir, "pristine.jsonl");
    const ledger = await Ledger.open(path, { signingKey: owner.privateKey, fsync: false, logger: quiet });
    for (let i = 0; i < ROWS; i++) void ledger.append(sampleEvent(i));
    await ledger.sync();
    head = ledger.head;
    await ledger.close();
    pristine = await readFile(path);
    lines = [];
    let start = 0;
    for (let i = pristine.indexOf(0x0a); i !== -1; i = pristine.indexOf(0x0a, i + 1)) {
      lines.push(pristine.subarray(start, i + 1));
      start = i + 1;
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function verifyBytes(content: Buffer, options: { expectedHead?: LedgerHead } = {}) {
    await writeFile(scratch, content);
    return Ledger.verify(scratch, { publicKey: owner.publicKey, ...options });
  }

  function rowOfByte(position: number): number {
    let offset = 0;
    for (let i = 0; i < lines.length; i++) {
      offset += at(lines, i).length;
      if (position < offset) return i;
    }
    throw new Error(`byte ${position} is past the end`);
  }

  it("verifies the untouched ledger", async () => {
    expect(lines).toHaveLength(ROWS);
    expect(head.count).toBe(ROWS);
    expect(await Ledger.verify(join(dir, "pristine.jsonl"), { publicKey: owner.publicKey, expectedHead: head })).toEqual({ ok: true, count: ROWS });
  });

  it("detects a flip of any single byte of any row, at that row", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: pristine.length - 1 }), fc.integer({ min: 1, max: 255 }), async (position, mask) => {
        const content = Buffer.from(pristine);
        content[position] = content.readUInt8(position) ^ mask;
        const report = await verifyBytes(content);
        const row = rowOfByte(position);
        expect(report).toMatchObject({ ok: false, firstBadIndex: row, count: row });
        expect(report.reason).toMatch(new RegExp(`^row ${row}: `));
      }),
      { numRuns: 40 },
    );
  });

  it("detects a deleted row at its index (the last one given the expected head)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: ROWS - 1 }), async (deleted) => {
        const content = Buffer.concat(lines.filter((_, i) => i !== deleted));
        // Without the head, the broken link gives the row away, except for the last row.
        const report = await verifyBytes(content, deleted === ROWS - 1 ? { expectedHead: head } : {});
        expect(report).toMatchObject({ ok: false, firstBadIndex: deleted, count: deleted });
        expect(report.reason).toContain(deleted === ROWS - 1 ? "expected head" : "prev_hash_mismatch");
      }),
      { numRuns: 20 },
    );
  });

  it("cannot see the last row deleted without an expected head (a chain's known limit)", async () => {
    const report = await verifyBytes(Buffer.concat(lines.slice(0, ROWS - 1)));
    expect(report).toEqual({ ok: true, count: ROWS - 1 });
  });

  it("detects two reordered rows at the first of them", async () => {
    const pair = fc
      .tuple(fc.integer({ min: 0, max: ROWS - 1 }), fc.integer({ min: 0, max: ROWS - 1 }))
      .filter(([a, b]) => a !== b)
      .map(([a, b]): [number, number] => (a < b ? [a, b] : [b, a]));
    await fc.assert(
      fc.asyncProperty(pair, async ([first, second]) => {
        const reordered = [...lines];
        reordered[first] = at(lines, second);
        reordered[second] = at(lines, first);
        const report = await verifyBytes(Buffer.concat(reordered));
        expect(report).toMatchObject({ ok: false, firstBadIndex: first, count: first });
        expect(report.reason).toContain("prev_hash_mismatch");
      }),
      { numRuns: 20 },
    );
  });

  it("detects a row re-signed by another key, whether it names that key or the owner's", async () => {
    const codec = new RowCodec(await createCortexHasher());
    const intruderSigner = { privateKey: intruder.privateKey, keyId: keyId(intruder.publicKey) };
    const impostorSigner = { privateKey: intruder.privateKey, keyId: keyId(owner.publicKey) };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: ROWS - 1 }), fc.boolean(), async (index, impostor) => {
        const line = at(lines, index);
        const decoded = codec.decode(line.subarray(0, -1));
        if (!decoded.ok) throw new Error(decoded.reason);
        // Same event bytes, same chain, valid signature — by the wrong key.
        const eventJson = line.toString("utf8", '{"event":'.length, line.length - 1 - 250);
        const { line: resigned } = codec.encode(eventJson, impostor ? impostorSigner : intruderSigner);
        expect(codec.decode(resigned.subarray(0, -1))).toMatchObject({ ok: true, row: { rowHash: decoded.row.rowHash } });
        const swapped = [...lines];
        swapped[index] = resigned;
        const report = await verifyBytes(Buffer.concat(swapped));
        expect(report).toMatchObject({ ok: false, firstBadIndex: index, count: index });
        expect(report.reason).toContain(impostor ? "signature does not verify" : `signed by key ${keyId(intruder.publicKey)}`);
        // The intruder's key accepts no row of the owner's: at most the one it signed itself, if that is row 0.
        const intruderView = await Ledger.verify(scratch, { publicKey: intruder.publicKey });
        expect(intruderView.firstBadIndex).toBe(index === 0 && !impostor ? 1 : 0);
      }),
      { numRuns: 20 },
    );
  });

  it("detects an unsigned row swapped into a signed ledger", async () => {
    const codec = new RowCodec(await createCortexHasher());
    const line = at(lines, 500);
    const { line: unsigned } = codec.encode(line.toString("utf8", '{"event":'.length, line.length - 1 - 250), null);
    const swapped = [...lines];
    swapped[500] = unsigned;
    expect(await verifyBytes(Buffer.concat(swapped))).toEqual({ ok: false, count: 500, firstBadIndex: 500, reason: "row 500: row is not signed" });
  });
});

describe("tamper evidence without signatures (200 rows)", () => {
  it("still detects any single-byte flip: the row hash covers every event byte", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ledger-tamper-unsigned-"));
    try {
      const path = join(dir, "ledger.jsonl");
      const ledger = await Ledger.open(path, { fsync: false, logger: quiet });
      for (let i = 0; i < 200; i++) void ledger.append(sampleEvent(i));
      await ledger.close();
      const pristine = await readFile(path);
      const ends: number[] = [];
      for (let i = pristine.indexOf(0x0a); i !== -1; i = pristine.indexOf(0x0a, i + 1)) ends.push(i);
      const scratch = join(dir, "scratch.jsonl");
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: pristine.length - 1 }), fc.integer({ min: 1, max: 255 }), async (position, mask) => {
          const content = Buffer.from(pristine);
          content[position] = content.readUInt8(position) ^ mask;
          await writeFile(scratch, content);
          const row = ends.findIndex((end) => position <= end);
          expect(await Ledger.verify(scratch)).toMatchObject({ ok: false, firstBadIndex: row });
        }),
        { numRuns: 60 },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
