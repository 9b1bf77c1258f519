import type { ServerResponse } from "node:http";
import type { DashboardStreamEvent, DashboardStreamMessages } from "./cell-view.js";
import type { DashboardLogger } from "./dashboard-logger.js";
import { sseComment, sseJsonFrame, sseRetry } from "./sse-frame.js";

export interface EventStreamHubOptions {
  /** A client whose unsent bytes exceed this is dropped (its `EventSource` reconnects and gets a fresh snapshot). Default 4 MiB. */
  maxBufferedBytes?: number;
  /** Comment frames this often keep idle streams open. Default 15 s. */
  heartbeatMs?: number;
  /** Reconnect delay told to browsers. Default 2 s. */
  retryMs?: number;
  logger: DashboardLogger;
}

/**
 * The Server-Sent Events clients of the dashboard: each gets a snapshot when
 * it connects, then every update. A client too slow to keep up is dropped
 * rather than buffered without bound; on reconnect it starts from a new
 * snapshot, so nothing is lost from its view.
 */
export class EventStreamHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly maxBufferedBytes: number;
  private readonly retryMs: number;
  private readonly logger: DashboardLogger;
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  constructor(options: EventStreamHubOptions) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.retryMs = options.retryMs ?? 2000;
    this.logger = options.logger;
    this.heartbeat = setInterval(() => this.write(sseComment("keep-alive")), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Starts a stream on `res` with `snapshot` as its first message. */
  add(res: ServerResponse, snapshot: DashboardStreamMessages["snapshot"]): void {
    if (this.closed) {
      res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: "closing", message: "the dashboard is shutting down" }));
      return;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      // A stream is never followed by another request on its connection; closing it with the stream lets the server shut down at once.
      connection: "close",
      "x-accel-buffering": "no",
    });
    res.socket?.setNoDelay(true);
    this.clients.add(res);
    res.once("close", () => this.clients.delete(res));
    res.write(sseRetry(this.retryMs) + sseJsonFrame("snapshot", snapshot));
  }

  send<E extends DashboardStreamEvent>(event: E, message: DashboardStreamMessages[E]): void {
    if (this.clients.size === 0) return;
    this.write(sseJsonFrame(event, message));
  }

  /** Ends every stream; later `add` calls get 503. */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private write(frame: string): void {
    for (const res of this.clients) {
      if (res.writableLength > this.maxBufferedBytes) {
        this.logger.warn("dropping a dashboard stream client that does not keep up", { bufferedBytes: res.writableLength });
        this.clients.delete(res);
        res.destroy();
        continue;
      }
      res.write(frame);
    }
  }
}
