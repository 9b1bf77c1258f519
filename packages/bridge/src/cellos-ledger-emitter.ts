import { safeParseCloudEventV1 } from "@cellos-cortex/cellos-core";
import type { CloudEventV1, EventSink } from "@cellos-cortex/cellos-core";
import { JsonValueSchema, createCortexEvent } from "@cellos-cortex/cortex-core";
import type { CortexEvent, JsonValue } from "@cellos-cortex/cortex-core";
import { parseRfc3339ToUnixMs } from "@cellos-cortex/receiver";
import type { CellEventSource } from "@cellos-cortex/receiver";
import { BridgeError, describeError } from "./bridge-error.js";
import { cortexEventTypeForCellos, cortexSourceForCellos, domainTagsForCellos } from "./cellos-ledger-mapping.js";
import { consoleLogger } from "./logger.js";
import type { BridgeLogger } from "./logger.js";

/** What the emitter needs of a ledger: `append` (and `read`, to remember what is already recorded). `Ledger` fits. */
export interface LedgerAppender {
  append(event: CortexEvent): Promise<CortexEvent>;
  read?(): AsyncIterable<CortexEvent>;
}

export interface CellosLedgerEmitterOptions {
  readonly ledger: LedgerAppender;
  /** CloudEvent keys (`source` + `id`) remembered for re-delivery checks (default 100 000; oldest forgotten first). */
  readonly maxRemembered?: number;
  readonly logger?: BridgeLogger;
  /** Clock for `recordedAt` (default `Date.now`). */
  readonly now?: () => number;
}

export interface CellosLedgerEmitterStats {
  /** Rows appended. */
  readonly appended: number;
  /** Re-deliveries that appended nothing. */
  readonly duplicates: number;
  /** Events `consume` skipped because they were not valid CloudEvents. */
  readonly invalid: number;
}

export interface ConsumeOptions {
  /** Stops consuming (normally) when it fires. */
  readonly signal?: AbortSignal;
}

/**
 * Records CellOS CloudEvents in a Cortex ledger, one row per event (the
 * seed's `CellosLedgerEmitter`): an `EventSink` to hand events to, and a
 * consumer of any `CellEventSource`. Each row (ADR-0024) has `source` = the
 * CellOS emitter (`{type: "tool", name: <CloudEvent source>}`), `eventType` =
 * `cortex.event.cellos_<family>.v1`, `sessionId` = the cell id, `observedAt`
 * = the event's `time`, and the CloudEvent verbatim as `payload` (original
 * `time` string included). The ledger seals, chains and signs the row. A
 * re-delivered CloudEvent (same `source` and `id`, also across restarts: the
 * ledger is read back on first use) appends nothing.
 */
export class CellosLedgerEmitter implements EventSink {
  readonly #ledger: LedgerAppender;
  readonly #maxRemembered: number;
  readonly #logger: BridgeLogger;
  readonly #now: () => number;
  readonly #seen = new Set<string>();
  readonly #inflight = new Map<string, Promise<CortexEvent>>();
  #loading: Promise<void> | undefined;
  #appended = 0;
  #duplicates = 0;
  #invalid = 0;

  constructor(options: CellosLedgerEmitterOptions) {
    const ledger = options.ledger as Partial<LedgerAppender> | undefined;
    if (typeof ledger?.append !== "function") throw new BridgeError("InvalidOptions", "CellosLedgerEmitter needs a ledger with an append(event) method");
    const maxRemembered = options.maxRemembered ?? 100_000;
    if (!Number.isSafeInteger(maxRemembered) || maxRemembered < 1) throw new BridgeError("InvalidOptions", `CellosLedgerEmitter maxRemembered must be an integer ≥ 1, got ${String(maxRemembered)}`);
    this.#ledger = options.ledger;
    this.#maxRemembered = maxRemembered;
    this.#logger = options.logger ?? consoleLogger;
    this.#now = options.now ?? Date.now;
  }

  get stats(): CellosLedgerEmitterStats {
    return { appended: this.#appended, duplicates: this.#duplicates, invalid: this.#invalid };
  }

  /**
   * Appends the row for `event`, or nothing when it was recorded before.
   * Resolves once the ledger has the row. Rejects with `BridgeError`
   * `InvalidEvent` (not a CloudEvent, or not JSON) or `Ledger`.
   */
  async emit(event: CloudEventV1): Promise<void> {
    const checked = safeParseCloudEventV1(event);
    if (!checked.success) throw new BridgeError("InvalidEvent", `CellosLedgerEmitter: not a CloudEvent: ${checked.error.message}`, { cause: checked.error });
    const payload = jsonPayload(checked.data);
    const key = deliveryKey(checked.data);
    await this.#load();
    for (;;) {
      if (this.#seen.has(key)) {
        this.#duplicates++;
        return;
      }
      const pending = this.#inflight.get(key);
      if (pending === undefined) break;
      try {
        await pending;
      } catch {
        // The first delivery failed (and said so to its caller): this one tries again.
      }
    }
    const append = this.#append(checked.data, payload);
    this.#inflight.set(key, append);
    try {
      await append;
      this.#remember(key);
      this.#appended++;
    } finally {
      this.#inflight.delete(key);
    }
  }

  /**
   * Records every event of `source` until it ends or `signal` fires, then
   * resolves with the counts. An event that is not a valid CloudEvent is
   * skipped, counted and logged; a ledger failure stops consuming (rejects).
   */
  async consume(source: CellEventSource, options: ConsumeOptions = {}): Promise<CellosLedgerEmitterStats> {
    for await (const event of source.events(options.signal === undefined ? {} : { signal: options.signal })) {
      try {
        await this.emit(event);
      } catch (error) {
        if (error instanceof BridgeError && error.kind === "InvalidEvent") {
          this.#invalid++;
          this.#logger.warn("CellosLedgerEmitter skipped an event that is not a valid CloudEvent", { error: error.message });
          continue;
        }
        throw error;
      }
    }
    return this.stats;
  }

  async #append(event: CloudEventV1, payload: JsonValue): Promise<CortexEvent> {
    // RFC 3339 as chrono reads it; anything else (or before 1970) is observed "now".
    const parsed = typeof event.time === "string" ? parseRfc3339ToUnixMs(event.time) : undefined;
    const observed = parsed !== undefined && parsed <= LAST_FOUR_DIGIT_YEAR_MS ? parsed : undefined;
    const recordedAt = new Date(this.#now()).toISOString();
    let row: CortexEvent;
    try {
      const cellId = typeof event.data === "object" && event.data !== null && "cellId" in event.data && typeof event.data.cellId === "string" ? event.data.cellId : null;
      row = createCortexEvent({
        eventType: cortexEventTypeForCellos(event.type),
        source: cortexSourceForCellos(event),
        payload,
        observedAt: observed === undefined ? recordedAt : new Date(observed).toISOString(),
        recordedAt,
        sessionId: cellId,
        domainTags: domainTagsForCellos(event.type),
      });
    } catch (error) {
      throw new BridgeError("InvalidEvent", `CellosLedgerEmitter: event ${JSON.stringify(event.id)} does not make a Cortex event: ${describeError(error)}`, { cause: error });
    }
    try {
      return await this.#ledger.append(row);
    } catch (error) {
      throw new BridgeError("Ledger", `the ledger refused the row of CellOS event ${JSON.stringify(event.id)} (${event.type}): ${describeError(error)}`, { cause: error });
    }
  }

  #remember(key: string): void {
    this.#seen.add(key);
    if (this.#seen.size > this.#maxRemembered) {
      const oldest = this.#seen.values().next();
      if (oldest.done !== true) this.#seen.delete(oldest.value);
    }
  }

  /** Remembers the CloudEvents already in the ledger, once, so a re-delivery after a restart appends nothing. */
  #load(): Promise<void> {
    this.#loading ??= this.#readBack();
    return this.#loading;
  }

  async #readBack(): Promise<void> {
    const read = this.#ledger.read?.bind(this.#ledger);
    if (read === undefined) return;
    try {
      for await (const row of read()) {
        if (!row.eventType.startsWith("cortex.event.cellos_")) continue;
        const payload = row.payload;
        if (typeof payload !== "object" || payload === null || Array.isArray(payload)) continue;
        const { source, id } = payload;
        if (typeof source === "string" && typeof id === "string") this.#remember(deliveryKey({ source, id }));
      }
    } catch (error) {
      // Re-deliveries of rows we could not read back may be recorded twice: say so, keep recording.
      this.#logger.warn("CellosLedgerEmitter could not read the ledger back; re-delivered events already recorded may be recorded again", { error: describeError(error) });
    }
  }
}

/** `toISOString` of a later instant has a six-digit year, which Cortex timestamps do not allow. */
const LAST_FOUR_DIGIT_YEAR_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** CloudEvents are identified by `source` + `id` (CloudEvents 1.0 §3.1.1). */
function deliveryKey(event: Pick<CloudEventV1, "source" | "id">): string {
  return `${event.source}\u0000${event.id}`;
}

/** The CloudEvent as a JSON value (`undefined` members dropped, as in its JSON form); `InvalidEvent` when it is not JSON. */
function jsonPayload(event: CloudEventV1): JsonValue {
  let json: unknown;
  try {
    json = JSON.parse(JSON.stringify(event)) as unknown;
  } catch (error) {
    throw new BridgeError("InvalidEvent", `CellosLedgerEmitter: event ${JSON.stringify(event.id)} is not JSON: ${describeError(error)}`, { cause: error });
  }
  const parsed = JsonValueSchema.safeParse(json);
  if (!parsed.success) throw new BridgeError("InvalidEvent", `CellosLedgerEmitter: event ${JSON.stringify(event.id)} is not JSON`, { cause: parsed.error });
  return parsed.data;
}
