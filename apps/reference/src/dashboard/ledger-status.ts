import type { KeyObject } from "node:crypto";
import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Ledger, LedgerError } from "@cellos-cortex/ledger";
import type { LedgerStatus } from "./cell-view.js";
import { DashboardError } from "./dashboard-error.js";
import type { DashboardLogger } from "./dashboard-logger.js";

export const DEFAULT_LEDGER_CHECK_INTERVAL_MS = 5000;

export interface LedgerStatusWatcherOptions {
  path: string;
  /** When given, every row must carry a valid signature by this key. */
  publicKey?: KeyObject | undefined;
  /** Safety re-check for changes `fs.watch` cannot see. Default 5 s. */
  intervalMs?: number;
  /** Changes closer together than this make one check. Default 100 ms. */
  debounceMs?: number;
  /** A failed check is repeated once after this pause before it is reported (a writer may be mid-row). Default 250 ms. */
  confirmFailureMs?: number;
  /** Called when the status differs from the last one reported. */
  onChange?: (status: LedgerStatus) => void;
  logger: DashboardLogger;
}

type ConfiguredStatus = Extract<LedgerStatus, { configured: true }>;

function sameStatus(a: ConfiguredStatus, b: ConfiguredStatus): boolean {
  return a.state === b.state && a.count === b.count && a.firstBadIndex === b.firstBadIndex && a.reason === b.reason;
}

function isMissingFile(error: unknown): boolean {
  if (!(error instanceof LedgerError) || error.kind !== "Io") return false;
  const cause: unknown = error.cause;
  return typeof cause === "object" && cause !== null && "code" in cause && cause.code === "ENOENT";
}

/**
 * Keeps a ledger's verification status current: verifies it (`Ledger.verify`)
 * at start, whenever the file changes (`fs.watch` of its directory, so a file
 * created later or replaced is seen too) and on a slow interval. Checks never
 * overlap; a change during a check makes one more check after it.
 */
export class LedgerStatusWatcher {
  readonly path: string;
  private readonly publicKey: KeyObject | undefined;
  private readonly intervalMs: number;
  private readonly debounceMs: number;
  private readonly confirmFailureMs: number;
  private readonly onChange: ((status: LedgerStatus) => void) | undefined;
  private readonly logger: DashboardLogger;
  private readonly abort = new AbortController();
  private current: ConfiguredStatus;
  private watcher: FSWatcher | undefined;
  private interval: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(options: LedgerStatusWatcherOptions) {
    const positive = (name: string, value: number): number => {
      if (!Number.isSafeInteger(value) || value < 1) throw new DashboardError("InvalidOptions", `${name} must be a positive integer, got ${String(value)}`);
      return value;
    };
    if (options.path === "") throw new DashboardError("InvalidOptions", "ledger path must not be empty");
    this.path = resolve(options.path);
    this.publicKey = options.publicKey;
    this.intervalMs = positive("intervalMs", options.intervalMs ?? DEFAULT_LEDGER_CHECK_INTERVAL_MS);
    this.debounceMs = positive("debounceMs", options.debounceMs ?? 100);
    this.confirmFailureMs = positive("confirmFailureMs", options.confirmFailureMs ?? 250);
    this.onChange = options.onChange;
    this.logger = options.logger;
    this.current = { configured: true, path: this.path, signed: this.publicKey !== undefined, state: "pending", count: 0, firstBadIndex: null, reason: null, checkedAt: null };
  }

  get status(): LedgerStatus {
    return this.current;
  }

  /** Runs the first check, then follows changes until `close`. */
  async start(): Promise<void> {
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, filename) => {
        if (filename === null || filename === basename(this.path)) this.schedule();
      });
      this.watcher.on("error", (error) => {
        this.logger.warn(`watching ${this.path} failed; checking every ${this.intervalMs} ms instead`, { error: error.message });
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (error) {
      this.logger.warn(`cannot watch the directory of ${this.path}; checking every ${this.intervalMs} ms instead`, { error: error instanceof Error ? error.message : String(error) });
    }
    this.interval = setInterval(() => this.schedule(0), this.intervalMs);
    this.interval.unref();
    await this.check();
  }

  /** Verifies now (or once more after the check in progress) and returns the status. */
  check(): Promise<LedgerStatus> {
    this.again = true;
    this.running ??= this.loop();
    return this.running.then(() => this.current);
  }

  async close(): Promise<void> {
    this.abort.abort();
    clearInterval(this.interval);
    clearTimeout(this.debounce);
    this.watcher?.close();
    this.watcher = undefined;
    await this.running;
  }

  private schedule(delayMs = this.debounceMs): void {
    if (this.abort.signal.aborted) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.check().catch((error: unknown) => this.logger.warn(`ledger check failed: ${String(error)}`));
    }, delayMs);
    this.debounce.unref();
  }

  private async loop(): Promise<void> {
    // Let `check` store this promise before the `finally` below can clear it.
    await Promise.resolve();
    try {
      while (this.again && !this.abort.signal.aborted) {
        this.again = false;
        let next = await this.verifyOnce();
        if (next === undefined) return;
        if (next.state === "broken" || next.state === "error") {
          // A writer appending right now shows as a torn tail: look again before saying the ledger is broken.
          try {
            await delay(this.confirmFailureMs, undefined, { signal: this.abort.signal, ref: false });
          } catch (error) {
            if (this.abort.signal.aborted) return;
            throw error;
          }
          next = await this.verifyOnce();
          if (next === undefined) return;
        }
        this.publish(next);
      }
    } finally {
      this.running = undefined;
    }
  }

  /** One verification, as a status; `undefined` when closed meanwhile. */
  private async verifyOnce(): Promise<ConfiguredStatus | undefined> {
    const signal = this.abort.signal;
    if (signal.aborted) return undefined;
    const base = { ...this.current, checkedAt: new Date().toISOString() };
    try {
      const report = await Ledger.verify(this.path, { publicKey: this.publicKey, signal });
      return report.ok
        ? { ...base, state: "verified", count: report.count, firstBadIndex: null, reason: null }
        : { ...base, state: "broken", count: report.count, firstBadIndex: report.firstBadIndex ?? null, reason: report.reason ?? null };
    } catch (error) {
      if (signal.aborted) return undefined;
      if (isMissingFile(error)) return { ...base, state: "missing", count: 0, firstBadIndex: null, reason: `no ledger at ${this.path} yet` };
      return { ...base, state: "error", count: 0, firstBadIndex: null, reason: error instanceof Error ? error.message : String(error) };
    }
  }

  private publish(next: ConfiguredStatus): void {
    const changed = !sameStatus(this.current, next);
    this.current = next;
    if (changed) this.onChange?.(next);
  }
}
