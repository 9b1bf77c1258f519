import type { KeyObject } from "node:crypto";
import { write } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { CortexCoreError, createCortexHasher, cortexEventToWire, type CortexEvent, type CortexHasher } from "@cellos-cortex/cortex-core";
import { LedgerError, ioError } from "./ledger-error.js";
import { openLedgerFile } from "./ledger-file.js";
import { LedgerLock } from "./ledger-lock.js";
import { consoleLedgerLogger, type LedgerLogger } from "./ledger-logger.js";
import { readLedgerRows, type IndexedLedgerRow } from "./ledger-read.js";
import { RowCodec, type RowSigner } from "./ledger-row.js";
import { checkMaxRowBytes, verifyLedger, type LedgerHead, type LedgerVerifyOptions, type LedgerVerifyReport } from "./ledger-verify.js";
import { RowLineReader } from "./row-lines.js";
import { assertEd25519Key, keyId, publicKeyOf } from "./signing-key.js";

export interface LedgerOpenOptions {
  /** Ed25519 private key: every appended row is signed with it. Without it, rows are unsigned. */
  signingKey?: KeyObject | undefined;
  /**
   * `true` (default): `append` resolves only after its row is on disk
   * (fdatasync); appends issued together share one write and one fdatasync
   * (group commit). `false`: rows go to the OS page cache; call `sync()` at
   * your checkpoints (batched durability), and `close()` syncs once.
   */
  fsync?: boolean | undefined;
  /** Truncate a torn last row (crash mid-write) instead of refusing to append after it. */
  repairTornTail?: boolean | undefined;
  /** Longest row accepted when reading (default 16 MiB). */
  maxRowBytes?: number | undefined;
  logger?: LedgerLogger | undefined;
  /** Aborts the scan that `open` does. */
  signal?: AbortSignal | undefined;
}

/** What `open` found at the end of the file, when it ended in a partial row. */
export interface TornTailReport {
  /** Byte offset where the partial row starts (the last complete row ends there). */
  offset: number;
  /** Length of the partial row in bytes. */
  bytes: number;
  /** Whether it was truncated away (`repairTornTail: true`). */
  repaired: boolean;
  /** Bytes removed from the file: `bytes` when repaired, else 0. */
  droppedBytes: number;
}

export interface LedgerReadOptions {
  /** End quietly at a torn tail instead of throwing `TornTail` (static `Ledger.read` only). */
  allowTornTail?: boolean | undefined;
  maxRowBytes?: number | undefined;
  signal?: AbortSignal | undefined;
}

interface PendingRow {
  line: Buffer;
  sealed: CortexEvent;
  resolve: (event: CortexEvent) => void;
  reject: (error: unknown) => void;
}

type LedgerState = "open" | "closing" | "closed";

/**
 * An append-only JSON Lines file of sealed CortexEvents, hash-chained by
 * cortex-core and optionally Ed25519-signed. One writer at a time (lock file);
 * appends in one process are written in call order.
 */
export class Ledger {
  readonly path: string;
  /** The public half of the signing key, or `null` when rows are unsigned. */
  readonly publicKey: KeyObject | null;
  /** `keyId(publicKey)` written in signed rows, or `null`. */
  readonly keyId: string | null;
  /** Set when `open` found a partial last row; appends are refused unless it was repaired. */
  readonly tornTail: TornTailReport | null;
  /** Whether `append` waits for fdatasync. */
  readonly fsync: boolean;

  readonly #handle: FileHandle;
  readonly #lock: LedgerLock;
  readonly #hasher: CortexHasher;
  readonly #codec: RowCodec;
  readonly #signer: RowSigner | null;
  readonly #logger: LedgerLogger;
  readonly #maxRowBytes: number;
  /** Head including rows sealed but not yet written. */
  #sealedHead: LedgerHead;
  /** Head of the rows whose write completed. */
  #writtenHead: LedgerHead;
  #writtenBytes: number;
  #queue: PendingRow[] = [];
  #flushing: Promise<void> | null = null;
  #failure: LedgerError | null = null;
  #state: LedgerState = "open";
  #closing: Promise<void> | null = null;

  private constructor(init: {
    path: string;
    handle: FileHandle;
    lock: LedgerLock;
    hasher: CortexHasher;
    signer: RowSigner | null;
    publicKey: KeyObject | null;
    logger: LedgerLogger;
    maxRowBytes: number;
    fsync: boolean;
    head: LedgerHead;
    bytes: number;
    tornTail: TornTailReport | null;
  }) {
    this.path = init.path;
    this.#handle = init.handle;
    this.#lock = init.lock;
    this.#hasher = init.hasher;
    this.#codec = new RowCodec(init.hasher);
    this.#signer = init.signer;
    this.publicKey = init.publicKey;
    this.keyId = init.signer?.keyId ?? null;
    this.#logger = init.logger;
    this.#maxRowBytes = init.maxRowBytes;
    this.fsync = init.fsync;
    this.#sealedHead = init.head;
    this.#writtenHead = init.head;
    this.#writtenBytes = init.bytes;
    this.tornTail = init.tornTail;
  }

  /**
   * Opens (creating if needed) the ledger at `path` for appending: takes the
   * lock, scans the file for its row count and last row, and detects a torn
   * tail. Throws `Locked` (live writer), `Corrupt` (the last complete row
   * does not decode), `Io`, `InvalidKey`, `InvalidOption`, `Aborted`.
   */
  static async open(path: string, options: LedgerOpenOptions = {}): Promise<Ledger> {
    const signingKey = options.signingKey === undefined ? undefined : assertEd25519Key(options.signingKey, "private", "signingKey");
    const maxRowBytes = checkMaxRowBytes(options.maxRowBytes);
    const logger = options.logger ?? consoleLedgerLogger;
    const fsync = options.fsync ?? true;
    const hasher = await createCortexHasher();
    const lock = await LedgerLock.acquire(path, { logger });
    let handle: FileHandle | undefined;
    try {
      handle = await openLedgerFile(path, "a+");
      const codec = new RowCodec(hasher);
      const reader = new RowLineReader(handle, { path, maxRowBytes, ...(options.signal ? { signal: options.signal } : {}) });
      let last: { index: number; bytes: Buffer; oversized: boolean } | undefined;
      for await (const line of reader.lines()) last = line;
      let head: LedgerHead = { count: 0, eventHash: null };
      if (last !== undefined) {
        const decoded = last.oversized ? { ok: false as const, reason: `longer than maxRowBytes (${maxRowBytes})` } : codec.decode(last.bytes);
        if (!decoded.ok) {
          throw new LedgerError(
            "Corrupt",
            `last row (${last.index}) of ${JSON.stringify(path)} does not decode, refusing to append after it: ${decoded.reason}`,
          );
        }
        head = { count: reader.rows, eventHash: decoded.row.event.eventHash };
      }
      let tornTail: TornTailReport | null = null;
      if (reader.tornTail !== null) {
        const { offset, bytes } = reader.tornTail;
        if (options.repairTornTail === true) {
          try {
            await handle.truncate(offset);
            await handle.datasync();
          } catch (error) {
            throw ioError("truncating torn tail of", path, error);
          }
          tornTail = { offset, bytes, repaired: true, droppedBytes: bytes };
          logger.warn(`repaired torn tail: dropped ${bytes} bytes after the last complete row`, { path, offset, droppedBytes: bytes });
        } else {
          tornTail = { offset, bytes, repaired: false, droppedBytes: 0 };
          logger.warn(`torn tail: ${bytes} bytes after the last complete row; appends refused until opened with repairTornTail`, {
            path,
            offset,
            bytes,
          });
        }
      }
      if (fsync && reader.completeBytes === 0 && reader.tornTail === null) await syncDirectory(path, logger);
      const signer = signingKey === undefined ? null : { privateKey: signingKey, keyId: keyId(signingKey) };
      return new Ledger({
        path,
        handle,
        lock,
        hasher,
        signer,
        publicKey: signingKey === undefined ? null : publicKeyOf(signingKey),
        logger,
        maxRowBytes,
        fsync,
        head,
        bytes: reader.completeBytes,
        tornTail,
      });
    } catch (error) {
      await handle?.close().catch((closeError: unknown) => {
        logger.warn("closing ledger after a failed open failed", { path, error: closeError });
      });
      await releaseLock(lock, logger);
      throw error;
    }
  }

  /** Verifies the file at `path`; see `LedgerVerifyOptions`. Never throws for a bad row: the report says which. */
  static verify(path: string, options?: LedgerVerifyOptions): Promise<LedgerVerifyReport> {
    return verifyLedger(path, options);
  }

  /** Reads the sealed events of the ledger at `path` (no lock needed). */
  static async *read(path: string, options: LedgerReadOptions = {}): AsyncGenerator<CortexEvent, void, undefined> {
    for await (const row of Ledger.readRows(path, options)) yield row.event;
  }

  /** Like `read`, with each row's index, row hash, key id and signature. */
  static async *readRows(path: string, options: LedgerReadOptions = {}): AsyncGenerator<IndexedLedgerRow, void, undefined> {
    const maxRowBytes = checkMaxRowBytes(options.maxRowBytes);
    const codec = new RowCodec(await createCortexHasher());
    const handle = await openLedgerFile(path, "r");
    try {
      yield* readLedgerRows(handle, {
        path,
        codec,
        maxRowBytes,
        ...(options.allowTornTail === undefined ? {} : { allowTornTail: options.allowTornTail }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } finally {
      await handle.close();
    }
  }

  /** Rows written so far and the last row's event hash (pass it to `verify` as `expectedHead`). */
  get head(): LedgerHead {
    return { ...this.#writtenHead };
  }

  /**
   * Seals `event` after the current head (payload hash, previous hash, event
   * hash, via cortex-core), signs it when the ledger has a key, and appends it.
   * Resolves to the sealed event once written (and fdatasync'ed when `fsync`).
   * Calls are written in call order. An already-sealed event is accepted only
   * if it is sealed after this ledger's head (`ChainMismatch` otherwise).
   */
  async append(event: CortexEvent): Promise<CortexEvent> {
    // Everything up to the queue push is synchronous, so rows are sealed and
    // queued in call order even when callers do not await each other.
    this.#assertWritable();
    const { line, sealed } = this.#seal(event);
    return new Promise<CortexEvent>((resolve, reject) => {
      this.#queue.push({ line, sealed, resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  /** Waits for queued appends, then fdatasyncs (the checkpoint of `fsync: false`). */
  async sync(): Promise<void> {
    await this.#drain();
    if (this.#failure !== null) throw this.#failure;
    try {
      await this.#handle.datasync();
    } catch (error) {
      throw ioError("syncing ledger", this.path, error);
    }
  }

  /** Reads this ledger's rows written so far (not those still queued). */
  async *read(options: Omit<LedgerReadOptions, "allowTornTail"> = {}): AsyncGenerator<CortexEvent, void, undefined> {
    if (this.#state === "closed") throw new LedgerError("Closed", `ledger ${JSON.stringify(this.path)} is closed`);
    for await (const row of readLedgerRows(this.#handle, {
      path: this.path,
      codec: new RowCodec(this.#hasher),
      maxRowBytes: options.maxRowBytes === undefined ? this.#maxRowBytes : checkMaxRowBytes(options.maxRowBytes),
      end: this.#writtenBytes,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    })) {
      yield row.event;
    }
  }

  /**
   * Waits for queued appends, syncs, closes the file and releases the lock.
   * Appends after `close()` is called are refused (`Closed`). Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#state = "closing";
    try {
      await this.#drain();
      if (this.#failure === null) {
        await this.#handle.datasync().catch((error: unknown) => {
          throw ioError("syncing ledger", this.path, error);
        });
      }
    } finally {
      await this.#handle.close().catch((error: unknown) => {
        this.#logger.warn("closing ledger file failed", { path: this.path, error });
      });
      await releaseLock(this.#lock, this.#logger);
      this.#state = "closed";
    }
  }

  #assertWritable(): void {
    if (this.#state !== "open") throw new LedgerError("Closed", `ledger ${JSON.stringify(this.path)} is closed`);
    if (this.#failure !== null) {
      throw new LedgerError("Closed", `ledger ${JSON.stringify(this.path)} refuses writes after a failed write; reopen it: ${this.#failure.message}`, {
        cause: this.#failure,
      });
    }
    if (this.tornTail !== null && !this.tornTail.repaired) {
      throw new LedgerError(
        "TornTail",
        `ledger ${JSON.stringify(this.path)} ends in a torn row (${this.tornTail.bytes} bytes at byte ${this.tornTail.offset}); reopen with repairTornTail: true to drop it`,
      );
    }
  }

  #seal(event: CortexEvent): { line: Buffer; sealed: CortexEvent } {
    if (typeof event !== "object" || event === null) {
      throw new LedgerError("InvalidEvent", `append expects a CortexEvent object, got ${event === null ? "null" : typeof event}`);
    }
    if (event.eventHash === "" && (event.payloadHash !== "" || event.prevEventHash !== null)) {
      throw new LedgerError(
        "InvalidEvent",
        `cannot append event ${describeId(event)}: half-sealed (empty event hash with a payload hash or previous hash)`,
      );
    }
    const prev = this.#sealedHead.eventHash;
    let sealed: CortexEvent;
    let eventJson: string;
    try {
      sealed = this.#hasher.sealEvent(event, prev);
      // cortexEventToWire validates the whole sealed event against the schema.
      eventJson = JSON.stringify(cortexEventToWire(sealed));
    } catch (error) {
      if (error instanceof CortexCoreError || error instanceof TypeError) {
        throw new LedgerError("InvalidEvent", `cannot append event ${describeId(event)}: ${error.message}`, { cause: error });
      }
      throw error;
    }
    if (
      event.eventHash !== "" &&
      (event.eventHash !== sealed.eventHash || event.payloadHash !== sealed.payloadHash || event.prevEventHash !== prev)
    ) {
      throw new LedgerError(
        "ChainMismatch",
        `event ${describeId(event)} is already sealed after ${event.prevEventHash ?? "null (genesis)"} with event hash ${event.eventHash}; this ledger's head is ${prev ?? "null (empty)"}`,
      );
    }
    const { line } = this.#codec.encode(eventJson, this.#signer);
    this.#sealedHead = { count: this.#sealedHead.count + 1, eventHash: sealed.eventHash };
    return { line, sealed };
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        if (this.#failure !== null) {
          for (const row of batch) row.reject(this.#failure);
          continue;
        }
        try {
          const only = batch.length === 1 ? batch[0] : undefined;
          const data = only?.line ?? Buffer.concat(batch.map((row) => row.line));
          await writeAll(this.#handle, data);
          if (this.fsync) await this.#handle.datasync();
          this.#writtenBytes += data.length;
          const last = batch.at(-1)?.sealed.eventHash ?? this.#writtenHead.eventHash;
          this.#writtenHead = { count: this.#writtenHead.count + batch.length, eventHash: last };
        } catch (error) {
          // The file may now end in a partial row and the sealed head is ahead
          // of the file: refuse further writes; reopening detects the tail.
          this.#failure = ioError("appending to ledger", this.path, error);
          for (const row of batch) row.reject(this.#failure);
          continue;
        }
        for (const row of batch) row.resolve(row.sealed);
      }
    } finally {
      this.#flushing = null;
    }
  }

  async #drain(): Promise<void> {
    while (this.#flushing !== null) await this.#flushing;
  }
}

/** Releases the lock; a failure to remove the lock file is logged (the next opener sees a dead pid). */
async function releaseLock(lock: LedgerLock, logger: LedgerLogger): Promise<void> {
  await lock.release(logger).catch((error: unknown) => {
    logger.warn("releasing the ledger lock failed", { lock: lock.path, error });
  });
}

function describeId(event: unknown): string {
  const id = typeof event === "object" && event !== null && "id" in event ? event.id : undefined;
  return typeof id === "string" ? JSON.stringify(id.slice(0, 64)) : "(no id)";
}

/** Writes all of `data` at the end of the file (O_APPEND), looping over short writes. */
async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const bytesWritten = await writeAt(handle.fd, data, offset);
    if (bytesWritten <= 0) throw new Error(`write made no progress at byte ${offset} of ${data.length}`);
    offset += bytesWritten;
  }
}

/**
 * One `write(2)` through the callback API on the handle's descriptor: it is
 * the hot path of every append, and skips the FileHandle promise wrapper's
 * extra bookkeeping (measured: a few µs per call).
 */
function writeAt(fd: number, data: Buffer, offset: number): Promise<number> {
  return new Promise((resolve, reject) => {
    write(fd, data, offset, data.length - offset, null, (error, bytesWritten) => {
      if (error) reject(error);
      else resolve(bytesWritten);
    });
  });
}

/** Makes a newly created ledger's directory entry durable (best effort, logged). */
async function syncDirectory(path: string, logger: LedgerLogger): Promise<void> {
  let dir: FileHandle | undefined;
  try {
    dir = await open(dirname(path), "r");
    await dir.sync();
  } catch (error) {
    logger.warn("could not fsync the ledger's directory", { path, error });
  } finally {
    await dir?.close().catch((error: unknown) => {
      logger.warn("closing the ledger's directory handle failed", { path, error });
    });
  }
}
