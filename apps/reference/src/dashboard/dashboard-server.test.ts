import { request } from "node:http";
import { CellosEventType } from "@cellos-cortex/cellos-core";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cellEvents, eventAt } from "./__fixtures__/cell-events.js";
import { SseReader } from "./__fixtures__/sse-client.js";
import type { CellDetail, DashboardSnapshot, DashboardStreamMessages } from "./cell-view.js";
import { CellProjection } from "./cell-projection.js";
import { DashboardError } from "./dashboard-error.js";
import type { DashboardLogger } from "./dashboard-logger.js";
import { DashboardServer } from "./dashboard-server.js";
import type { DashboardListenInfo } from "./dashboard-server.js";
import { DASHBOARD_CONTENT_SECURITY_POLICY } from "./page-document.js";

const warnings: string[] = [];
const logger: DashboardLogger = { warn: (message) => warnings.push(message) };
const STRUCTURED = "application/cloudevents+json";
const BATCH = "application/cloudevents-batch+json";

function post(info: DashboardListenInfo, body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(info.eventsUrl, { method: "POST", body, headers });
}

function rawRequest(port: number, options: { path: string; method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: options.path, method: options.method ?? "GET", headers: options.headers, setHost: options.headers?.host === undefined }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("DashboardServer", () => {
  let server: DashboardServer;
  let info: DashboardListenInfo;

  beforeEach(async () => {
    warnings.length = 0;
    server = new DashboardServer({ port: 0, logger, maxBodyBytes: 64 * 1024, projection: new CellProjection() });
    info = await server.listen();
  });
  afterEach(async () => {
    await server.close({ graceMs: 200 });
  });

  it("listens on loopback on a free port and says where", () => {
    expect(info.host).toBe("127.0.0.1");
    expect(info.port).toBeGreaterThan(0);
    expect(info.url).toBe(`http://127.0.0.1:${info.port}/`);
    expect(info.eventsUrl).toBe(`http://127.0.0.1:${info.port}/events`);
  });

  it("serves the page with a content security policy, and its script and stylesheet", async () => {
    const page = await fetch(info.url);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toBe(DASHBOARD_CONTENT_SECURITY_POLICY);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/assets/dashboard.js"></script>');
    expect(html).not.toMatch(/https?:\/\//); // nothing from a CDN

    const script = await fetch(new URL("/assets/dashboard.js", info.url));
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const code = await script.text();
    expect(code).toContain('new EventSource("/api/events/stream")');
    expect(code).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    expect(code).not.toMatch(/: (string|number|CellSummary)\b/); // types were stripped

    const css = await fetch(new URL("/assets/dashboard.css", info.url));
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await css.text()).toContain(".badge[data-state=\"forced\"]");
  });

  it("accepts a structured event, a batch and a binary event on POST /events", async () => {
    const [dispatched, started, spawned, destroyed] = cellEvents({ cellId: "a", packId: "p", outcome: "succeeded" }) as [CloudEventV1, CloudEventV1, CloudEventV1, CloudEventV1];
    const one = await post(info, JSON.stringify(dispatched), { "content-type": STRUCTURED });
    expect(one.status).toBe(202);
    expect(await one.json()).toEqual({ accepted: 1 });
    const batch = await post(info, JSON.stringify([started, spawned]), { "content-type": BATCH });
    expect(await batch.json()).toEqual({ accepted: 2 });
    const binary = await post(info, JSON.stringify(destroyed.data), {
      "content-type": "application/json",
      "ce-specversion": "1.0",
      "ce-id": destroyed.id,
      "ce-source": destroyed.source,
      "ce-type": destroyed.type,
      "ce-time": destroyed.time ?? "",
    });
    expect(binary.status).toBe(202);

    const snapshot = (await (await fetch(new URL("/api/cells", info.url))).json()) as DashboardSnapshot;
    expect(snapshot.cells).toHaveLength(1);
    expect(snapshot.cells[0]).toMatchObject({ cellId: "a", packId: "p", state: "succeeded", exitCode: 0, eventCount: 4 });
    expect(snapshot.ledger).toEqual({ configured: false });
    expect(snapshot.stats).toMatchObject({ cells: 1, events: 4 });

    const detail = (await (await fetch(new URL("/api/cells/a", info.url))).json()) as CellDetail;
    expect(detail.timeline.map((entry) => entry.type)).toEqual([CellosEventType.cortexDispatched, CellosEventType.lifecycleStarted, CellosEventType.processSpawned, CellosEventType.lifecycleDestroyed]);
  });

  it("finds a cell whose id needs percent-encoding, and says 404 for an unknown one", async () => {
    const cellId = "odd id/with?chars&<script>";
    for (const event of cellEvents({ cellId })) server.ingest(event);
    const found = await fetch(new URL(`/api/cells/${encodeURIComponent(cellId)}`, info.url));
    expect(((await found.json()) as CellDetail).cellId).toBe(cellId);
    const missing = await fetch(new URL("/api/cells/nope", info.url));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "unknown_cell", message: 'no cell "nope" is known to the dashboard' });
    const bad = await fetch(new URL("/api/cells/%E0%A4%A", info.url));
    expect(bad.status).toBe(400);
  });

  it("streams a snapshot, then each cell update, as Server-Sent Events", async () => {
    for (const event of cellEvents({ cellId: "before" })) server.ingest(event);
    const controller = new AbortController();
    const response = await fetch(new URL("/api/events/stream", info.url), { signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const stream = SseReader.from(response);
    try {
      const snapshot = JSON.parse((await stream.next()).data) as DashboardSnapshot;
      expect(stream.retries).toEqual([2000]);
      expect(snapshot.cells.map((cell) => [cell.cellId, cell.state])).toEqual([["before", "running"]]);

      const events = cellEvents({ cellId: "live", exitCode: 7, outcome: "failed" });
      const accepted = await post(info, JSON.stringify(events), { "content-type": BATCH });
      expect(accepted.status).toBe(202);
      const updates: DashboardStreamMessages["cell"][] = [];
      for (const _event of events) {
        const message = await stream.next();
        expect(message.event).toBe("cell");
        updates.push(JSON.parse(message.data) as DashboardStreamMessages["cell"]);
      }
      expect(updates.map((update) => update.cell.state)).toEqual(["running", "running", "running", "failed"]);
      expect(updates.at(-1)?.cell).toMatchObject({ cellId: "live", exitCode: 7 });
      expect(updates.at(-1)?.stats).toMatchObject({ cells: 2, events: 6 });

      // A re-delivery changes nothing and sends nothing; the ledger message comes next.
      server.ingest(eventAt(events, 0));
      server.publishLedger({ configured: false });
      expect(await stream.next()).toEqual({ event: "ledger", data: '{"configured":false}' });
      expect(server.streamClients).toBe(1);
    } finally {
      controller.abort();
    }
  });

  it("tells stream clients which cells were forgotten", async () => {
    await server.close();
    server = new DashboardServer({ port: 0, logger, projection: new CellProjection({ maxCells: 1 }) });
    info = await server.listen();
    const controller = new AbortController();
    const stream = SseReader.from(await fetch(new URL("/api/events/stream", info.url), { signal: controller.signal }));
    try {
      await stream.nextOf("snapshot");
      server.ingest(eventAt(cellEvents({ cellId: "old", outcome: "succeeded" }), 0));
      server.ingest(eventAt(cellEvents({ cellId: "new" }), 0));
      const removed = JSON.parse((await stream.nextOf("removed")).data) as DashboardStreamMessages["removed"];
      expect(removed.cellIds).toEqual(["old"]);
      expect(removed.stats.evicted).toBe(1);
    } finally {
      controller.abort();
    }
  });

  it("answers a malformed POST with 400 and a JSON body naming the problem, accepting nothing", async () => {
    const notJson = await post(info, "{not json", { "content-type": STRUCTURED });
    expect(notJson.status).toBe(400);
    const body = (await notJson.json()) as { error: string; message: string };
    expect(body.error).toBe("invalid_event");
    expect(body.message).toMatch(/^body is not valid JSON/);

    const missingFields = await post(info, JSON.stringify({ specversion: "1.0", id: "x" }), { "content-type": STRUCTURED });
    expect(missingFields.status).toBe(400);
    expect(((await missingFields.json()) as { message: string }).message).toMatch(/source|type/);

    const [good] = cellEvents({ cellId: "half" });
    const halfBad = await post(info, JSON.stringify([good, { nope: true }]), { "content-type": BATCH });
    expect(halfBad.status).toBe(400);
    expect(((await halfBad.json()) as { problems: { index: number }[] }).problems.map((problem) => problem.index)).toEqual([1]);

    const snapshot = (await (await fetch(new URL("/api/cells", info.url))).json()) as DashboardSnapshot;
    expect(snapshot.cells).toEqual([]);
  });

  it("answers 415 for a body that is not CloudEvents, 413 for one too large, 405 and 404 for wrong routes", async () => {
    const plain = await post(info, "hello", { "content-type": "text/plain" });
    expect(plain.status).toBe(415);
    expect(((await plain.json()) as { error: string }).error).toBe("unsupported_media_type");

    const huge = await post(info, JSON.stringify({ specversion: "1.0", id: "x", source: "/s", type: "t", data: "x".repeat(70 * 1024) }), { "content-type": STRUCTURED });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: string }).error).toBe("payload_too_large");

    const get = await fetch(info.eventsUrl);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    const postCells = await fetch(new URL("/api/cells", info.url), { method: "POST" });
    expect(postCells.status).toBe(405);
    expect(postCells.headers.get("allow")).toBe("GET, HEAD");
    const nowhere = await fetch(new URL("/nowhere", info.url));
    expect(nowhere.status).toBe(404);
  });

  it("refuses requests whose Host is not a loopback name (DNS rebinding)", async () => {
    const rebound = await rawRequest(info.port, { path: "/api/cells", headers: { host: `attacker.example:${info.port}` } });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ error: "forbidden_host" });
    const local = await rawRequest(info.port, { path: "/api/cells", headers: { host: `localhost:${info.port}` } });
    expect(local.status).toBe(200);
  });

  it("serves the ledger status it is given", async () => {
    await server.close();
    server = new DashboardServer({
      port: 0,
      logger,
      ledgerStatus: () => ({ configured: true, path: "/x/ledger.jsonl", signed: true, state: "broken", count: 2, firstBadIndex: 2, reason: "row 2: chain broken", checkedAt: "2025-01-01T00:00:00.000Z" }),
    });
    info = await server.listen();
    const status = await (await fetch(new URL("/api/ledger", info.url))).json();
    expect(status).toMatchObject({ configured: true, state: "broken", firstBadIndex: 2, reason: "row 2: chain broken" });
  });

  it("ends open streams on close and refuses new ones", async () => {
    const response = await fetch(new URL("/api/events/stream", info.url));
    const stream = SseReader.from(response);
    await stream.nextOf("snapshot");
    await server.close();
    await expect(stream.next()).rejects.toThrow("the event stream ended");
    await expect(server.listen()).rejects.toThrow(DashboardError);
  });
});

describe("DashboardServer with a bearer token", () => {
  it("requires the token on POST /events only", async () => {
    const server = new DashboardServer({ port: 0, logger, authToken: "s3cret" });
    const info = await server.listen();
    try {
      const [event] = cellEvents({ cellId: "t" });
      const missing = await post(info, JSON.stringify(event), { "content-type": STRUCTURED });
      expect(missing.status).toBe(401);
      expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="cellos-cortex"');
      const wrong = await post(info, JSON.stringify(event), { "content-type": STRUCTURED, authorization: "Bearer nope" });
      expect(wrong.status).toBe(401);
      const right = await post(info, JSON.stringify(event), { "content-type": STRUCTURED, authorization: "Bearer s3cret" });
      expect(right.status).toBe(202);
      expect((await fetch(new URL("/api/cells", info.url))).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("rejects bad options with DashboardError", () => {
    expect(() => new DashboardServer({ port: 70_000 })).toThrow(/port must be an integer in 0–65535, got 70000/);
    expect(() => new DashboardServer({ authToken: "" })).toThrow(DashboardError);
    expect(() => new DashboardServer({ maxBodyBytes: 0 })).toThrow(/maxBodyBytes/);
  });

  it("says which address it cannot bind", async () => {
    const first = new DashboardServer({ port: 0, logger });
    const { port } = await first.listen();
    try {
      const second = new DashboardServer({ port, logger });
      await expect(second.listen()).rejects.toMatchObject({ kind: "Listen", message: expect.stringContaining(`127.0.0.1:${port}`) });
      await second.close();
    } finally {
      await first.close();
    }
  });
});
