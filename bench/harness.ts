/**
 * Benchmark harness: every benchmark measures our code and a baseline in the
 * same process run and prints both figures and their ratio. Machines are
 * noisy; read the ratio, not the absolute numbers.
 */
import { Bench } from "tinybench";

export interface Row {
  /** What is measured, e.g. "payloadHash 200 B". */
  name: string;
  ours: number;
  baseline: number;
  /** Unit of `ours` and `baseline`, e.g. "ops/s", "µs/op", "ms". */
  unit: string;
  /** ours / baseline (for throughput) or baseline / ours (for latency), see `higherIsBetter`. */
  ratio: number;
  /** Human-readable target, e.g. "≥ 0.5×". */
  target?: string;
  /** Whether the target was met, when a target is given. */
  met?: boolean;
  note?: string;
}

const rows: Row[] = [];

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString("en-US");
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(3);
}

/** Prints one result row and keeps it for the closing summary. */
export function printRow(row: Row): void {
  rows.push(row);
  const target = row.target ? `  target ${row.target} ${row.met === undefined ? "" : row.met ? "✓" : "✗"}` : "";
  console.log(
    `  ${row.name}\n    ours ${fmt(row.ours)} ${row.unit} | baseline ${fmt(row.baseline)} ${row.unit} | ratio ${row.ratio.toFixed(2)}×${target}${row.note ? `\n    ${row.note}` : ""}`,
  );
}

export interface Comparison {
  name: string;
  ours: () => unknown;
  baseline: () => unknown;
  /** Minimum ratio of our throughput to the baseline's, e.g. 0.5. */
  minRatio?: number;
  /** Milliseconds per task (default 500). */
  time?: number;
  note?: string;
}

/** Runs ours and the baseline as two tinybench tasks in one Bench and prints ops/s and the ratio. */
export async function compare(c: Comparison): Promise<Row> {
  const bench = new Bench({ time: c.time ?? 500, warmupTime: 100 });
  bench.add("ours", c.ours).add("baseline", c.baseline);
  await bench.run();
  const hz = (name: string): number => {
    const task = bench.getTask(name);
    const result = task?.result as { throughput?: { mean?: number }; hz?: number } | undefined;
    return result?.throughput?.mean ?? result?.hz ?? Number.NaN;
  };
  const ours = hz("ours");
  const baseline = hz("baseline");
  const ratio = ours / baseline;
  const row: Row = {
    name: c.name,
    ours,
    baseline,
    unit: "ops/s",
    ratio,
    ...(c.minRatio === undefined ? {} : { target: `≥ ${c.minRatio}×`, met: ratio >= c.minRatio }),
    ...(c.note === undefined ? {} : { note: c.note }),
  };
  printRow(row);
  return row;
}

/** Median of a list of numbers (sorted copy). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? Number.NaN) + (s[mid] ?? Number.NaN)) / 2;
}

export function allRows(): readonly Row[] {
  return rows;
}
