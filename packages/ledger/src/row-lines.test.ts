import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RowLineReader, type RowLine } from "./row-lines.js";

describe("row line reader", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ledger-lines-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function scan(content: Buffer, options: { chunkBytes: number; maxRowBytes: number; end?: number }) {
    const path = join(dir, "lines");
    await writeFile(path, content);
    const handle = await open(path, "r");
    try {
      const reader = new RowLineReader(handle, { path, ...options });
      const lines: RowLine[] = [];
      for await (const line of reader.lines()) lines.push({ ...line, bytes: Buffer.from(line.bytes) });
      return { lines, tornTail: reader.tornTail, completeBytes: reader.completeBytes, rows: reader.rows };
    } finally {
      await handle.close();
    }
  }

  it("splits any content into its lines and its torn tail, whatever the chunk size", async () => {
    const line = fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes.map((b) => (b === 0x0a ? 0x20 : b))));
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 12 }), line, fc.integer({ min: 1, max: 64 }), async (lines, tail, chunkBytes) => {
        const content = Buffer.concat([...lines.flatMap((l) => [l, Buffer.from("\n")]), tail]);
        const result = await scan(content, { chunkBytes, maxRowBytes: 1024 });
        expect(result.lines.map((l) => l.bytes.toString("hex"))).toEqual(lines.map((l) => l.toString("hex")));
        let offset = 0;
        result.lines.forEach((l, index) => {
          expect(l.index).toBe(index);
          expect(l.offset).toBe(offset);
          expect(l.oversized).toBe(false);
          offset += (lines[index]?.length ?? 0) + 1;
        });
        expect(result.completeBytes).toBe(offset);
        expect(result.rows).toBe(lines.length);
        expect(result.tornTail).toEqual(tail.length === 0 ? null : { offset, bytes: tail.length });
      }),
      { numRuns: 150 },
    );
  });

  it("reports lines longer than maxRowBytes as oversized without buffering them", async () => {
    const content = Buffer.from(`short\n${"x".repeat(300)}\nafter\n${"y".repeat(200)}`);
    const result = await scan(content, { chunkBytes: 7, maxRowBytes: 128 });
    expect(result.lines.map((l) => [l.bytes.toString(), l.oversized])).toEqual([
      ["short", false],
      ["", true],
      ["after", false],
    ]);
    expect(result.tornTail).toEqual({ offset: 6 + 301 + 6, bytes: 200 });
  });

  it("stops at `end` and treats bytes before it without a newline as torn", async () => {
    const content = Buffer.from("one\ntwo\nthree\n");
    expect((await scan(content, { chunkBytes: 3, maxRowBytes: 128, end: 8 })).lines.map((l) => l.bytes.toString())).toEqual(["one", "two"]);
    const cut = await scan(content, { chunkBytes: 3, maxRowBytes: 128, end: 10 });
    expect(cut.tornTail).toEqual({ offset: 8, bytes: 2 });
  });
});
