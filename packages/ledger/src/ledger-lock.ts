import { randomUUID } from "node:crypto";
import { link, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { z } from "zod";
import { LedgerError, errnoCode, ioError } from "./ledger-error.js";
import type { LedgerLogger } from "./ledger-logger.js";

/** What a lock file says about its holder (JSON, one line). */
export const LockOwnerSchema = z.object({
  pid: z.number().int().positive(),
  hostname: z.string(),
  nonce: z.string().min(1),
  acquiredAt: z.string(),
});
export type LockOwner = z.infer<typeof LockOwnerSchema>;

/** The lock file guarding a ledger: the ledger path plus `.lock`. */
export function lockPathFor(ledgerPath: string): string {
  return `${ledgerPath}.lock`;
}

/** True when the process named by the lock file may still be running. */
export function isLockOwnerAlive(owner: LockOwner): boolean {
  // On another host a pid means nothing to us: assume it is alive.
  if (owner.hostname !== hostname()) return true;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errnoCode(error) !== "ESRCH";
  }
}

async function readOwner(path: string): Promise<LockOwner | "missing" | "unreadable"> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return "missing";
    throw ioError("reading lock file", path, error);
  }
  try {
    const parsed = LockOwnerSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : "unreadable";
  } catch {
    return "unreadable";
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (errnoCode(error) !== "ENOENT") throw ioError("removing", path, error);
  }
}

const MAX_ATTEMPTS = 5;

/**
 * An exclusive lock file: one writer per ledger. The file holds the writer's
 * pid, host and a random nonce. It is created atomically (written under a
 * temporary name, then hard-linked into place, so nobody ever reads a
 * half-written lock). A lock left by a dead pid on this host is taken over;
 * a lock held by a live process (including this one) is a `Locked` error.
 */
export class LedgerLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** The dead holder whose stale lock was taken over, if any. */
  readonly tookOverFrom: LockOwner | null;
  #released = false;

  private constructor(path: string, owner: LockOwner, tookOverFrom: LockOwner | null) {
    this.path = path;
    this.owner = owner;
    this.tookOverFrom = tookOverFrom;
  }

  static async acquire(ledgerPath: string, options: { logger: LedgerLogger }): Promise<LedgerLock> {
    const path = lockPathFor(ledgerPath);
    const owner: LockOwner = { pid: process.pid, hostname: hostname(), nonce: randomUUID(), acquiredAt: new Date().toISOString() };
    const temp = `${path}.${owner.nonce}.tmp`;
    try {
      await writeFile(temp, `${JSON.stringify(owner)}\n`, { flag: "wx" });
    } catch (error) {
      throw ioError("creating lock file", temp, error);
    }
    let tookOverFrom: LockOwner | null = null;
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        if (await placeLock(temp, path)) return new LedgerLock(path, owner, tookOverFrom);
        const holder = await readOwner(path);
        if (holder === "missing") continue; // released meanwhile: try again
        if (holder === "unreadable") {
          throw new LedgerError(
            "Locked",
            `lock file ${JSON.stringify(path)} exists but does not name a holder; remove it by hand if no writer is running`,
          );
        }
        if (isLockOwnerAlive(holder)) {
          throw new LedgerError(
            "Locked",
            `ledger ${JSON.stringify(ledgerPath)} is locked by live pid ${holder.pid} on ${holder.hostname} (since ${holder.acquiredAt})`,
          );
        }
        if (await evictStale(path, holder, owner.nonce)) {
          tookOverFrom = holder;
          options.logger.warn(`took over stale lock of dead pid ${holder.pid}`, { lock: path, stale: holder });
        }
      }
      throw new LedgerError("Locked", `could not acquire lock ${JSON.stringify(path)} after ${MAX_ATTEMPTS} attempts (contended)`);
    } finally {
      await unlinkIfPresent(temp);
    }
  }

  /** Removes the lock file if it is still ours. Idempotent. */
  async release(logger: LedgerLogger): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    const holder = await readOwner(this.path);
    if (holder === "missing") {
      logger.warn("lock file vanished before release", { lock: this.path });
      return;
    }
    if (holder === "unreadable" || holder.nonce !== this.owner.nonce) {
      logger.warn("lock file no longer ours at release; left in place", { lock: this.path });
      return;
    }
    await unlinkIfPresent(this.path);
  }
}

/** Links the complete temp file into place; false when a lock already exists. */
async function placeLock(temp: string, path: string): Promise<boolean> {
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    const code = errnoCode(error);
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") {
      throw ioError("creating lock file", path, error);
    }
  }
  // File systems without hard links: exclusive create, then write.
  try {
    await writeFile(path, await readFile(temp), { flag: "wx" });
    return true;
  } catch (error) {
    if (errnoCode(error) === "EEXIST") return false;
    throw ioError("creating lock file", path, error);
  }
}

/**
 * Moves a stale lock aside atomically (rename), then checks that what moved is
 * the stale lock we judged, not a fresh lock placed meanwhile by a racing
 * opener; a fresh one is put back. Returns true when the stale lock is gone.
 */
async function evictStale(path: string, stale: LockOwner, ourNonce: string): Promise<boolean> {
  const aside = `${path}.${ourNonce}.stale`;
  try {
    await rename(path, aside);
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return false;
    throw ioError("moving stale lock file", path, error);
  }
  const moved = await readOwner(aside);
  if (typeof moved === "object" && moved.nonce !== stale.nonce) {
    try {
      await link(aside, path);
    } catch (error) {
      if (errnoCode(error) !== "EEXIST") throw ioError("restoring lock file", path, error);
    }
    await unlinkIfPresent(aside);
    return false;
  }
  await unlinkIfPresent(aside);
  return true;
}
