import { createHash, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from "node:http";
import { isIP } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import { cloudEventsModeOf, decodeCloudEventsHttp, DEFAULT_BODY_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES } from "@cellos-cortex/receiver";
import type { CloudEventsHttpProblem } from "@cellos-cortex/receiver";
import { CellProjection } from "./cell-projection.js";
import type { DashboardSnapshot, LedgerStatus } from "./cell-view.js";
import { DashboardError } from "./dashboard-error.js";
import { stderrDashboardLogger } from "./dashboard-logger.js";
import type { DashboardLogger } from "./dashboard-logger.js";
import { EventStreamHub } from "./event-stream-hub.js";
import { DASHBOARD_CONTENT_SECURITY_POLICY, DASHBOARD_CSS, DASHBOARD_HTML, DASHBOARD_SCRIPT_PATH, DASHBOARD_STYLE_PATH } from "./page-document.js";
import { loadPageScript } from "./page-script.js";
import { readRequestBody } from "./request-body.js";

export const EVENTS_PATH = "/events";
export const STREAM_PATH = "/api/events/stream";

export interface DashboardServerOptions {
  /** Address to bind. Default `127.0.0.1` (loopback only). */
  host?: string;
  /** Default 0: a free port, reported by `listen()`. */
  port?: number;
  /** When set, `POST /events` must carry `Authorization: Bearer <authToken>` (401 otherwise). */
  authToken?: string | undefined;
  /** Larger event bodies get 413. Default 1 MiB (the receiver's default). */
  maxBodyBytes?: number;
  /** An event body not complete within this time gets 408. Default 10 s. */
  bodyTimeoutMs?: number;
  /** Validate the data of known CellOS event types on `POST /events` (400 when it does not match). Default false, as the receiver. */
  validateData?: boolean;
  /** The cell view fed by `ingest`. Default: a new one with default limits. */
  projection?: CellProjection;
  /** The ledger's current status (default: not configured). */
  ledgerStatus?: () => LedgerStatus;
  logger?: DashboardLogger;
}

export interface DashboardListenInfo {
  /** The dashboard page, e.g. `http://127.0.0.1:43123/`. */
  url: string;
  /** Where CloudEvents are POSTed, e.g. `http://127.0.0.1:43123/events`. */
  eventsUrl: string;
  host: string;
  port: number;
}

interface ErrorBody {
  error: string;
  message: string;
  problems?: CloudEventsHttpProblem[];
}

const NOT_CONFIGURED: LedgerStatus = { configured: false };
const LOOPBACK_NAMES = new Set(["localhost", "[::1]", "::1"]);

function isLoopback(host: string): boolean {
  if (LOOPBACK_NAMES.has(host.toLowerCase()) || host.toLowerCase().endsWith(".localhost")) return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * The dashboard's one HTTP server: the page (`/`, `/assets/*`), the API
 * (`GET /api/cells`, `GET /api/cells/<id>`, `GET /api/ledger`), the live
 * stream (`GET /api/events/stream`, Server-Sent Events) and the CloudEvents
 * endpoint (`POST /events`, binary, structured and batch modes, decoded by the
 * receiver's `decodeCloudEventsHttp`). Events from any other source are fed
 * in with `ingest`.
 *
 * Bound to loopback, it answers only requests whose `Host` is a loopback
 * name (so a web page cannot reach it through DNS rebinding), and the page is
 * served with a Content Security Policy allowing only its own script.
 */
export class DashboardServer {
  readonly host: string;
  readonly projection: CellProjection;
  readonly maxBodyBytes: number;
  readonly bodyTimeoutMs: number;
  private readonly requestedPort: number;
  private readonly tokenHash: Buffer | undefined;
  private readonly validateData: boolean;
  private readonly ledgerStatus: () => LedgerStatus;
  private readonly logger: DashboardLogger;
  private readonly hub: EventStreamHub;
  private readonly checkHost: boolean;
  private script: Promise<string> | undefined;
  private server: Server | undefined;
  private listening: Promise<DashboardListenInfo> | undefined;
  private closing: Promise<void> | undefined;
  /** Open connections and how many requests each has in progress. */
  private readonly connections = new Map<Socket, number>();

  constructor(options: DashboardServerOptions = {}) {
    const positive = (name: string, value: number): number => {
      if (!Number.isSafeInteger(value) || value < 1) throw new DashboardError("InvalidOptions", `${name} must be a positive integer, got ${String(value)}`);
      return value;
    };
    this.host = options.host ?? "127.0.0.1";
    this.requestedPort = options.port ?? 0;
    if (!Number.isInteger(this.requestedPort) || this.requestedPort < 0 || this.requestedPort > 65_535) {
      throw new DashboardError("InvalidOptions", `port must be an integer in 0–65535, got ${String(options.port)}`);
    }
    if (options.authToken === "") throw new DashboardError("InvalidOptions", "authToken must not be empty");
    this.tokenHash = options.authToken === undefined ? undefined : sha256(options.authToken);
    this.maxBodyBytes = positive("maxBodyBytes", options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    this.bodyTimeoutMs = positive("bodyTimeoutMs", options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS);
    this.validateData = options.validateData ?? false;
    this.projection = options.projection ?? new CellProjection();
    this.ledgerStatus = options.ledgerStatus ?? (() => NOT_CONFIGURED);
    this.logger = options.logger ?? stderrDashboardLogger;
    this.hub = new EventStreamHub({ logger: this.logger });
    this.checkHost = isLoopback(this.host);
  }

  /** Open Server-Sent Events streams. */
  get streamClients(): number {
    return this.hub.size;
  }

  /** Binds the address (once; later calls return the same info). Rejects with `DashboardError` `Listen`. */
  listen(): Promise<DashboardListenInfo> {
    if (this.closing !== undefined) return Promise.reject(new DashboardError("Listen", "the dashboard server is closed"));
    this.listening ??= new Promise<DashboardListenInfo>((resolve, reject) => {
      const server = createServer({ headersTimeout: Math.min(60_000, this.bodyTimeoutMs), requestTimeout: 0 }, (req, res) => this.handle(req, res));
      server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
        if (socket.writable && error.code !== "ECONNRESET") socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        else socket.destroy();
      });
      const onError = (error: Error): void => {
        reject(new DashboardError("Listen", `cannot listen on ${this.host}:${this.requestedPort}: ${error.message}`, { cause: error }));
      };
      server.on("connection", (socket: Socket) => {
        this.connections.set(socket, 0);
        socket.once("close", () => this.connections.delete(socket));
      });
      server.once("error", onError);
      server.listen(this.requestedPort, this.host, () => {
        server.off("error", onError);
        server.on("error", (error) => this.logger.warn(`dashboard server error: ${error.message}`));
        const address = server.address() as AddressInfo;
        const hostForUrl = address.family === "IPv6" ? `[${address.address}]` : address.address;
        const base = `http://${hostForUrl}:${address.port}`;
        resolve({ url: `${base}/`, eventsUrl: `${base}${EVENTS_PATH}`, host: address.address, port: address.port });
      });
      this.server = server;
    });
    return this.listening;
  }

  /** Applies one event from any source to the cell view and tells every open page. */
  ingest(event: CloudEventV1): void {
    const change = this.projection.apply(event);
    if (change.kind !== "cell") return;
    const stats = this.projection.stats;
    if (change.evicted.length > 0) this.hub.send("removed", { cellIds: change.evicted, stats });
    this.hub.send("cell", { cell: change.cell, stats });
  }

  /** Tells every open page the ledger's new status. */
  publishLedger(status: LedgerStatus): void {
    this.hub.send("ledger", status);
  }

  snapshot(): DashboardSnapshot {
    return { cells: this.projection.snapshot(), ledger: this.ledgerStatus(), stats: this.projection.stats };
  }

  /** Ends the event streams, stops accepting connections, lets requests in flight finish (at most `graceMs`, default 2 s). */
  close(options: { graceMs?: number } = {}): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.hub.close();
      const server = this.server;
      if (server === undefined) {
        resolve();
        return;
      }
      const force = setTimeout(() => server.closeAllConnections(), options.graceMs ?? 2000);
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      // Idle keep-alive connections, and ones a client opened without a request yet, go now; busy ones after their response.
      for (const [socket, active] of this.connections) if (active === 0) socket.destroy();
    });
    return this.closing;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    this.connections.set(socket, (this.connections.get(socket) ?? 0) + 1);
    res.once("close", () => {
      const active = this.connections.get(socket);
      if (active === undefined) return;
      this.connections.set(socket, active - 1);
      if (active === 1 && this.closing !== undefined) socket.end();
    });
    if (this.checkHost && !this.hostAllowed(req.headers.host)) {
      this.sendJson(res, 403, { error: "forbidden_host", message: `Host ${JSON.stringify(req.headers.host ?? "")} is not a loopback name; open the dashboard at 127.0.0.1 or localhost` });
      return;
    }
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const pathname = query === -1 ? url : url.slice(0, query);
    const method = req.method ?? "GET";
    const read = method === "GET" || method === "HEAD";

    if (pathname === EVENTS_PATH) {
      if (method !== "POST") this.methodNotAllowed(res, pathname, "POST");
      else this.receive(req, res);
      return;
    }
    const route = this.route(pathname);
    if (route === undefined) {
      this.sendJson(res, 404, { error: "not_found", message: `nothing at ${pathname}` });
      return;
    }
    if (!read) {
      this.methodNotAllowed(res, pathname, "GET, HEAD");
      return;
    }
    route(req, res);
  }

  private route(pathname: string): ((req: IncomingMessage, res: ServerResponse) => void) | undefined {
    switch (pathname) {
      case "/":
      case "/index.html":
        return (_req, res) =>
          this.send(res, 200, DASHBOARD_HTML, {
            "content-type": "text/html; charset=utf-8",
            "content-security-policy": DASHBOARD_CONTENT_SECURITY_POLICY,
            "referrer-policy": "no-referrer",
            "x-frame-options": "DENY",
          });
      case DASHBOARD_STYLE_PATH:
        return (_req, res) => this.send(res, 200, DASHBOARD_CSS, { "content-type": "text/css; charset=utf-8" });
      case DASHBOARD_SCRIPT_PATH:
        return (_req, res) => this.sendScript(res);
      case "/api/cells":
        return (_req, res) => this.sendJson(res, 200, this.snapshot());
      case "/api/ledger":
        return (_req, res) => this.sendJson(res, 200, this.ledgerStatus());
      case STREAM_PATH:
        return (req, res) => {
          if (req.method === "HEAD") this.send(res, 200, "", { "content-type": "text/event-stream; charset=utf-8" });
          else this.hub.add(res, this.snapshot());
        };
      default:
        break;
    }
    if (pathname.startsWith("/api/cells/")) {
      return (_req, res) => {
        let cellId: string;
        try {
          cellId = decodeURIComponent(pathname.slice("/api/cells/".length));
        } catch {
          this.sendJson(res, 400, { error: "bad_cell_id", message: `${JSON.stringify(pathname)} is not a valid percent-encoded cell id` });
          return;
        }
        const detail = this.projection.detail(cellId);
        if (detail === undefined) this.sendJson(res, 404, { error: "unknown_cell", message: `no cell ${JSON.stringify(cellId)} is known to the dashboard` });
        else this.sendJson(res, 200, detail);
      };
    }
    return undefined;
  }

  private sendScript(res: ServerResponse): void {
    this.script ??= loadPageScript();
    this.script.then(
      (script) => this.send(res, 200, script, { "content-type": "text/javascript; charset=utf-8" }),
      (error: unknown) => {
        this.script = undefined;
        const message = error instanceof Error ? error.message : String(error);
        this.logger.warn(`cannot serve the dashboard script: ${message}`);
        this.sendJson(res, 500, { error: "page_assets", message });
      },
    );
  }

  /** `POST /events`: the CloudEvents HTTP binding, answered like the receiver's `HttpCloudEventsReceiver`. */
  private receive(req: IncomingMessage, res: ServerResponse): void {
    if (this.tokenHash !== undefined && !this.authorized(req.headers.authorization)) {
      this.sendJson(res, 401, { error: "unauthorized", message: "missing or wrong bearer token" }, { "www-authenticate": 'Bearer realm="cellos-cortex"' }, req);
      return;
    }
    if (cloudEventsModeOf(req.headers) === undefined) {
      this.sendJson(
        res,
        415,
        {
          error: "unsupported_media_type",
          message: `content type ${JSON.stringify(req.headers["content-type"] ?? "(none)")} is not accepted: send application/cloudevents+json, application/cloudevents-batch+json, or a binary-mode event with ce-* headers`,
        },
        {},
        req,
      );
      return;
    }
    void readRequestBody(req, { maxBytes: this.maxBodyBytes, timeoutMs: this.bodyTimeoutMs }).then((read) => {
      if (!read.ok) {
        if (read.status === 499) {
          res.destroy();
          return;
        }
        const error = read.status === 413 ? "payload_too_large" : "request_timeout";
        this.sendJson(res, read.status, { error, message: read.message }, { connection: "close" });
        return;
      }
      const decoded = decodeCloudEventsHttp(req.headers, read.body, { validateData: this.validateData });
      if (!decoded.ok) {
        this.sendJson(res, decoded.status, { error: decoded.error, message: decoded.message, ...(decoded.problems === undefined ? {} : { problems: decoded.problems }) });
        return;
      }
      for (const event of decoded.events) this.ingest(event);
      this.sendJson(res, 202, { accepted: decoded.events.length });
    }).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(`POST ${EVENTS_PATH} failed: ${message}`);
      this.sendJson(res, 500, { error: "internal", message });
    });
  }

  private authorized(header: string | undefined): boolean {
    if (header === undefined || this.tokenHash === undefined) return false;
    const token = /^bearer[ \t]+(.+)$/i.exec(header.trim())?.[1];
    if (token === undefined) return false;
    // Hash both sides so the comparison is constant-time and length-independent.
    return timingSafeEqual(sha256(token.trim()), this.tokenHash);
  }

  private hostAllowed(header: string | undefined): boolean {
    if (header === undefined) return false;
    let hostname: string;
    try {
      hostname = new URL(`http://${header}`).hostname;
    } catch {
      return false;
    }
    return isLoopback(hostname);
  }

  private methodNotAllowed(res: ServerResponse, pathname: string, allow: string): void {
    this.sendJson(res, 405, { error: "method_not_allowed", message: `use ${allow.replace(", ", " or ")} on ${pathname}` }, { allow });
  }

  /**
   * Answers with JSON. When a request body was not read (an early 401/415),
   * a large or streamed one closes the connection rather than being drained.
   */
  private sendJson(res: ServerResponse, status: number, body: DashboardSnapshot | LedgerStatus | ErrorBody | object, headers: OutgoingHttpHeaders = {}, unreadBody?: IncomingMessage): void {
    const closeAfter = unreadBody !== undefined && !unreadBody.complete && (unreadBody.headers["transfer-encoding"] !== undefined || Number(unreadBody.headers["content-length"] ?? 0) > 64 * 1024);
    this.send(res, status, JSON.stringify(body), { "content-type": "application/json; charset=utf-8", ...headers, ...(closeAfter ? { connection: "close" } : {}) });
  }

  private send(res: ServerResponse, status: number, body: string, headers: OutgoingHttpHeaders): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, {
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      ...headers,
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  }
}
