import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sampleEvent } from "./__fixtures__/events.js";
import { Ledger } from "./ledger.js";
import { LedgerError } from "./ledger-error.js";
import { LedgerLock, isLockOwnerAlive, lockPathFor, type LockOwner } from "./ledger-lock.js";
import type { LedgerLogger } from "./ledger-logger.js";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const holdLockScript = fileURLToPath(new URL("./__fixtures__/hold-lock.ts", import.meta.url));

function recordingLogger(): LedgerLogger & { messages: string[] } {
  const messages: string[] = [];
  return { messages, warn: (message) => void messages.push(message) };
}

/** Starts a child process that takes the lock and resolves once it holds it. */
async function childHoldingLock(ledgerPath: string, signal: AbortSignal): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", holdLockScript, ledgerPath], {
    cwd: repoRoot,
    stdio: ["pipe", "pipe", "inherit"],
    signal,
  });
  let output = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    output += chunk;
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", () => {
      if (output.includes("locked ")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`lock holder exited early with ${String(code)}: ${output}`)));
    child.once("error", reject);
  });
  await ready;
  return child;
}

describe("ledger lock", () => {
  let dir: string;
  let path: string;
  let children: ChildProcess[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "ledger-lock-"));
    path = join(dir, "ledger.jsonl");
    children = [];
  });

  afterEach(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("writes the holder's pid and host into the lock file and removes it on release", async () => {
    const logger = recordingLogger();
    const lock = await LedgerLock.acquire(path, { logger });
    const owner = JSON.parse(await readFile(lockPathFor(path), "utf8")) as LockOwner;
    expect(owner.pid).toBe(process.pid);
    expect(owner.hostname).toBe(hostname());
    await lock.release(logger);
    expect(await readdir(dir)).toEqual([]);
    expect(logger.messages).toEqual([]);
  });

  it("refuses a second writer in the same process", async () => {
    const logger = recordingLogger();
    const first = await Ledger.open(path, { logger, fsync: false });
    await expect(Ledger.open(path, { logger, fsync: false })).rejects.toMatchObject({ kind: "Locked" });
    await first.close();
    const second = await Ledger.open(path, { logger, fsync: false });
    await second.close();
  });

  it("refuses to open a ledger whose lock is held by another live process", async () => {
    const child = await childHoldingLock(path, AbortSignal.timeout(20_000));
    children.push(child);
    const error = await Ledger.open(path, { logger: recordingLogger() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerError);
    expect((error as LedgerError).kind).toBe("Locked");
    expect((error as LedgerError).message).toContain(`live pid ${String(child.pid)}`);
    // The holder releases on stdin close; then the ledger opens.
    child.stdin?.end();
    await once(child, "exit");
    const ledger = await Ledger.open(path, { logger: recordingLogger(), fsync: false });
    await ledger.close();
  });

  it("takes over a stale lock left by a dead process", async () => {
    const child = await childHoldingLock(path, AbortSignal.timeout(20_000));
    children.push(child);
    const stalePid = child.pid;
    child.kill("SIGKILL");
    await once(child, "exit");
    const stale = JSON.parse(await readFile(lockPathFor(path), "utf8")) as LockOwner;
    expect(stale.pid).toBe(stalePid);
    expect(isLockOwnerAlive(stale)).toBe(false);

    const logger = recordingLogger();
    const ledger = await Ledger.open(path, { logger, fsync: false });
    expect(logger.messages).toEqual([`took over stale lock of dead pid ${String(stalePid)}`]);
    const owner = JSON.parse(await readFile(lockPathFor(path), "utf8")) as LockOwner;
    expect(owner.pid).toBe(process.pid);
    await ledger.append(sampleEvent(0));
    await ledger.close();
    expect((await readdir(dir)).sort()).toEqual(["ledger.jsonl"]);
  });

  it("treats a lock from another host as live, and an unreadable lock as held", async () => {
    const foreign: LockOwner = { pid: 1, hostname: `${hostname()}-elsewhere`, nonce: "n", acquiredAt: "2025-01-01T00:00:00Z" };
    expect(isLockOwnerAlive(foreign)).toBe(true);
    await writeFile(lockPathFor(path), JSON.stringify(foreign));
    await expect(LedgerLock.acquire(path, { logger: recordingLogger() })).rejects.toMatchObject({ kind: "Locked" });
    await writeFile(lockPathFor(path), "not json");
    const error = await LedgerLock.acquire(path, { logger: recordingLogger() }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "Locked" });
    expect((error as Error).message).toContain("remove it by hand");
    // No temporary files are left behind by the failed attempts.
    expect((await readdir(dir)).sort()).toEqual(["ledger.jsonl.lock"]);
  });

  it("leaves a lock that is no longer its own in place at release", async () => {
    const logger = recordingLogger();
    const lock = await LedgerLock.acquire(path, { logger });
    const other: LockOwner = { pid: process.pid, hostname: hostname(), nonce: "someone-else", acquiredAt: "2025-01-01T00:00:00Z" };
    await writeFile(lockPathFor(path), JSON.stringify(other));
    await lock.release(logger);
    expect(JSON.parse(await readFile(lockPathFor(path), "utf8"))).toEqual(other);
    expect(logger.messages).toEqual(["lock file no longer ours at release; left in place"]);
  });

  it("lets exactly one of many concurrent openers win", async () => {
    const logger = recordingLogger();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => Ledger.open(path, { logger, fsync: false })));
    const winners = results.filter((r): r is PromiseFulfilledResult<Ledger> => r.status === "fulfilled");
    expect(winners).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toMatchObject({ kind: "Locked" });
    await winners[0]?.value.close();
  });
});
