import { Agent, request } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { COMMAND_COMPLETED, EXPORT_V1_COMPLETED, LIFECYCLE_DESTROYED, cellEvent, nextWithin, take } from "./__fixtures__/events.js";
import { CellResultTracker } from "./cell-result-tracker.js";
import { HttpCloudEventsReceiver } from "./http-receiver.js";
import type { HttpCloudEventsReceiverOptions } from "./http-receiver.js";
import type { ReceiverLogger } from "./logger.js";

const quiet: ReceiverLogger = { warn: () => undefined };
const STRUCTURED = "application/cloudevents+json";

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; path?: string } = {}): Promise<Reply> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, path: options.path ?? target.pathname, method: options.method ?? "POST", headers: options.headers ?? {}, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Writes raw bytes on a fresh connection and returns everything the server sends until it closes. */
function raw(port: number, data: string | Buffer, options: { keepOpen?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
    socket.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" ? resolve(Buffer.concat(chunks).toString("utf8")) : reject(error)));
    socket.write(data);
    if (options.keepOpen !== true) socket.end();
  });
}

const receivers: HttpCloudEventsReceiver[] = [];
async function start(options: HttpCloudEventsReceiverOptions = {}) {
  const receiver = new HttpCloudEventsReceiver({ logger: quiet, ...options });
  receivers.push(receiver);
  const info = await receiver.listen();
  return { receiver, ...info };
}

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close({ graceMs: 100 })));
});

describe("HttpCloudEventsReceiver", () => {
  it("binds loopback on a free port and accepts a structured event with 202", async () => {
    const { receiver, url, host, port } = await start();
    expect(host).toBe("127.0.0.1");
    expect(port).toBeGreaterThan(0);
    expect(url).toBe(`http://127.0.0.1:${port}/events`);
    const event = cellEvent(LIFECYCLE_DESTROYED, "c", { outcome: "succeeded" });
    const reply = await send(url, { headers: { "content-type": STRUCTURED }, body: JSON.stringify(event) });
    expect(reply.status).toBe(202);
    expect(JSON.parse(reply.body)).toEqual({ accepted: 1 });
    const iterator = receiver.events()[Symbol.asyncIterator]();
    expect(await take(iterator, 1)).toEqual([event]);
  });

  it("accepts binary mode with headers kept as sent (time byte for byte) and batch mode", async () => {
    const { receiver, url } = await start();
    const iterator = receiver.events()[Symbol.asyncIterator]();
    const time = "2026-01-01T00:00:04.123456789+02:00";
    const binary = await send(url, {
      headers: { "content-type": "application/json", "ce-specversion": "1.0", "ce-id": "b-1", "ce-source": "/sup", "ce-type": LIFECYCLE_DESTROYED, "ce-time": time },
      body: JSON.stringify({ cellId: "c", outcome: "failed" }),
    });
    expect(binary.status).toBe(202);
    const batch = [cellEvent(COMMAND_COMPLETED, "c", { exitCode: 1 }), cellEvent(EXPORT_V1_COMPLETED, "c", { destinationRelative: "x" })];
    const batchReply = await send(url, { headers: { "content-type": "application/cloudevents-batch+json" }, body: JSON.stringify(batch) });
    expect(batchReply.status).toBe(202);
    expect(JSON.parse(batchReply.body)).toEqual({ accepted: 2 });
    const [first, ...rest] = await take(iterator, 3);
    expect(first).toMatchObject({ id: "b-1", time, data: { cellId: "c", outcome: "failed" }, datacontenttype: "application/json" });
    expect(rest).toEqual(batch);
  });

  it("answers 400 with a JSON body naming the problem", async () => {
    const { url } = await start();
    const bad = await send(url, { headers: { "content-type": STRUCTURED }, body: JSON.stringify({ specversion: "1.0", id: "x", type: "t" }) });
    expect(bad.status).toBe(400);
    expect(bad.headers["content-type"]).toBe("application/json");
    const parsed = JSON.parse(bad.body) as { error: string; message: string };
    expect(parsed.error).toBe("invalid_event");
    expect(parsed.message).toContain("source");
  });

  it("answers 401 for a missing or wrong bearer token, and accepts the right one", async () => {
    const { url } = await start({ authToken: "s3cret-token" });
    const event = JSON.stringify(cellEvent(LIFECYCLE_DESTROYED, "c"));
    const headers = { "content-type": STRUCTURED };
    expect((await send(url, { headers, body: event })).status).toBe(401);
    expect((await send(url, { headers: { ...headers, authorization: "Bearer s3cret-tokeN" }, body: event })).status).toBe(401);
    expect((await send(url, { headers: { ...headers, authorization: "Bearer s3cret-token-and-more" }, body: event })).status).toBe(401);
    expect((await send(url, { headers: { ...headers, authorization: "Basic s3cret-token" }, body: event })).status).toBe(401);
    const wrong = await send(url, { headers: { ...headers, authorization: "Bearer nope" }, body: event });
    expect(wrong.headers["www-authenticate"]).toContain("Bearer");
    expect(JSON.parse(wrong.body)).toMatchObject({ error: "unauthorized" });
    expect((await send(url, { headers: { ...headers, authorization: "bearer s3cret-token" }, body: event })).status).toBe(202);
  });

  it("answers 415 for other content types, 405 for other methods, 404 for other paths", async () => {
    const { url } = await start();
    const event = JSON.stringify(cellEvent(LIFECYCLE_DESTROYED, "c"));
    const text = await send(url, { headers: { "content-type": "text/plain" }, body: event });
    expect(text.status).toBe(415);
    expect(JSON.parse(text.body)).toMatchObject({ error: "unsupported_media_type" });
    expect((await send(url, { headers: { "content-type": "application/cloudevents+xml" }, body: "<e/>" })).status).toBe(415);
    expect((await send(url, { headers: { "content-type": "application/json" }, body: event })).status).toBe(415);
    const get = await send(url, { method: "GET" });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe("POST");
    expect((await send(url, { path: "/elsewhere", headers: { "content-type": STRUCTURED }, body: event })).status).toBe(404);
    expect((await send(url, { path: "/events?x=1", headers: { "content-type": STRUCTURED }, body: event })).status).toBe(202);
  });

  it("answers 413 for a declared body over maxBodyBytes without reading it", async () => {
    const { port, receiver } = await start({ maxBodyBytes: 1024 });
    // Only the headers are sent: the answer cannot depend on reading the body.
    const reply = await raw(port, `POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: ${STRUCTURED}\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n`, { keepOpen: true });
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply).toContain("payload_too_large");
    expect(receiver.stats.rejected[413]).toBe(1);
  });

  it("answers 413 for a streamed body that grows over maxBodyBytes, then closes the connection", async () => {
    const { port } = await start({ maxBodyBytes: 1024 });
    const chunk = "x".repeat(600);
    const head = `POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: ${STRUCTURED}\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const chunked = `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    // Two chunks (1200 bytes) exceed the limit; the final chunk is never sent.
    const reply = await raw(port, head + chunked + chunked, { keepOpen: true });
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply.toLowerCase()).toContain("connection: close");
  });

  it("times out a body that never ends with 408", async () => {
    const { port, receiver } = await start({ bodyTimeoutMs: 200 });
    const reply = await raw(port, `POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: ${STRUCTURED}\r\nContent-Length: 100\r\n\r\n{"specversion":`, { keepOpen: true });
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(reply).toContain("request_timeout");
    expect(receiver.stats.rejected[408]).toBe(1);
  });

  it("stays up through 10 000 malformed requests in a row and keeps accepting good events", async () => {
    const { url, port, receiver } = await start({ authToken: "t" });
    const auth = { authorization: "Bearer t" };
    const good = cellEvent(LIFECYCLE_DESTROYED, "c", { outcome: "succeeded" });
    const malformed: { headers: Record<string, string>; body?: string; method?: string; path?: string; status: number }[] = [
      { headers: { ...auth, "content-type": STRUCTURED }, body: "{not json", status: 400 },
      { headers: { ...auth, "content-type": STRUCTURED }, body: "null", status: 400 },
      { headers: { ...auth, "content-type": STRUCTURED }, body: "[1,2,3]", status: 400 },
      { headers: { ...auth, "content-type": STRUCTURED }, body: JSON.stringify({ ...good, specversion: "2.0" }), status: 400 },
      { headers: { ...auth, "content-type": STRUCTURED }, body: JSON.stringify({ ...good, id: 12 }), status: 400 },
      { headers: { ...auth, "content-type": "application/cloudevents-batch+json" }, body: JSON.stringify([good, {}]), status: 400 },
      { headers: { ...auth, "content-type": "application/json", "ce-specversion": "1.0" }, body: "{}", status: 400 },
      { headers: { ...auth, "content-type": "text/html" }, body: "<html>", status: 415 },
      { headers: { "content-type": STRUCTURED }, body: JSON.stringify(good), status: 401 },
      { headers: auth, method: "PUT", body: "x", status: 405 },
      { headers: auth, path: "/nope", body: "x", status: 404 },
    ];
    const total = 10_000;
    let next = 0;
    const statuses = new Map<number, number>();
    const worker = async () => {
      while (next < total) {
        const item = malformed[next % malformed.length];
        next += 1;
        if (item === undefined) continue;
        const reply = await send(url, { headers: item.headers, ...(item.body === undefined ? {} : { body: item.body }), ...(item.method === undefined ? {} : { method: item.method }), ...(item.path === undefined ? {} : { path: item.path }) });
        expect(reply.status).toBe(item.status);
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    // Protocol-level garbage on raw connections too.
    for (const garbage of ["GARBAGE\r\n\r\n", "POST /events HTTP/1.1\r\nContent-Length: abc\r\n\r\n", "\x00\x01\x02\xff\r\n\r\n", "POST /events HTTP/9.9\r\n\r\n"]) {
      for (let i = 0; i < 25; i++) expect(await raw(port, garbage)).toMatch(/^HTTP\/1\.1 400 /);
    }
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(total);
    expect(receiver.stats.acceptedEvents).toBe(0);

    const iterator = receiver.events()[Symbol.asyncIterator]();
    const accepted = await send(url, { headers: { ...auth, "content-type": STRUCTURED }, body: JSON.stringify(good) });
    expect(accepted.status).toBe(202);
    expect(await take(iterator, 1)).toEqual([good]);
    expect(receiver.stats.acceptedEvents).toBe(1);
  });

  it("answers 503 with Retry-After when readers fall behind, and accepts again once they catch up", async () => {
    const { url, receiver } = await start({ maxPendingEvents: 2 });
    const headers = { "content-type": STRUCTURED };
    const events = [1, 2, 3].map((i) => cellEvent(LIFECYCLE_DESTROYED, `c${i}`));
    expect((await send(url, { headers, body: JSON.stringify(events[0]) })).status).toBe(202);
    expect((await send(url, { headers, body: JSON.stringify(events[1]) })).status).toBe(202);
    const full = await send(url, { headers, body: JSON.stringify(events[2]) });
    expect(full.status).toBe(503);
    expect(full.headers["retry-after"]).toBe("1");
    const iterator = receiver.events()[Symbol.asyncIterator]();
    expect(await take(iterator, 2)).toEqual(events.slice(0, 2));
    expect((await send(url, { headers, body: JSON.stringify(events[2]) })).status).toBe(202);
    expect(await take(iterator, 1)).toEqual([events[2]]);
    const tooBig = await send(url, { headers: { "content-type": "application/cloudevents-batch+json" }, body: JSON.stringify(events) });
    expect(tooBig.status).toBe(413);
  });

  it("feeds a tracker: duplicate deliveries are dropped and the result is right", async () => {
    const { url, receiver } = await start();
    const tracker = new CellResultTracker(receiver, { logger: quiet });
    try {
      const waiting = tracker.waitFor("cell-h", { timeoutMs: 5000, packId: "p", doctrineRefs: ["no-egress"] });
      const exported = cellEvent(EXPORT_V1_COMPLETED, "cell-h", { destinationRelative: "out/r.md" });
      const command = cellEvent(COMMAND_COMPLETED, "cell-h", { exitCode: 0 });
      const end = cellEvent(LIFECYCLE_DESTROYED, "cell-h", { outcome: "succeeded" }, "2026-01-01T00:00:04Z");
      for (const event of [exported, exported, command, end, end]) {
        expect((await send(url, { headers: { "content-type": STRUCTURED }, body: JSON.stringify(event) })).status).toBe(202);
      }
      expect(await waiting).toEqual({
        cellId: "cell-h",
        packId: "p",
        exitCode: 0,
        success: true,
        lifecycleDestroyedAt: 1_767_225_604_000,
        exportPaths: ["out/r.md"],
        doctrineRefs: ["no-egress"],
      });
    } finally {
      await tracker.close();
    }
  });

  it("close ends readers after they drained, and listen fails clearly on a taken port", async () => {
    const { url, port, receiver } = await start();
    const iterator = receiver.events()[Symbol.asyncIterator]();
    const event = cellEvent(LIFECYCLE_DESTROYED, "c");
    expect((await send(url, { headers: { "content-type": STRUCTURED }, body: JSON.stringify(event) })).status).toBe(202);
    const clash = new HttpCloudEventsReceiver({ port, logger: quiet });
    await expect(clash.listen()).rejects.toMatchObject({ kind: "Listen" });
    await clash.close();
    await receiver.close({ graceMs: 100 });
    expect(await take(iterator, 1)).toEqual([event]);
    expect(await nextWithin(iterator)).toEqual({ value: undefined, done: true });
  });

  it("rejects bad options", () => {
    expect(() => new HttpCloudEventsReceiver({ maxBodyBytes: 0 })).toThrow(expect.objectContaining({ kind: "InvalidOptions" }));
    expect(() => new HttpCloudEventsReceiver({ path: "events" })).toThrow(expect.objectContaining({ kind: "InvalidOptions" }));
    expect(() => new HttpCloudEventsReceiver({ authToken: "" })).toThrow(expect.objectContaining({ kind: "InvalidOptions" }));
    expect(() => new HttpCloudEventsReceiver({ port: 70_000 })).toThrow(expect.objectContaining({ kind: "InvalidOptions" }));
  });
});
