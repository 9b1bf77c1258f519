import { once } from "node:events";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isBridgeError } from "./bridge-error.js";
import { createContextPack } from "./context-pack.js";
import { CortexCellRunner } from "./cortex-cell-runner.js";
import { HttpCellSubmitter, parseRetryAfter } from "./http-cell-submitter.js";
import { cellDocument } from "./__fixtures__/documents.js";

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage["headers"];
  body: string;
}

type Handler = (request: IncomingMessage, response: ServerResponse, attempt: number) => void;

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
    await once(server, "close");
  }
});

/** A CellOS-server stand-in on 127.0.0.1 answering with `handler`; records every request. */
async function cellosServer(handler: Handler): Promise<{ baseUrl: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      seen.push({ method: request.method, url: request.url, headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      handler(request, response, seen.length);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  servers.push(server);
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function accept(response: ServerResponse, body: unknown = { cellId: "cell-1" }, status = 202): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

const document = cellDocument("cell-1", ["agent", "task"]);

describe("HttpCellSubmitter", () => {
  it("POSTs the document as JSON to /v1/cells with the bearer token and gets 202 {cellId}", async () => {
    const { baseUrl, seen } = await cellosServer((_req, res) => {
      accept(res);
    });
    const submitter = new HttpCellSubmitter({ baseUrl, token: "t0ken" });
    await expect(submitter.submit(document)).resolves.toEqual({ cellId: "cell-1", lifecycleEvents: [] });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: "POST", url: "/v1/cells" });
    expect(seen[0]?.headers.authorization).toBe("Bearer t0ken");
    expect(seen[0]?.headers["content-type"]).toBe("application/json");
    expect(seen[0]?.headers["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual(document);
  });

  it("keeps a base path and takes a finished run when the server reports one", async () => {
    const event = { specversion: "1.0", id: "e1", source: "s", type: "dev.cellos.events.cell.lifecycle.v1.destroyed", data: { cellId: "cell-1", outcome: "succeeded" } };
    const { baseUrl, seen } = await cellosServer((_req, res) => {
      accept(res, { cellId: "cell-1", exitCode: 0, lifecycleEvents: [event] }, 200);
    });
    const submitter = new HttpCellSubmitter({ baseUrl: `${baseUrl}/cellos` });
    await expect(submitter.submit(document)).resolves.toEqual({ cellId: "cell-1", exitCode: 0, lifecycleEvents: [event] });
    expect(seen[0]?.url).toBe("/cellos/v1/cells");
    expect(seen[0]?.headers.authorization).toBeUndefined();
  });

  it("retries a 503 with backoff, honouring Retry-After, under one idempotency key", async () => {
    const { baseUrl, seen } = await cellosServer((_req, res, attempt) => {
      if (attempt < 3) {
        res.writeHead(503, { "retry-after": "0" });
        res.end("busy");
      } else accept(res);
    });
    const submitter = new HttpCellSubmitter({ baseUrl, backoffMs: 1 });
    await expect(submitter.submit(document)).resolves.toMatchObject({ cellId: "cell-1" });
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.headers["idempotency-key"])).size).toBe(1);
  });

  it("retries a connection reset", async () => {
    const { baseUrl, seen } = await cellosServer((req, res, attempt) => {
      if (attempt === 1) req.socket.destroy();
      else accept(res);
    });
    const submitter = new HttpCellSubmitter({ baseUrl, backoffMs: 1 });
    await expect(submitter.submit(document)).resolves.toMatchObject({ cellId: "cell-1" });
    expect(seen).toHaveLength(2);
  });

  it("gives up after its retries with the last status and body", async () => {
    const { baseUrl, seen } = await cellosServer((_req, res) => {
      res.writeHead(503);
      res.end("still busy");
    });
    const submitter = new HttpCellSubmitter({ baseUrl, retries: 2, backoffMs: 1 });
    const error: unknown = await submitter.submit(document).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "BridgeError", kind: "Http", status: 503, body: "still busy", cellId: "cell-1" });
    expect(seen).toHaveLength(3);
  });

  it("does not retry other errors: a typed error carries status and body", async () => {
    const { baseUrl, seen } = await cellosServer((_req, res) => {
      res.writeHead(400, { "content-type": "application/json" });
      res.end('{"error":"invalid cell specification: spec.id"}');
    });
    const error: unknown = await new HttpCellSubmitter({ baseUrl }).submit(document).catch((e: unknown) => e);
    expect(isBridgeError(error, "Http")).toBe(true);
    expect(error).toMatchObject({ status: 400, body: '{"error":"invalid cell specification: spec.id"}' });
    expect((error as Error).message).toContain("→ 400");
    expect(seen).toHaveLength(1);
  });

  it("an answer that is not {cellId} is InvalidOutcome", async () => {
    for (const body of ["not json", '{"id":"x"}', '{"cellId":""}', '{"cellId":"c","lifecycleEvents":[1]}']) {
      const { baseUrl } = await cellosServer((_req, res) => {
        res.writeHead(202);
        res.end(body);
      });
      await expect(new HttpCellSubmitter({ baseUrl }).submit(document)).rejects.toMatchObject({ kind: "InvalidOutcome", status: 202 });
    }
  });

  it("a server that hangs times out, and abort works", async () => {
    const { baseUrl } = await cellosServer(() => {
      // never answers
    });
    await expect(new HttpCellSubmitter({ baseUrl, timeoutMs: 50 }).submit(document)).rejects.toMatchObject({ kind: "Timeout" });
    const controller = new AbortController();
    const pending = new HttpCellSubmitter({ baseUrl, timeoutMs: 60_000 }).submit(document, { signal: controller.signal });
    setTimeout(() => {
      controller.abort();
    }, 20);
    await expect(pending).rejects.toMatchObject({ kind: "Aborted" });
  });

  it("abort also ends a backoff wait", async () => {
    const { baseUrl } = await cellosServer((_req, res) => {
      res.writeHead(503, { "retry-after": "60" });
      res.end();
    });
    const controller = new AbortController();
    const pending = new HttpCellSubmitter({ baseUrl, maxBackoffMs: 60_000 }).submit(document, { signal: controller.signal });
    setTimeout(() => {
      controller.abort();
    }, 50);
    await expect(pending).rejects.toMatchObject({ kind: "Aborted" });
  });

  it("an unreachable server is an Http error after the retries", async () => {
    const { baseUrl } = await cellosServer(() => undefined);
    const server = servers.pop();
    server?.close();
    if (server !== undefined) await once(server, "close");
    const error: unknown = await new HttpCellSubmitter({ baseUrl, retries: 1, backoffMs: 1 }).submit(document).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "Http", message: expect.stringContaining("ECONNREFUSED") as string });
  });

  it("works as the runner's submitter", async () => {
    const { baseUrl, seen } = await cellosServer((req, res) => {
      void req;
      const submitted = JSON.parse(seen.at(-1)?.body ?? "{}") as { spec: { id: string } };
      accept(res, { cellId: submitted.spec.id });
    });
    const runner = new CortexCellRunner(new HttpCellSubmitter({ baseUrl }), ["agent"]);
    const dispatched = await runner.dispatch(createContextPack("over http", { doctrineRefs: ["no-egress"] }));
    expect(dispatched.cellId).toBe("cortex-overhttp");
    expect(dispatched.lifecycleEvents).toEqual([]);
  });

  it("refuses bad options", () => {
    expect(() => new HttpCellSubmitter({ baseUrl: "not a url" })).toThrow(expect.objectContaining({ kind: "InvalidOptions" }) as Error);
    expect(() => new HttpCellSubmitter({ baseUrl: "ftp://x" })).toThrow(expect.objectContaining({ kind: "InvalidOptions" }) as Error);
    expect(() => new HttpCellSubmitter({ baseUrl: "http://x", retries: -1 })).toThrow(expect.objectContaining({ kind: "InvalidOptions" }) as Error);
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:10 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(10_000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
