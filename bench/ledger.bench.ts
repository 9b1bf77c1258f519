/**
 * @cellos-cortex/ledger: our append and verify against the raw cryptography
 * they cannot avoid (issue 10, "Performance").
 *
 * - append, fsync off, vs canonical JSON + BLAKE3 + Ed25519 sign of the same event (≥ 0.5×);
 * - verify of 100 000 signed rows vs BLAKE3 + Ed25519 verify of the same rows (≥ 0.5×);
 * - appends/s with fsync on, vs a raw write + fdatasync of the same bytes (reported).
 */
import { sign, verify } from "node:crypto";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalJson, createCortexEvent, createCortexHasher, type CortexEvent } from "@cellos-cortex/cortex-core";
import { Ledger, generateSigningKey, type LedgerLogger } from "@cellos-cortex/ledger";
import { compare, median, printRow } from "./harness.js";

const quiet: LedgerLogger = { warn: () => undefined };
const VERIFY_ROWS = 100_000;

function eventPool(size: number): CortexEvent[] {
  return Array.from({ length: size }, (_, i) =>
    createCortexEvent({
      eventType: "cortex.event.tool_result.v1",
      source: { type: "tool", name: "cellos-supervisor" },
      domainTags: ["cellos", "lifecycle"],
      sessionId: `session-${i % 10}`,
      payload: {
        specversion: "1.0",
        id: `ce-${i}`,
        type: "dev.cellos.events.cell.command.v1.completed",
        source: "cellos-supervisor",
        time: "2025-01-01T00:00:00.123456Z",
        data: { cellId: `cell-${i % 100}`, specId: "spec-1", exitCode: i % 3, durationMs: 1000 + i },
      },
    }),
  );
}

/** The pool's event for a running counter (the pool is reused round-robin). */
function pick(pool: readonly CortexEvent[], k: number): CortexEvent {
  const event = pool[k % pool.length];
  if (event === undefined) throw new Error("empty event pool");
  return event;
}

async function timed(fn: () => Promise<void> | void): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export default async function ledgerBench(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "ledger-bench-"));
  const { privateKey, publicKey } = generateSigningKey();
  const hasher = await createCortexHasher();
  const events = eventPool(1024);
  try {
    // ---- append, fsync off, one awaited append at a time
    {
      const ledger = await Ledger.open(join(dir, "append.jsonl"), { signingKey: privateKey, fsync: false, logger: quiet });
      let i = 0;
      let j = 0;
      await compare({
        name: "append, fsync off, signed (awaited one by one)",
        ours: async () => {
          await ledger.append(pick(events, i++));
        },
        baseline: () => {
          const digest = Buffer.from(hasher.blake3Hex(canonicalJson(pick(events, j++))), "hex");
          sign(null, digest, privateKey);
        },
        minRatio: 0.5,
        time: 1500,
        note: "baseline: canonicalJson(event) + BLAKE3 + Ed25519 sign of the same event, in a tight loop",
      });
      // ---- append, fsync off, 32 in flight (group commit: one write per batch)
      await compare({
        name: "append, fsync off, signed (32 in flight, per 32 events)",
        ours: async () => {
          const batch: Promise<CortexEvent>[] = [];
          for (let k = 0; k < 32; k++) batch.push(ledger.append(pick(events, i++)));
          await Promise.all(batch);
        },
        baseline: () => {
          for (let k = 0; k < 32; k++) {
            const digest = Buffer.from(hasher.blake3Hex(canonicalJson(pick(events, j++))), "hex");
            sign(null, digest, privateKey);
          }
        },
        minRatio: 0.5,
        time: 1500,
      });
      await ledger.close();
    }

    // ---- verify of 100 000 signed rows
    {
      const path = join(dir, "verify.jsonl");
      const ledger = await Ledger.open(path, { signingKey: privateKey, fsync: false, logger: quiet });
      for (let start = 0; start < VERIFY_ROWS; start += 256) {
        const batch: Promise<CortexEvent>[] = [];
        for (let k = start; k < Math.min(start + 256, VERIFY_ROWS); k++) batch.push(ledger.append(pick(events, k)));
        await Promise.all(batch);
      }
      await ledger.close();

      // The baseline gets each row's hashed bytes and signature already cut out and in memory.
      const file = await readFile(path);
      const inputs: { tagged: Buffer; signature: Buffer }[] = [];
      for (let from = 0, nl = file.indexOf(0x0a); nl !== -1; from = nl + 1, nl = file.indexOf(0x0a, from)) {
        const line = file.subarray(from, nl);
        const eventBytes = line.subarray('{"event":'.length, line.length - 250);
        const signature = Buffer.from(line.toString("latin1", line.length - 130, line.length - 2), "hex");
        inputs.push({ tagged: Buffer.concat([Buffer.from([0x02]), eventBytes]), signature });
      }
      if (inputs.length !== VERIFY_ROWS) throw new Error(`expected ${VERIFY_ROWS} rows, found ${inputs.length}`);

      const oursMs: number[] = [];
      const baseMs: number[] = [];
      for (let round = 0; round < 2; round++) {
        oursMs.push(
          await timed(async () => {
            const report = await Ledger.verify(path, { publicKey });
            if (!report.ok || report.count !== VERIFY_ROWS) throw new Error(`verify failed: ${JSON.stringify(report)}`);
          }),
        );
        baseMs.push(
          await timed(() => {
            for (const { tagged, signature } of inputs) {
              const digest = Buffer.from(hasher.blake3Hex(tagged), "hex");
              if (!verify(null, digest, publicKey, signature)) throw new Error("baseline signature failed");
            }
          }),
        );
      }
      const ours = VERIFY_ROWS / (median(oursMs) / 1000);
      const baseline = VERIFY_ROWS / (median(baseMs) / 1000);
      printRow({
        name: `Ledger.verify, ${VERIFY_ROWS.toLocaleString("en-US")} signed rows`,
        ours,
        baseline,
        unit: "rows/s",
        ratio: ours / baseline,
        target: "≥ 0.5×",
        met: ours / baseline >= 0.5,
        note: `median of 2 rounds; ours ${median(oursMs).toFixed(0)} ms (file read, framing, row hash, schema, signature, payload hash, chain) vs baseline ${median(baseMs).toFixed(0)} ms (BLAKE3 + Ed25519 verify on rows in memory)`,
      });
    }

    // ---- appends/s with fsync on
    {
      const ledger = await Ledger.open(join(dir, "durable.jsonl"), { signingKey: privateKey, fsync: true, logger: quiet });
      const line = Buffer.from(`${"x".repeat(900)}\n`);
      const raw = await open(join(dir, "raw.jsonl"), "a");
      const rounds = 200;
      const oursOne = await timed(async () => {
        for (let k = 0; k < rounds; k++) await ledger.append(pick(events, k));
      });
      const rawOne = await timed(async () => {
        for (let k = 0; k < rounds; k++) {
          await raw.write(line);
          await raw.datasync();
        }
      });
      printRow({
        name: "append, fsync on, signed (awaited one by one)",
        ours: rounds / (oursOne / 1000),
        baseline: rounds / (rawOne / 1000),
        unit: "appends/s",
        ratio: rawOne / oursOne,
        note: "baseline: write + fdatasync of a 900-byte line (the disk's own limit); reported, no target",
      });
      const oursBatched = await timed(async () => {
        for (let k = 0; k < rounds; k++) {
          const batch: Promise<CortexEvent>[] = [];
          for (let m = 0; m < 32; m++) batch.push(ledger.append(pick(events, k * 32 + m)));
          await Promise.all(batch);
        }
      });
      printRow({
        name: "append, fsync on, signed (32 in flight: group commit)",
        ours: (rounds * 32) / (oursBatched / 1000),
        baseline: rounds / (rawOne / 1000),
        unit: "appends/s",
        ratio: (rounds * 32) / (oursBatched / 1000) / (rounds / (rawOne / 1000)),
        note: "baseline: one write + fdatasync per line; concurrent appends share one fdatasync per batch",
      });
      await raw.close();
      await ledger.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
