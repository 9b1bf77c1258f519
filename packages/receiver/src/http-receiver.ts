import { createHash, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import type { CellEventSource, EventStreamOptions } from "./cell-event-source.js";
import { cloudEventsModeOf, decodeCloudEventsHttp } from "./cloudevents-http.js";
import type { CloudEventsHttpProblem } from "./cloudevents-http.js";
import { EventChannel } from "./event-channel.js";
import { consoleLogger } from "./logger.js";
import type { ReceiverLogger } from "./logger.js";
import { ReceiverError } from "./receiver-error.js";

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

export interface HttpCloudEventsReceiverOptions {
  /** Address to bind. Default `127.0.0.1` (loopback only). */
  host?: string;
  /** Default 0: a free port, reported by `listen()`. */
  port?: number;
  /** The one path events are POSTed to. Default `/events`. */
  path?: string;
  /** When set, requests must carry `Authorization: Bearer <authToken>` (401 otherwise). */
  authToken?: string;
  /** Larger bodies get 413 and are not read into memory. Default 1 MiB. */
  maxBodyBytes?: number;
  /** A body not complete within this time gets 408 and its connection is closed. Default 10 s. */
  bodyTimeoutMs?: number;
  /** Accepted events waiting for a reader; beyond it requests get 503 (`Retry-After`). Default 10 000. */
  maxPendingEvents?: number;
  /** Also validate the data of known CellOS event types (see `EventValidationOptions`). */
  validateData?: boolean;
  logger?: ReceiverLogger;
}

export interface HttpListenInfo {
  /** Full URL of the events endpoint, e.g. `http://127.0.0.1:43123/events`. */
  url: string;
  host: string;
  port: number;
}

export interface HttpReceiverStats {
  requests: number;
  acceptedEvents: number;
  /** Responses other than 202, by status code. */
  rejected: Record<number, number>;
}

interface ErrorBody {
  error: string;
  message: string;
  problems?: CloudEventsHttpProblem[];
}

const ACCEPTED_ONE = JSON.stringify({ accepted: 1 });

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * Receives CloudEvents over HTTP (binary, structured and batch modes) on bare
 * `node:http`, validates them with cellos-core's schemas and hands them to
 * every reader of `events()`. Answers 202 when accepted; 400 (with a JSON body
 * naming the problem), 401, 404, 405, 408, 413, 415 or 503 otherwise.
 */
export class HttpCloudEventsReceiver implements CellEventSource {
  readonly host: string;
  readonly path: string;
  readonly maxBodyBytes: number;
  readonly bodyTimeoutMs: number;
  private readonly requestedPort: number;
  private readonly tokenHash: Buffer | undefined;
  private readonly validateData: boolean;
  private readonly logger: ReceiverLogger;
  private readonly channel: EventChannel;
  private server: Server | undefined;
  private listening: Promise<HttpListenInfo> | undefined;
  private closing: Promise<void> | undefined;
  private readonly counters: HttpReceiverStats = { requests: 0, acceptedEvents: 0, rejected: {} };

  constructor(options: HttpCloudEventsReceiverOptions = {}) {
    const positive = (name: string, value: number): number => {
      if (!Number.isInteger(value) || value < 1) throw new ReceiverError("InvalidOptions", `${name} must be a positive integer, got ${String(value)}`);
      return value;
    };
    this.host = options.host ?? "127.0.0.1";
    this.requestedPort = options.port ?? 0;
    if (!Number.isInteger(this.requestedPort) || this.requestedPort < 0 || this.requestedPort > 65_535) {
      throw new ReceiverError("InvalidOptions", `port must be an integer in 0–65535, got ${String(options.port)}`);
    }
    this.path = options.path ?? "/events";
    if (!this.path.startsWith("/")) throw new ReceiverError("InvalidOptions", `path must start with "/", got ${JSON.stringify(this.path)}`);
    if (options.authToken !== undefined && options.authToken === "") throw new ReceiverError("InvalidOptions", "authToken must not be empty");
    this.tokenHash = options.authToken === undefined ? undefined : sha256(options.authToken);
    this.maxBodyBytes = positive("maxBodyBytes", options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    this.bodyTimeoutMs = positive("bodyTimeoutMs", options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS);
    this.channel = new EventChannel({ maxPending: positive("maxPendingEvents", options.maxPendingEvents ?? 10_000) });
    this.validateData = options.validateData ?? false;
    this.logger = options.logger ?? consoleLogger;
  }

  get stats(): HttpReceiverStats {
    return { ...this.counters, rejected: { ...this.counters.rejected } };
  }

  /** Binds the address (once; later calls return the same info). Rejects with `ReceiverError` `Listen`. */
  listen(): Promise<HttpListenInfo> {
    if (this.closing !== undefined) return Promise.reject(new ReceiverError("Closed", "receiver is closed"));
    this.listening ??= new Promise<HttpListenInfo>((resolve, reject) => {
      const server = createServer(
        {
          // Node checks header/request deadlines on this interval; keep it well under our body timeout.
          connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(this.bodyTimeoutMs / 2))),
          headersTimeout: Math.min(60_000, this.bodyTimeoutMs),
          requestTimeout: 0,
        },
        (req, res) => this.handle(req, res),
      );
      server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => this.onClientError(error, socket));
      const onError = (error: Error): void => {
        reject(new ReceiverError("Listen", `cannot listen on ${this.host}:${this.requestedPort}: ${error.message}`, { cause: error }));
      };
      server.once("error", onError);
      server.listen(this.requestedPort, this.host, () => {
        server.off("error", onError);
        server.on("error", (error) => this.logger.warn(`HTTP receiver server error: ${error.message}`, { error }));
        const address = server.address() as AddressInfo;
        const hostForUrl = address.family === "IPv6" ? `[${address.address}]` : address.address;
        resolve({ url: `http://${hostForUrl}:${address.port}${this.path}`, host: address.address, port: address.port });
      });
      this.server = server;
    });
    return this.listening;
  }

  /** Every accepted event, to every reader; events accepted before the first reader are kept for it. */
  events(options: EventStreamOptions = {}): AsyncIterable<CloudEventV1> {
    return this.channel.events(options);
  }

  /**
   * Stops accepting connections, lets in-flight requests finish (at most
   * `graceMs`, default 2 s), then ends every reader once it has drained.
   */
  close(options: { graceMs?: number } = {}): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const server = this.server;
      if (server === undefined) {
        this.channel.close();
        resolve();
        return;
      }
      const force = setTimeout(() => server.closeAllConnections(), options.graceMs ?? 2000);
      server.close(() => {
        clearTimeout(force);
        this.channel.close();
        resolve();
      });
      server.closeIdleConnections();
    });
    return this.closing;
  }

  private count(status: number): void {
    this.counters.rejected[status] = (this.counters.rejected[status] ?? 0) + 1;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.counters.requests += 1;
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const pathname = query === -1 ? url : url.slice(0, query);
    if (pathname !== this.path) {
      this.reject(req, res, 404, { error: "not_found", message: `nothing at ${pathname}; POST CloudEvents to ${this.path}` });
      return;
    }
    if (req.method !== "POST") {
      this.reject(req, res, 405, { error: "method_not_allowed", message: `${String(req.method)} is not allowed on ${this.path}; use POST` }, { allow: "POST" });
      return;
    }
    if (this.tokenHash !== undefined && !this.authorized(req.headers.authorization)) {
      this.reject(req, res, 401, { error: "unauthorized", message: "missing or wrong bearer token" }, { "www-authenticate": 'Bearer realm="cellos-cortex"' });
      return;
    }
    if (cloudEventsModeOf(req.headers) === undefined) {
      const contentType = req.headers["content-type"];
      this.reject(req, res, 415, {
        error: "unsupported_media_type",
        message: `content type ${JSON.stringify(contentType ?? "(none)")} is not accepted: send application/cloudevents+json, application/cloudevents-batch+json, or a binary-mode event with ce-* headers`,
      });
      return;
    }
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > this.maxBodyBytes) {
      this.reject(req, res, 413, { error: "payload_too_large", message: `body of ${declared} bytes exceeds maxBodyBytes (${this.maxBodyBytes})` });
      return;
    }
    this.readBody(req, res);
  }

  private readBody(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    const done = (): boolean => {
      if (finished) return false;
      finished = true;
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      return true;
    };
    const timer = setTimeout(() => {
      if (!done()) return;
      this.reject(req, res, 408, { error: "request_timeout", message: `body not complete within ${this.bodyTimeoutMs} ms (${size} bytes received)` }, {}, true);
    }, this.bodyTimeoutMs);
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > this.maxBodyBytes) {
        if (!done()) return;
        chunks.length = 0;
        this.reject(req, res, 413, { error: "payload_too_large", message: `body exceeds maxBodyBytes (${this.maxBodyBytes})` }, {}, true);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      if (!done()) return;
      const only = chunks.length === 1 ? chunks[0] : undefined;
      const body = only ?? Buffer.concat(chunks, size);
      this.accept(req, res, body);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    // The client went away (or the socket failed) before its body was complete.
    const onGone = (): void => {
      if (done()) this.count(499);
    };
    req.once("close", onGone);
    req.on("error", onGone);
  }

  private accept(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const decoded = decodeCloudEventsHttp(req.headers, body, { validateData: this.validateData });
    if (!decoded.ok) {
      this.reject(req, res, decoded.status, { error: decoded.error, message: decoded.message, ...(decoded.problems === undefined ? {} : { problems: decoded.problems }) });
      return;
    }
    const { events } = decoded;
    if (events.length > this.channel.maxPending) {
      this.reject(req, res, 413, { error: "batch_too_large", message: `batch of ${events.length} events exceeds maxPendingEvents (${this.channel.maxPending})` });
      return;
    }
    if (!this.channel.offer(events)) {
      const closed = this.channel.isClosed;
      this.reject(
        req,
        res,
        503,
        closed
          ? { error: "closing", message: "receiver is closing" }
          : { error: "overloaded", message: `${this.channel.pending} events are waiting for a reader; retry later` },
        { "retry-after": "1" },
      );
      return;
    }
    this.counters.acceptedEvents += events.length;
    const payload = events.length === 1 ? ACCEPTED_ONE : JSON.stringify({ accepted: events.length });
    res.writeHead(202, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
    res.end(payload);
  }

  /**
   * Answers with a JSON error. When the request body was not (fully) read and
   * may be large or endless, the connection is closed after the answer rather
   * than reading the rest.
   */
  private reject(req: IncomingMessage, res: ServerResponse, status: number, body: ErrorBody, headers: Record<string, string> = {}, abandonBody = false): void {
    this.count(status);
    if (res.headersSent || res.destroyed) return;
    const payload = JSON.stringify(body);
    const declared = Number(req.headers["content-length"] ?? 0);
    const unreadLarge = !req.complete && (abandonBody || req.headers["transfer-encoding"] !== undefined || !(declared <= this.maxBodyBytes));
    res.writeHead(status, {
      ...headers,
      "content-type": "application/json",
      "content-length": Buffer.byteLength(payload),
      ...(unreadLarge ? { connection: "close" } : {}),
    });
    res.end(payload);
  }

  private authorized(header: string | undefined): boolean {
    if (header === undefined || this.tokenHash === undefined) return false;
    const token = /^bearer[ \t]+(.+)$/i.exec(header.trim())?.[1];
    if (token === undefined) return false;
    // Hash both sides so the comparison is constant-time and length-independent.
    return timingSafeEqual(sha256(token.trim()), this.tokenHash);
  }

  private onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
    if (!socket.writable || error.code === "ECONNRESET") {
      socket.destroy();
      return;
    }
    const [status, reason] =
      error.code === "HPE_HEADER_OVERFLOW"
        ? [431, "Request Header Fields Too Large"]
        : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? [408, "Request Timeout"]
          : [400, "Bad Request"];
    this.count(status);
    const payload = JSON.stringify({ error: "bad_request", message: `malformed HTTP request: ${error.code ?? error.message}` });
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`);
  }
}
