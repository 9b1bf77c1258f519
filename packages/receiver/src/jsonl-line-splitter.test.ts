import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonlLineSplitter } from "./jsonl-line-splitter.js";
import type { SplitResult } from "./jsonl-line-splitter.js";

type Seen = { kind: "line"; lineNumber: number; byteOffset: number; text: string } | { kind: "oversized"; lineNumber: number; byteOffset: number; length: number };

function collect(splitter: JsonlLineSplitter, chunks: readonly Uint8Array[], flush = false): Seen[] {
  const seen: Seen[] = [];
  const onLine = (line: SplitResult): void => {
    seen.push(
      line.kind === "line"
        ? { kind: "line", lineNumber: line.lineNumber, byteOffset: line.byteOffset, text: Buffer.from(line.bytes).toString("utf8") }
        : { kind: "oversized", lineNumber: line.lineNumber, byteOffset: line.byteOffset, length: line.length },
    );
  };
  for (const chunk of chunks) {
    // The caller reuses its read buffer: hand the splitter a copy we scribble over afterwards.
    const reused = Buffer.from(chunk);
    splitter.push(reused, onLine);
    reused.fill(0x21);
  }
  if (flush) splitter.flush(onLine);
  return seen;
}

/** Splits `bytes` at the given cut points. */
function cut(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  const sorted = [...new Set(points)].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of sorted) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

const TEXT = '{"a":1}\n\n{"b":"é€😀"}\r\n{"c":[1,2,3]}\npartial';
const EXPECTED: Seen[] = [
  { kind: "line", lineNumber: 1, byteOffset: 0, text: '{"a":1}' },
  { kind: "line", lineNumber: 2, byteOffset: 8, text: "" },
  { kind: "line", lineNumber: 3, byteOffset: 9, text: '{"b":"é€😀"}\r' },
  { kind: "line", lineNumber: 4, byteOffset: 9 + Buffer.byteLength('{"b":"é€😀"}\r\n'), text: '{"c":[1,2,3]}' },
];

describe("JsonlLineSplitter", () => {
  it("yields the same lines whichever byte offset a read boundary falls on", () => {
    const bytes = Buffer.from(TEXT);
    for (let point = 0; point <= bytes.length; point++) {
      expect(collect(new JsonlLineSplitter(1024), cut(bytes, [point]))).toEqual(EXPECTED);
    }
  });

  it("yields the same lines for any chunking, one byte at a time included (property)", () => {
    const bytes = Buffer.from(TEXT);
    expect(collect(new JsonlLineSplitter(1024), cut(bytes, Array.from({ length: bytes.length }, (_, i) => i)))).toEqual(EXPECTED);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 12 }), (points) => {
        expect(collect(new JsonlLineSplitter(1024), cut(bytes, points))).toEqual(EXPECTED);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps the partial last line until its newline arrives", () => {
    const splitter = new JsonlLineSplitter(1024);
    expect(collect(splitter, [Buffer.from('{"x":')])).toEqual([]);
    expect(splitter.hasPartialLine).toBe(true);
    expect(splitter.bufferedBytes).toBe(5);
    expect(collect(splitter, [Buffer.from('1}\n{"y"')])).toEqual([{ kind: "line", lineNumber: 1, byteOffset: 0, text: '{"x":1}' }]);
    expect(splitter.bufferedBytes).toBe(4);
  });

  it("flush hands out a last line that never got its newline", () => {
    const splitter = new JsonlLineSplitter(1024);
    expect(collect(splitter, [Buffer.from("a\nlast")], true)).toEqual([
      { kind: "line", lineNumber: 1, byteOffset: 0, text: "a" },
      { kind: "line", lineNumber: 2, byteOffset: 2, text: "last" },
    ]);
    expect(splitter.hasPartialLine).toBe(false);
    expect(splitter.flush(() => undefined)).toBe(false);
  });

  it("drops an oversized line without holding more than maxLineBytes, and reports it at its newline", () => {
    const max = 16;
    const splitter = new JsonlLineSplitter(max);
    const long = "x".repeat(100);
    const seen: Seen[] = [];
    for (const ch of [`ok\n${long.slice(0, 10)}`, long.slice(10, 60), long.slice(60), "\nafter\n"]) {
      seen.push(...collect(splitter, [Buffer.from(ch)]));
      expect(splitter.bufferedBytes).toBeLessThanOrEqual(max);
    }
    expect(seen).toEqual([
      { kind: "line", lineNumber: 1, byteOffset: 0, text: "ok" },
      { kind: "oversized", lineNumber: 2, byteOffset: 3, length: 100 },
      { kind: "line", lineNumber: 3, byteOffset: 104, text: "after" },
    ]);
  });

  it("a line of exactly maxLineBytes is kept, one byte more is not", () => {
    const seen = collect(new JsonlLineSplitter(4), [Buffer.from("abcd\nabcde\n")]);
    expect(seen).toEqual([
      { kind: "line", lineNumber: 1, byteOffset: 0, text: "abcd" },
      { kind: "oversized", lineNumber: 2, byteOffset: 5, length: 5 },
    ]);
  });

  it("reset forgets the partial line and restarts numbering", () => {
    const splitter = new JsonlLineSplitter(64);
    collect(splitter, [Buffer.from("one\ntw")]);
    splitter.reset(0);
    expect(collect(splitter, [Buffer.from("new\n")])).toEqual([{ kind: "line", lineNumber: 1, byteOffset: 0, text: "new" }]);
  });
});
