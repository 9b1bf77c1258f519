import { stderr, stdout } from "node:process";

/** How a command talks to its user: readable text, or one JSON document on stdout with `--json`. */
export interface OutputOptions {
  readonly json: boolean;
  readonly quiet?: boolean;
}

export class Output {
  readonly json: boolean;
  private readonly quiet: boolean;
  private readonly tty: boolean;

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.quiet = options.quiet ?? false;
    this.tty = !options.json && Boolean(stderr.isTTY);
  }

  /** A line for the person reading (stdout in text mode; nothing in JSON mode). */
  line(text = ""): void {
    if (!this.json) stdout.write(`${text}\n`);
  }

  /** Progress and explanations: stderr, so stdout stays clean for pipes. */
  note(text: string): void {
    if (!this.quiet) stderr.write(`${text}\n`);
  }

  /** The machine-readable result (only in JSON mode). */
  result(value: unknown): void {
    if (this.json) stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /**
   * Runs one named step and shows it as it happens: `… name` while running
   * (rewritten in place on a terminal), then `✓ name (12 ms)` or `✗ name`.
   */
  async step<T>(name: string, work: () => Promise<T>, detail?: (value: T) => string): Promise<T> {
    const started = performance.now();
    if (!this.json && !this.quiet && this.tty) stderr.write(`  … ${name}`);
    try {
      const value = await work();
      const ms = performance.now() - started;
      const extra = detail ? ` — ${detail(value)}` : "";
      this.endStep(`  ✓ ${name} (${formatMs(ms)})${extra}`);
      return value;
    } catch (error) {
      this.endStep(`  ✗ ${name} (${formatMs(performance.now() - started)})`);
      throw error;
    }
  }

  private endStep(text: string): void {
    if (this.json || this.quiet) return;
    if (this.tty) stderr.write(`\r\x1b[2K${text}\n`);
    else stderr.write(`${text}\n`);
  }
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}
