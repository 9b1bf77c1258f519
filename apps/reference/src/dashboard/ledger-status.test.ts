import type { KeyObject } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCortexEvent } from "@cellos-cortex/cortex-core";
import type { CortexEvent } from "@cellos-cortex/cortex-core";
import { Ledger, generateSigningKey } from "@cellos-cortex/ledger";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LedgerStatus } from "./cell-view.js";
import { DashboardError } from "./dashboard-error.js";
import type { DashboardLogger } from "./dashboard-logger.js";
import { LedgerStatusWatcher } from "./ledger-status.js";

const warnings: string[] = [];
const logger: DashboardLogger = { warn: (message) => warnings.push(message) };

function row(i: number): CortexEvent {
  return createCortexEvent({
    eventType: "cortex.event.tool_result.v1",
    source: { type: "tool", name: "dashboard-test" },
    observedAt: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(),
    payload: { i },
  });
}

async function writeLedger(path: string, rows: number, signingKey?: KeyObject): Promise<void> {
  const ledger = await Ledger.open(path, signingKey === undefined ? {} : { signingKey });
  for (let i = 0; i < rows; i++) await ledger.append(row(i));
  await ledger.close();
}

/** Resolves with the first reported status that satisfies `accept`. */
function statusWhere(changes: LedgerStatus[], waiters: (() => void)[], accept: (status: LedgerStatus) => boolean): Promise<LedgerStatus> {
  return new Promise((resolve) => {
    const look = (): boolean => {
      const found = changes.find(accept);
      if (found !== undefined) resolve(found);
      return found !== undefined;
    };
    if (!look()) waiters.push(() => void look());
  });
}

describe("LedgerStatusWatcher", () => {
  let dir: string;
  let path: string;
  let watcher: LedgerStatusWatcher | undefined;
  const changes: LedgerStatus[] = [];
  const waiters: (() => void)[] = [];
  const onChange = (status: LedgerStatus): void => {
    changes.push(status);
    for (const wake of waiters.splice(0)) wake();
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "ledger-status-"));
    path = join(dir, "ledger.jsonl");
    changes.length = 0;
    waiters.length = 0;
    warnings.length = 0;
  });
  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("reports a verified ledger with its row count", async () => {
    await writeLedger(path, 3);
    watcher = new LedgerStatusWatcher({ path, logger, onChange });
    expect(watcher.status).toMatchObject({ configured: true, state: "pending", signed: false });
    await watcher.start();
    expect(watcher.status).toMatchObject({ state: "verified", count: 3, firstBadIndex: null, reason: null, path });
    expect(changes).toHaveLength(1);
  });

  it("checks signatures with the public key and says which row fails", async () => {
    const signer = generateSigningKey();
    const other = generateSigningKey();
    await writeLedger(path, 2, signer.privateKey);
    watcher = new LedgerStatusWatcher({ path, publicKey: other.publicKey, logger, onChange, confirmFailureMs: 1 });
    await watcher.start();
    expect(watcher.status).toMatchObject({ state: "broken", signed: true, count: 0, firstBadIndex: 0 });
    expect((watcher.status as { reason: string }).reason).toMatch(/^row 0: /);
  });

  it("follows a ledger that appears, grows and is tampered with", async () => {
    watcher = new LedgerStatusWatcher({ path, logger, onChange, debounceMs: 20, confirmFailureMs: 20 });
    await watcher.start();
    expect(watcher.status).toMatchObject({ state: "missing", reason: `no ledger at ${path} yet` });

    await writeLedger(path, 2);
    await expect(statusWhere(changes, waiters, (s) => s.configured && s.state === "verified" && s.count === 2)).resolves.toBeDefined();

    const text = await readFile(path, "utf8");
    await writeFile(path, text.replace('"i":1', '"i":9'));
    const broken = await statusWhere(changes, waiters, (s) => s.configured && s.state === "broken");
    expect(broken).toMatchObject({ firstBadIndex: 1, count: 1 });
  });

  it("a check asked for while one runs sees the file as it is after the request", async () => {
    await writeLedger(path, 1);
    watcher = new LedgerStatusWatcher({ path, logger, onChange });
    const first = watcher.check();
    const ledger = await Ledger.open(path);
    await ledger.append(row(1));
    await ledger.close();
    const second = watcher.check();
    const [a, b] = await Promise.all([first, second]);
    expect(a).toMatchObject({ state: "verified" });
    expect(b).toMatchObject({ state: "verified", count: 2 });
    expect(changes.at(-1)).toMatchObject({ count: 2 });
  });

  it("says the file cannot be read when the path is not a file", async () => {
    watcher = new LedgerStatusWatcher({ path: dir, logger, onChange, confirmFailureMs: 1 });
    await watcher.start();
    expect(watcher.status).toMatchObject({ state: "error" });
    expect((watcher.status as { reason: string }).reason).toMatch(/not a regular file/);
  });

  it("rejects bad options with DashboardError", () => {
    expect(() => new LedgerStatusWatcher({ path: "", logger })).toThrow(DashboardError);
    expect(() => new LedgerStatusWatcher({ path, logger, intervalMs: 0 })).toThrow(/intervalMs must be a positive integer, got 0/);
  });
});
