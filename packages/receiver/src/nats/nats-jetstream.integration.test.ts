import { CellosError, lifecycleStartedEvent } from "@cellos-cortex/cellos-core";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import { StorageType, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CellResultTracker } from "../cell-result-tracker.js";
import { buildCellResult } from "../cell-result.js";
import { ReceiverError } from "../receiver-error.js";
import { NATS_SKIP_REASON, RecordingLogger, cellLifecycle, needNats, until } from "./__fixtures__/nats-fixture.js";
import { NatsJetStreamSink } from "./nats-jetstream-sink.js";
import type { NatsJetStreamSinkOptions } from "./nats-jetstream-sink.js";
import { NatsJetStreamSource } from "./nats-jetstream-source.js";
import type { InvalidNatsMessage, NatsJetStreamSourceOptions } from "./nats-jetstream-source.js";
import { startNatsServer } from "./test-server.js";
import type { NatsTestServer } from "./test-server.js";

let server: NatsTestServer | undefined;
let admin: NatsConnection | undefined;
beforeAll(async () => {
  if (NATS_SKIP_REASON !== undefined) return;
  server = await startNatsServer();
  admin = await connect({ servers: server.url });
});
afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

let counter = 0;
/** A fresh stream and subject prefix per test, so tests never see each other's events. */
function names(): { stream: string; subjectPrefix: string } {
  counter += 1;
  return { stream: `T${counter}`, subjectPrefix: `t${counter}.events` };
}

function url(): string {
  if (server === undefined) throw new Error("no server");
  return server.url;
}

function adminConnection(): NatsConnection {
  if (admin === undefined) throw new Error("no admin connection");
  return admin;
}

const quiet = new RecordingLogger();

function sink(options: Partial<NatsJetStreamSinkOptions> & { stream: string; subjectPrefix: string }): NatsJetStreamSink {
  const made = new NatsJetStreamSink({ servers: url(), logger: quiet, ...options });
  closers.push(() => made.close());
  return made;
}

function source(options: Partial<NatsJetStreamSourceOptions> & { stream: string; subjectPrefix: string }): NatsJetStreamSource {
  const made = new NatsJetStreamSource({ servers: url(), logger: quiet, ...options });
  closers.push(() => made.close());
  return made;
}

function started(cellId: string, i: number): CloudEventV1 {
  return lifecycleStartedEvent({ source: "/test", id: `evt-${cellId}-${i}`, cellId, specId: cellId });
}

/** Reads `count` events from a fresh iterator, leaving it suspended (nothing after the last is acked). */
async function take(iterator: AsyncIterator<CloudEventV1>, count: number): Promise<CloudEventV1[]> {
  const out: CloudEventV1[] = [];
  for (let i = 0; i < count; i++) {
    const next = await iterator.next();
    if (next.done === true) break;
    out.push(next.value);
  }
  return out;
}

/** Messages the stream holds, asked on a fresh connection (a request sent while a connection reconnects can be lost). */
async function streamMessages(stream: string): Promise<number> {
  const nc = await connect({ servers: url() });
  try {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info(stream)).state.messages;
  } finally {
    await nc.close();
  }
}

describe("NatsJetStreamSink", () => {
  it("publishes each event once: a re-send with the same id is dropped by Nats-Msg-Id", async (context) => {
    needNats(context);
    const where = names();
    const out = sink(where);
    expect((await out.ensureStream()).created).toBe(true);
    const event = started("cell-1", 1);
    const first = await out.publish(event);
    const again = await out.publish(structuredClone(event));
    await out.emit(started("cell-1", 2));
    expect(first).toMatchObject({ stream: where.stream, duplicate: false, subject: `${where.subjectPrefix}.cell-1.dev.cellos.events.cell.lifecycle.v1.started` });
    expect(again).toMatchObject({ duplicate: true, seq: first.seq });
    expect(out.stats).toMatchObject({ published: 2, duplicates: 1, failures: 0 });
    expect(await streamMessages(where.stream)).toBe(2);
  });

  it("rejects with CellosError EventSink naming the event when no ack comes", async (context) => {
    needNats(context);
    const out = sink({ stream: "NO_SUCH_STREAM", subjectPrefix: "nowhere.events", ackTimeoutMs: 200, timeoutMs: 700 });
    const event = started("lost", 1);
    const error = await out.emit(event).then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(CellosError);
    expect((error as CellosError).kind).toBe("EventSink");
    expect((error as CellosError).message).toContain("no publish ack for \"evt-lost-1\"");
    expect((error as CellosError).message).toContain("nowhere.events.lost.");
    expect(out.stats.failures).toBe(1);
  });

  it("refuses at once an event another stream would capture, and anything that is not a CloudEvent", async (context) => {
    needNats(context);
    const where = names();
    await sink(where).ensureStream();
    const wrong = sink({ ...where, stream: "SOMEWHERE_ELSE", timeoutMs: 10_000 });
    const began = performance.now();
    await expect(wrong.emit(started("c", 1))).rejects.toMatchObject({ kind: "EventSink" });
    expect(performance.now() - began).toBeLessThan(5000);
    await expect(wrong.emit({ specversion: "1.0", id: "", source: "s", type: "t" })).rejects.toMatchObject({ kind: "EventSink", message: expect.stringContaining("id") });
    expect(await streamMessages(where.stream)).toBe(0);
  });
});

describe("ensureStream", () => {
  it("creates the stream once and refuses an incompatible one, naming each difference", async (context) => {
    needNats(context);
    const where = names();
    const out = sink({ ...where, duplicateWindowMs: 30_000 });
    const made = await out.ensureStream();
    expect(made).toMatchObject({ created: true, duplicateWindowMs: 30_000, subjects: [`${where.subjectPrefix}.>`] });
    expect((await source(where).ensureStream()).created).toBe(false);

    const jsm = await jetstreamManager(adminConnection());
    await jsm.streams.add({ name: `${where.stream}_MEM`, subjects: ["mem.events.>"], storage: StorageType.Memory });
    const error = await sink({ stream: `${where.stream}_MEM`, subjectPrefix: "other.events" })
      .ensureStream()
      .catch((rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(ReceiverError);
    expect((error as ReceiverError).kind).toBe("InvalidOptions");
    expect((error as ReceiverError).message).toContain("storage is memory");
    expect((error as ReceiverError).message).toContain("do not include other.events.>");
  });

  it("a source on a stream that does not exist fails with Source and says to ensure it", async (context) => {
    needNats(context);
    const iterator = source({ stream: "MISSING", subjectPrefix: "missing.events" }).events()[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toMatchObject({ kind: "Source", message: expect.stringContaining("ensureStream") });
  });
});

describe("NatsJetStreamSource", () => {
  it("acks each event once handed off: a durable consumer resumes after the last one read", async (context) => {
    needNats(context);
    const where = names();
    const out = sink(where);
    await out.ensureStream();
    const events = Array.from({ length: 20 }, (_, i) => started("resume", i));
    for (const event of events) await out.emit(event);

    const first = source({ ...where, durable: "bridge-1", ackWaitMs: 1000 });
    const abort = new AbortController();
    const read: string[] = [];
    for await (const event of first.events({ signal: abort.signal })) {
      read.push(event.id);
      // Stop holding the 10th: asking for the next acks it; what the client fetched ahead is not acked.
      if (read.length === 10) abort.abort();
    }
    expect(read).toEqual(events.slice(0, 10).map((e) => e.id));
    expect(first.stats).toMatchObject({ delivered: 10, acked: 10, redelivered: 0 });

    const second = source({ ...where, durable: "bridge-1", ackWaitMs: 1000 });
    const rest = await take(second.events()[Symbol.asyncIterator](), 10);
    // The ten fetched ahead come again after the ack wait (in the server's order); none of the ten acked does.
    expect(new Set(rest.map((e) => e.id))).toEqual(new Set(events.slice(10).map((e) => e.id)));
  });

  it("redelivers what a crashed consumer held but never acked", async (context) => {
    needNats(context);
    const where = names();
    const out = sink(where);
    await out.ensureStream();
    const events = Array.from({ length: 20 }, (_, i) => started("crash", i));
    for (const event of events) await out.emit(event);

    // The crashing reader has its own connection, reads 5 events (acking 4), and dies holding the 5th.
    const doomed = await connect({ servers: url() });
    const crashing = new NatsJetStreamSource({ connection: doomed, ...where, durable: "worker", ackWaitMs: 1000, maxInFlight: 8, logger: quiet });
    const held = await take(crashing.events()[Symbol.asyncIterator](), 5);
    expect(held.map((e) => e.id)).toEqual(events.slice(0, 5).map((e) => e.id));
    await doomed.flush();
    await doomed.close();

    const survivor = source({ ...where, durable: "worker", ackWaitMs: 1000, maxInFlight: 8 });
    const got = await take(survivor.events()[Symbol.asyncIterator](), 16);
    expect(new Set(got.map((e) => e.id))).toEqual(new Set(events.slice(4).map((e) => e.id)));
    expect(survivor.stats.redelivered).toBeGreaterThanOrEqual(1);
  });

  it("does not ack the event in hand when a reader breaks: it is delivered again", async (context) => {
    needNats(context);
    const where = names();
    const out = sink(where);
    await out.ensureStream();
    const events = [started("brk", 1), started("brk", 2)];
    for (const event of events) await out.emit(event);
    const reader = source({ ...where, durable: "breaker", ackWaitMs: 1000 });
    for await (const event of reader.events()) {
      expect(event.id).toBe("evt-brk-1");
      break;
    }
    expect(reader.stats).toMatchObject({ delivered: 1, acked: 0, unacked: 1 });
    // The one in hand and the one fetched ahead both come again after the ack wait.
    const again = await take(source({ ...where, durable: "breaker", ackWaitMs: 1000 }).events()[Symbol.asyncIterator](), 2);
    expect(new Set(again.map((e) => e.id))).toEqual(new Set(["evt-brk-1", "evt-brk-2"]));
  });

  it("a per-cell source sees only that cell's events (a dotted id never leaks into another cell's filter)", async (context) => {
    needNats(context);
    const where = names();
    const out = sink(where);
    await out.ensureStream();
    for (const cellId of ["c", "c.x", "cx"]) for (const event of cellLifecycle(cellId, 0)) await out.emit(event);
    const jsm = await jetstreamManager(adminConnection());
    const before = (await jsm.consumers.list(where.stream).next()).length;

    const perCell = source({ ...where, cellId: "c" });
    const got = await take(perCell.events()[Symbol.asyncIterator](), 3);
    const more = perCell.events()[Symbol.asyncIterator]();
    const fourth = await take(more, 1);
    await more.return?.();
    expect([...got, ...fourth].map((e) => (e.data as { cellId: string }).cellId)).toEqual(["c", "c", "c", "c"]);
    // The ephemeral consumer of the reader that returned is deleted; the suspended one still exists.
    expect((await jsm.consumers.list(where.stream).next()).length).toBe(before + 1);
  });

  it("startTime skips what the stream held before it and keeps everything stored after", async (context) => {
    needNats(context);
    const where = names();
    const out = sink(where);
    await out.ensureStream();
    await out.emit(started("old", 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const since = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Stored after `since` but before the consumer exists: `new` would miss it, startTime must not.
    await out.emit(started("fresh", 1));
    const iterator = source({ ...where, startTime: since }).events()[Symbol.asyncIterator]();
    const first = await take(iterator, 1);
    await out.emit(started("fresh", 2));
    const second = await take(iterator, 1);
    await iterator.return?.();
    expect([...first, ...second].map((e) => e.id)).toEqual(["evt-fresh-1", "evt-fresh-2"]);
  });

  it("terminates and reports messages that are not CloudEvents, and never yields them", async (context) => {
    needNats(context);
    const where = names();
    await sink(where).ensureStream();
    const js = jetstream(adminConnection());
    const subject = `${where.subjectPrefix}.junk.x`;
    for (const body of ["not json", "[1]", "", '{"specversion":"1.0"}']) await js.publish(subject, body);
    const valid = started("after-junk", 1);
    await js.publish(subject, JSON.stringify(valid));

    const invalid: InvalidNatsMessage[] = [];
    const reader = source({ ...where, durable: "junk", onInvalid: (problem) => invalid.push(problem) });
    const abort = new AbortController();
    const got: CloudEventV1[] = [];
    for await (const event of reader.events({ signal: abort.signal })) {
      got.push(event);
      abort.abort();
    }
    expect(got).toEqual([valid]);
    expect(invalid.map((p) => p.kind)).toEqual(["malformed-json", "not-an-object", "empty", "invalid-event"]);
    expect(invalid[0]).toMatchObject({ subject, streamSequence: 1 });
    const info = await reader.consumerInfo();
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
    expect(info.ack_floor.stream_seq).toBe(5);
  });

  it("CellResultTracker works unchanged on top of it (duplicates dropped by id)", async (context) => {
    needNats(context);
    const where = names();
    const out = sink(where);
    await out.ensureStream();
    const cells = { ok: cellLifecycle("ok", 0, "ok/run/out"), bad: cellLifecycle("bad", 3), "dot.ted": cellLifecycle("dot.ted", 0) };
    const tracker = new CellResultTracker(source({ ...where, durable: "tracker" }), { logger: quiet });
    closers.push(() => tracker.close());
    for (const events of Object.values(cells)) for (const event of events) await out.emit(event);
    // A supervisor retrying a send: the stream drops it by id.
    const resent = cells.ok[1];
    if (resent === undefined) throw new Error("fixture has no second event");
    await out.emit(resent);
    expect(out.stats.duplicates).toBe(1);
    for (const [cellId, events] of Object.entries(cells)) {
      const result = await tracker.waitFor(cellId, { timeoutMs: 10_000, packId: "pack", doctrineRefs: ["D1"] });
      expect(result).toEqual(buildCellResult(cellId, events, { packId: "pack", doctrineRefs: ["D1"] }));
    }
    expect(tracker.stats.duplicates).toBe(0);
  });

  it("survives a nats-server restart mid-stream: every event published is delivered, duplicates only by redelivery", async (context) => {
    needNats(context);
    const where = names();
    const out = sink({ ...where, ackTimeoutMs: 1000, timeoutMs: 20_000 });
    await out.ensureStream();
    const reader = source({ ...where, durable: "restart", ackWaitMs: 2000, pullExpiresMs: 1000 });
    const total = 300;
    const received: string[] = [];
    const unique = new Set<string>();
    const all = until(() => unique.size === total, 25_000, `${total} distinct events`);
    const abort = new AbortController();
    const reading = (async () => {
      for await (const event of reader.events({ signal: abort.signal })) {
        received.push(event.id);
        unique.add(event.id);
        all.check();
      }
    })();

    const pidBefore = server?.pid;
    let restarting: Promise<void> | undefined;
    for (let i = 0; i < total; i++) {
      if (i === total / 2) restarting = server?.restart("SIGTERM");
      await out.emit(started("restart", i));
    }
    await restarting;
    await all.done;
    abort.abort();
    await reading;

    expect(server?.pid).not.toBe(pidBefore);
    expect(unique.size).toBe(total);
    // Re-sends after the restart (same Nats-Msg-Id) were dropped: the stream holds each event once.
    expect(await streamMessages(where.stream)).toBe(total);
    expect(received.length - total).toBeLessThanOrEqual(reader.stats.redelivered);
  });
});
