import type * as fs from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sampleEvent } from "./__fixtures__/events.js";
import { Ledger } from "./ledger.js";
import { LedgerError } from "./ledger-error.js";
import type { LedgerLogger } from "./ledger-logger.js";

/** When set, the next `fs.write` fails with this errno code (a full disk, an I/O error). */
const fault = vi.hoisted(() => ({ code: null as string | null }));

vi.mock("node:fs", async (importOriginal) => {
  const actual = await importOriginal<typeof fs>();
  const write = ((...args: unknown[]) => {
    const code = fault.code;
    const callback = args[args.length - 1];
    if (code !== null && typeof callback === "function") {
      fault.code = null;
      const error = Object.assign(new Error(`${code}: injected write failure`), { code });
      queueMicrotask(() => (callback as (error: Error) => void)(error));
      return;
    }
    return (actual.write as (...a: unknown[]) => void)(...args);
  }) as typeof actual.write;
  return { ...actual, write, default: { ...actual, write } };
});

const quiet: LedgerLogger = { warn: () => undefined };

describe("a failed write", () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "ledger-fail-"));
    path = join(dir, "ledger.jsonl");
  });
  afterEach(async () => {
    fault.code = null;
    await rm(dir, { recursive: true, force: true });
  });

  it("rejects the append with Io, refuses later writes, and leaves a ledger that reopens at its last row", async () => {
    const ledger = await Ledger.open(path, { logger: quiet });
    const first = await ledger.append(sampleEvent(0));
    fault.code = "ENOSPC";
    const failed = ledger.append(sampleEvent(1));
    const queued = ledger.append(sampleEvent(2)); // queued behind it: fails with it
    await expect(failed).rejects.toMatchObject({ kind: "Io" });
    await expect(queued).rejects.toMatchObject({ kind: "Io" });
    const later = await ledger.append(sampleEvent(3)).catch((e: unknown) => e);
    expect(later).toBeInstanceOf(LedgerError);
    expect((later as LedgerError).kind).toBe("Closed");
    expect((later as LedgerError).message).toContain("ENOSPC");
    expect(ledger.head).toEqual({ count: 1, eventHash: first.eventHash });
    await ledger.close();
    expect((await readdir(dir)).sort()).toEqual(["ledger.jsonl"]); // the lock was released

    const reopened = await Ledger.open(path, { logger: quiet });
    expect(reopened.head).toEqual({ count: 1, eventHash: first.eventHash });
    expect((await reopened.append(sampleEvent(1))).prevEventHash).toBe(first.eventHash);
    await reopened.close();
    expect(await Ledger.verify(path)).toEqual({ ok: true, count: 2 });
  });
});
