import { jetstream } from "@nats-io/jetstream";
import type { JetStreamClient } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection, NodeConnectionOptions } from "@nats-io/transport-node";
import type { ReceiverLogger } from "../logger.js";
import { consoleLogger } from "../logger.js";
import { ReceiverError } from "../receiver-error.js";

/**
 * Where a NATS client gets its connection: either one you pass in and own (`connection`,
 * never closed by us), or `servers` to connect to (our own connection, reconnecting for ever,
 * drained on `close()`).
 */
export interface NatsConnectionOptions {
  /** A connection you own: used as is, never closed here. */
  readonly connection?: NatsConnection;
  /** `host:port` or `nats://host:port` (or several): a connection is opened on first use and closed by `close()`. */
  readonly servers?: string | readonly string[];
  /** Extra options for that connection (name, credentials, TLS…). Defaults: reconnect for ever, every 250 ms. */
  readonly connectOptions?: Omit<NodeConnectionOptions, "servers">;
  /** Limit on the first connect (default 5000 ms). */
  readonly connectTimeoutMs?: number;
}

/** Defaults for a connection we open: a bridge or a worker must outlive a server restart. */
const RECONNECT_DEFAULTS: NodeConnectionOptions = {
  maxReconnectAttempts: -1,
  reconnectTimeWait: 250,
  reconnectJitter: 100,
  pingInterval: 10_000,
};

/** Checks a millisecond option; returns it or the default, or throws `InvalidOptions` naming it. */
export function checkMillis(value: unknown, what: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new ReceiverError("InvalidOptions", `${what} must be a finite number of milliseconds ≥ ${min}, got ${typeof value === "number" ? String(value) : JSON.stringify(value)}`);
  }
  return value;
}

/** Checks a positive integer option; returns it or the default, or throws `InvalidOptions` naming it. */
export function checkCount(value: unknown, what: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new ReceiverError("InvalidOptions", `${what} must be an integer ≥ ${min}, got ${typeof value === "number" ? String(value) : JSON.stringify(value)}`);
  }
  return value;
}

/** Checks a JetStream stream or consumer name (no `.`, `*`, `>`, whitespace or path separators). */
export function checkName(value: unknown, what: string): string {
  if (typeof value !== "string" || value === "" || value.length > 255 || /[\s.*>/\\]/.test(value)) {
    throw new ReceiverError("InvalidOptions", `${what} must be a non-empty name without ".", "*", ">", "/", "\\" or whitespace, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * One lazily opened NATS connection, shared by a sink, a source or a worker. Errors from
 * connecting are the client's own (wrap them in your package's error).
 */
export class NatsLink {
  readonly owned: boolean;
  readonly #given: NatsConnection | undefined;
  readonly #servers: string[];
  readonly #connectOptions: Omit<NodeConnectionOptions, "servers">;
  readonly #connectTimeoutMs: number;
  readonly #what: string;
  readonly #logger: ReceiverLogger;
  #opening: Promise<NatsConnection> | undefined;
  #js: Promise<JetStreamClient> | undefined;
  #closed = false;
  #watched = false;
  readonly #reconnectListeners = new Set<() => void>();

  constructor(options: NatsConnectionOptions, what: string, logger: ReceiverLogger = consoleLogger) {
    const hasConnection = options.connection !== undefined;
    const servers = options.servers === undefined ? [] : typeof options.servers === "string" ? [options.servers] : [...options.servers];
    if (hasConnection === (servers.length > 0)) {
      throw new ReceiverError("InvalidOptions", `${what} needs exactly one of connection or servers, got ${hasConnection ? "both" : "neither"}`);
    }
    for (const server of servers) {
      if (typeof server !== "string" || server.trim() === "") throw new ReceiverError("InvalidOptions", `${what} servers must be non-empty strings, got ${JSON.stringify(server)}`);
    }
    this.#given = options.connection;
    this.owned = !hasConnection;
    this.#servers = servers;
    this.#connectOptions = options.connectOptions ?? {};
    this.#connectTimeoutMs = checkMillis(options.connectTimeoutMs, `${what} connectTimeoutMs`, 5000, 1);
    this.#what = what;
    this.#logger = logger;
  }

  /** The connection, opened on first use. Rejects with the client's error when it cannot connect. */
  get(): Promise<NatsConnection> {
    if (this.#closed) return Promise.reject(new ReceiverError("Closed", `${this.#what} is closed`));
    if (this.#given !== undefined) {
      this.#watch(this.#given);
      return Promise.resolve(this.#given);
    }
    this.#opening ??= connect({ ...RECONNECT_DEFAULTS, timeout: this.#connectTimeoutMs, ...this.#connectOptions, servers: this.#servers }).then(
      (nc) => {
        this.#watch(nc);
        return nc;
      },
      (error: unknown) => {
        this.#opening = undefined;
        throw error;
      },
    );
    return this.#opening;
  }

  /** A JetStream client on the connection, made once (again after a failed connect). */
  jetstream(): Promise<JetStreamClient> {
    this.#js ??= this.get().then(
      (nc) => jetstream(nc),
      (error: unknown) => {
        this.#js = undefined;
        throw error;
      },
    );
    return this.#js;
  }

  /**
   * Calls `listener` at each reconnect (after a server restart) until the returned function is
   * called. A request sent while the client was disconnected may get no answer: whoever waits
   * for one can retry at once.
   */
  onReconnect(listener: () => void): () => void {
    this.#reconnectListeners.add(listener);
    return () => {
      this.#reconnectListeners.delete(listener);
    };
  }

  #watch(nc: NatsConnection): void {
    if (this.#watched) return;
    this.#watched = true;
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type !== "reconnect") continue;
        for (const listener of [...this.#reconnectListeners]) listener();
      }
    })().catch((error: unknown) => {
      this.#logger.warn(`${this.#what}: watching the NATS connection failed`, { error: error instanceof Error ? error.message : String(error) });
    });
  }

  /** Drains and closes our own connection (bounded by `timeoutMs`); a given connection is left alone. */
  async close(timeoutMs = 5000): Promise<void> {
    this.#closed = true;
    const opening = this.#opening;
    this.#opening = undefined;
    if (opening === undefined) return;
    let nc: NatsConnection;
    try {
      nc = await opening;
    } catch {
      // Never connected: nothing to close (the connect error went to whoever awaited it).
      return;
    }
    if (nc.isClosed()) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        nc.drain(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
    } catch (error) {
      // The connection is closed below either way; say why the drain did not finish.
      this.#logger.warn(`${this.#what}: draining the NATS connection failed`, { error: error instanceof Error ? error.message : String(error) });
    } finally {
      clearTimeout(timer);
    }
    if (!nc.isClosed()) await nc.close();
  }
}

