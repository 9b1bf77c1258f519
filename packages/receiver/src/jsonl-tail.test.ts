import { appendFile, mkdir, rename, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import { describe, expect, it, vi } from "vitest";
import { LIFECYCLE_DESTROYED, cellEvent, jsonl, nextWithin, take, withTempDir } from "./__fixtures__/events.js";
import type { InvalidLine, JsonlTailSourceOptions } from "./jsonl-tail.js";
import { JsonlTailSource } from "./jsonl-tail.js";
import type { ReceiverLogger } from "./logger.js";
import { ReceiverError } from "./receiver-error.js";

function quietLogger(): ReceiverLogger & { messages: string[] } {
  const messages: string[] = [];
  return { messages, warn: (message) => messages.push(message) };
}

/** A tail whose iteration the test drives; `stop()` aborts it. */
function follow(options: JsonlTailSourceOptions) {
  const invalid: InvalidLine[] = [];
  const logger = quietLogger();
  const source = new JsonlTailSource({ onInvalid: (line) => invalid.push(line), logger, ...options });
  const controller = new AbortController();
  const iterator = source.events({ signal: controller.signal })[Symbol.asyncIterator]();
  return {
    source,
    iterator,
    invalid,
    logger,
    take: (count: number) => take(iterator, count),
    async stop() {
      controller.abort();
      await iterator.return?.();
    },
  };
}

const ids = (events: readonly CloudEventV1[]) => events.map((e) => e.id);

describe("JsonlTailSource", () => {
  it("reads the events already in the file, then follows what is appended", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.jsonl");
      const first = [cellEvent(LIFECYCLE_DESTROYED, "a"), cellEvent(LIFECYCLE_DESTROYED, "b")];
      await writeFile(path, jsonl(first));
      const tail = follow({ path });
      try {
        expect(await tail.take(2)).toEqual(first);
        const later = cellEvent(LIFECYCLE_DESTROYED, "c");
        await appendFile(path, jsonl([later]));
        expect(await tail.take(1)).toEqual([later]);
        expect(tail.source.stats.events).toBe(3);
        expect(tail.invalid).toEqual([]);
      } finally {
        await tail.stop();
      }
    });
  });

  it("with fromStart: false yields only what is appended after it started", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.jsonl");
      await writeFile(path, jsonl([cellEvent(LIFECYCLE_DESTROYED, "old")]) + '{"partial":');
      const tail = follow({ path, fromStart: false });
      try {
        const pending = tail.take(1);
        await vi.waitFor(() => expect(tail.source.stats.opens).toBe(1), { interval: 2 });
        const fresh = cellEvent(LIFECYCLE_DESTROYED, "new");
        await appendFile(path, jsonl([fresh]));
        expect(await pending).toEqual([fresh]);
      } finally {
        await tail.stop();
      }
    });
  });

  it("waits for a file that does not exist yet, even in a directory that does not exist yet", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "later", "events.jsonl");
      const tail = follow({ path, pollIntervalMs: 20 });
      try {
        const pending = tail.take(1);
        await mkdir(join(dir, "later"));
        const event = cellEvent(LIFECYCLE_DESTROYED, "x");
        await writeFile(path, jsonl([event]));
        expect(await pending).toEqual([event]);
      } finally {
        await tail.stop();
      }
    });
  });

  it("a line appended in two writes, split at every byte offset, arrives once and whole", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.jsonl");
      await writeFile(path, "");
      const tail = follow({ path });
      try {
        const template = cellEvent(LIFECYCLE_DESTROYED, "split", { outcome: "succeeded", note: "é€😀" });
        const length = Buffer.byteLength(JSON.stringify(template) + "\n");
        let written = 0;
        for (let cutAt = 1; cutAt < length; cutAt++) {
          const event = { ...template, id: `split-${String(cutAt).padStart(4, "0")}` };
          const bytes = Buffer.from(JSON.stringify(event) + "\n");
          const pending = tail.take(1); // the tail reads while someone waits for an event
          await appendFile(path, bytes.subarray(0, cutAt));
          // Let the tail read the first part (it must hold it as a partial line).
          await vi.waitFor(() => expect(tail.source.stats.bytesRead).toBe(written + cutAt), { interval: 1 });
          await appendFile(path, bytes.subarray(cutAt));
          written += bytes.length;
          expect(await pending).toEqual([event]);
        }
        expect(tail.invalid).toEqual([]);
      } finally {
        await tail.stop();
      }
    });
  });

  it("reads the same events when every read returns a single byte", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.jsonl");
      const events = [cellEvent(LIFECYCLE_DESTROYED, "a", { note: "ü" }), cellEvent(LIFECYCLE_DESTROYED, "b")];
      await writeFile(path, jsonl(events));
      const tail = follow({ path, readChunkBytes: 1 });
      try {
        expect(await tail.take(2)).toEqual(events);
      } finally {
        await tail.stop();
      }
    });
  });

  it("skips and reports a line of 2 MiB, without losing the lines around it", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.jsonl");
      const before = cellEvent(LIFECYCLE_DESTROYED, "before");
      const huge = cellEvent(LIFECYCLE_DESTROYED, "huge", { padding: "x".repeat(2 * 1024 * 1024) });
      const after = cellEvent(LIFECYCLE_DESTROYED, "after");
      await writeFile(path, jsonl([before, huge, after]));
      const tail = follow({ path });
      try {
        expect(ids(await tail.take(2))).toEqual([before.id, after.id]);
        expect(tail.invalid).toHaveLength(1);
        expect(tail.invalid[0]).toMatchObject({ lineNumber: 2, kind: "oversized", byteOffset: Buffer.byteLength(JSON.stringify(before)) + 1 });
        expect(tail.invalid[0]?.reason).toContain("maxLineBytes");
        expect(tail.source.stats.invalidLines).toBe(1);
      } finally {
        await tail.stop();
      }
    });
  });

  it("reports invalid UTF-8, null, arrays, numbers and malformed lines with their line numbers, never throws", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.jsonl");
      const good1 = cellEvent(LIFECYCLE_DESTROYED, "g1");
      const good2 = cellEvent(LIFECYCLE_DESTROYED, "g2");
      const badUtf8 = Buffer.from(JSON.stringify(cellEvent(LIFECYCLE_DESTROYED, "XX")));
      badUtf8[badUtf8.indexOf("XX")] = 0xff;
      await writeFile(
        path,
        Buffer.concat([
          Buffer.from(JSON.stringify(good1) + "\n"),
          badUtf8,
          Buffer.from('\nnull\n[]\n[1,2]\n42\n"text"\n{"specversion":"1.0"}\n{not json\n\n   \n'),
          Buffer.from(JSON.stringify(good2) + "\n"),
        ]),
      );
      const tail = follow({ path });
      try {
        expect(await tail.take(2)).toEqual([good1, good2]);
        expect(tail.invalid.map((l) => [l.lineNumber, l.kind])).toEqual([
          [2, "invalid-utf8"],
          [3, "not-an-object"],
          [4, "not-an-object"],
          [5, "not-an-object"],
          [6, "not-an-object"],
          [7, "not-an-object"],
          [8, "invalid-event"],
          [9, "malformed-json"],
        ]);
        expect(tail.invalid.every((l) => l.path === tail.source.path && l.reason.length > 0)).toBe(true);
      } finally {
        await tail.stop();
      }
    });
  });

  it("after truncation, reads the file again from its start", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.jsonl");
      const old = [cellEvent(LIFECYCLE_DESTROYED, "old-1"), cellEvent(LIFECYCLE_DESTROYED, "old-2")];
      await writeFile(path, jsonl(old));
      const tail = follow({ path });
      try {
        expect(await tail.take(2)).toEqual(old);
        await truncate(path, 0);
        const fresh = cellEvent(LIFECYCLE_DESTROYED, "new");
        await appendFile(path, jsonl([fresh]));
        expect(await tail.take(1)).toEqual([fresh]);
        expect(tail.source.stats.truncations).toBe(1);
      } finally {
        await tail.stop();
      }
    });
  });

  it("after rotation, drains the old file then follows the new one from its start", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.jsonl");
      const first = cellEvent(LIFECYCLE_DESTROYED, "first");
      await writeFile(path, jsonl([first]));
      const tail = follow({ path });
      try {
        expect(await tail.take(1)).toEqual([first]);
        // Written to the old file just before it is rotated away, plus a last line without newline.
        const late = cellEvent(LIFECYCLE_DESTROYED, "late");
        const unterminated = cellEvent(LIFECYCLE_DESTROYED, "unterminated");
        await appendFile(path, jsonl([late]) + JSON.stringify(unterminated));
        await rename(path, `${path}.1`);
        const next = [cellEvent(LIFECYCLE_DESTROYED, "next-1"), cellEvent(LIFECYCLE_DESTROYED, "next-2")];
        await writeFile(path, jsonl(next));
        expect(await tail.take(4)).toEqual([late, unterminated, ...next]);
        expect(tail.source.stats.rotations).toBe(1);
        expect(tail.source.stats.opens).toBe(2);
      } finally {
        await tail.stop();
      }
    });
  });

  it("follows a file deleted then recreated", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.jsonl");
      const first = cellEvent(LIFECYCLE_DESTROYED, "first");
      await writeFile(path, jsonl([first]));
      const tail = follow({ path });
      try {
        expect(await tail.take(1)).toEqual([first]);
        const pending = tail.take(1);
        await rm(path);
        await vi.waitFor(() => expect(tail.source.stats.rotations).toBe(1), { interval: 2 });
        const again = cellEvent(LIFECYCLE_DESTROYED, "again");
        await writeFile(path, jsonl([again]));
        expect(await pending).toEqual([again]);
        expect(tail.source.stats.opens).toBe(2);
      } finally {
        await tail.stop();
      }
    });
  });

  it("yields the event inside a signed envelope line", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.jsonl");
      const inner = cellEvent(LIFECYCLE_DESTROYED, "signed");
      await writeFile(path, jsonl([{ event: inner, signature: "ZmFrZQ==", signerKid: "sup-1" }]));
      const tail = follow({ path });
      try {
        expect(await tail.take(1)).toEqual([inner]);
        expect(tail.source.stats.signedEvents).toBe(1);
      } finally {
        await tail.stop();
      }
    });
  });

  it("follows the file by polling alone when watch is off", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.jsonl");
      const tail = follow({ path, watch: false, pollIntervalMs: 10 });
      try {
        const pending = tail.take(1);
        const event = cellEvent(LIFECYCLE_DESTROYED, "polled");
        await writeFile(path, jsonl([event]));
        expect(await pending).toEqual([event]);
      } finally {
        await tail.stop();
      }
    });
  });

  it("gives each events() call its own reader", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.jsonl");
      const events = [cellEvent(LIFECYCLE_DESTROYED, "a"), cellEvent(LIFECYCLE_DESTROYED, "b")];
      await writeFile(path, jsonl(events));
      const source = new JsonlTailSource({ path, logger: quietLogger() });
      const controller = new AbortController();
      const one = source.events({ signal: controller.signal })[Symbol.asyncIterator]();
      const two = source.events({ signal: controller.signal })[Symbol.asyncIterator]();
      try {
        expect(await take(one, 2)).toEqual(events);
        expect(await take(two, 2)).toEqual(events);
      } finally {
        controller.abort();
        await one.return?.();
        await two.return?.();
      }
    });
  });

  it("ends the iteration when its signal aborts while waiting", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.jsonl");
      await writeFile(path, "");
      const controller = new AbortController();
      const iterator = new JsonlTailSource({ path, logger: quietLogger() }).events({ signal: controller.signal })[Symbol.asyncIterator]();
      const pending = nextWithin(iterator);
      controller.abort();
      expect(await pending).toEqual({ value: undefined, done: true });
    });
  });

  it("logs, instead of throwing, when onInvalid throws", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.jsonl");
      const good = cellEvent(LIFECYCLE_DESTROYED, "g");
      await writeFile(path, "garbage\n" + jsonl([good]));
      const logger = quietLogger();
      const controller = new AbortController();
      const source = new JsonlTailSource({
        path,
        logger,
        onInvalid: () => {
          throw new Error("callback broke");
        },
      });
      const iterator = source.events({ signal: controller.signal })[Symbol.asyncIterator]();
      try {
        expect(await take(iterator, 1)).toEqual([good]);
        expect(logger.messages.some((m) => m.includes("callback broke"))).toBe(true);
      } finally {
        controller.abort();
        await iterator.return?.();
      }
    });
  });

  it("without onInvalid, skipped lines go to the logger", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.jsonl");
      const good = cellEvent(LIFECYCLE_DESTROYED, "g");
      await writeFile(path, "garbage\n" + jsonl([good]));
      const logger = quietLogger();
      const controller = new AbortController();
      const iterator = new JsonlTailSource({ path, logger }).events({ signal: controller.signal })[Symbol.asyncIterator]();
      try {
        expect(await take(iterator, 1)).toEqual([good]);
        expect(logger.messages).toEqual([expect.stringContaining("skipped line 1")]);
      } finally {
        controller.abort();
        await iterator.return?.();
      }
    });
  });

  it("fails the iteration with ReceiverError Io when the path is not a file", async () => {
    await withTempDir(async (dir) => {
      const iterator = new JsonlTailSource({ path: dir, logger: quietLogger() }).events()[Symbol.asyncIterator]();
      const error: unknown = await iterator.next().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ReceiverError);
      expect((error as ReceiverError).kind).toBe("Io");
      expect((error as ReceiverError).message).toContain(dir);
    });
  });

  it("rejects bad options with ReceiverError InvalidOptions", () => {
    const bad: JsonlTailSourceOptions[] = [{ path: "" }, { path: "x", maxLineBytes: 0 }, { path: "x", pollIntervalMs: 1.5 }, { path: "x", readChunkBytes: -1 }];
    for (const options of bad) {
      expect(() => new JsonlTailSource(options)).toThrow(expect.objectContaining({ kind: "InvalidOptions" }));
    }
  });
});
