import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const APP_DIR = fileURLToPath(new URL("../..", import.meta.url));
/** The built CLI (`pnpm test` builds it first). */
export const CLI = join(APP_DIR, "dist", "cli.js");
export const SAMPLE_PACK = join(APP_DIR, "assets", "sample-pack.json");

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Throws with what to do when the CLI has not been built. */
export function assertCliBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the app first (pnpm test does: turbo run build)`);
}

/** Runs the built CLI as a real process and collects its output and exit code. */
export function runCli(args: string[], timeoutMs = 30_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: timeoutMs, env: { ...process.env, NO_COLOR: "1" } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}
