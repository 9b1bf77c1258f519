import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const workspace = resolve(here, "../../../../..");

/**
 * A tsconfig whose `paths` send every workspace package to its TypeScript sources (as the
 * vitest aliases do), so the child process runs the code under test, never a stale dist/.
 */
export async function writeWorkspaceTsconfig(dir: string): Promise<string> {
  const paths: Record<string, string[]> = {};
  for (const group of ["packages", "apps"]) {
    const base = join(workspace, group);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base)) {
      const manifest = join(base, entry, "package.json");
      if (!existsSync(manifest)) continue;
      const pj = JSON.parse(readFileSync(manifest, "utf8")) as { name: string; exports?: Record<string, unknown> };
      for (const key of Object.keys(pj.exports ?? {})) {
        if (!key.startsWith(".") || key.endsWith(".json")) continue;
        const sub = key === "." ? "" : key.slice(1);
        paths[pj.name + sub] = [join(base, entry, "src", sub === "" ? "index.ts" : `${sub.slice(1)}/index.ts`)];
      }
    }
  }
  const path = join(dir, "tsconfig.workspace.json");
  await writeFile(path, JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", paths } }));
  return path;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Lines the worker printed so far. */
  readonly lines: string[];
  /** The last lines it wrote to stderr. */
  readonly stderr: string[];
  /** Resolves once the worker printed `ready`; rejects if it exits first or after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
}

/** Starts `cell-worker-process.ts` with `node --import tsx`. */
export function startWorkerProcess(tsconfig: string, config: Record<string, unknown>): WorkerProcess {
  const tsx = createRequire(join(workspace, "package.json")).resolve("tsx");
  const child = spawn(process.execPath, ["--import", pathToFileURL(tsx).href, join(here, "cell-worker-process.ts")], {
    cwd: workspace,
    env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig, CELL_WORKER_CONFIG: JSON.stringify(config) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  let onLine: (() => void) | undefined;
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    lines.push(line);
    onLine?.();
  });
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
    stderr.push(line);
    if (stderr.length > 50) stderr.shift();
  });
  const exited = new Promise<number | null>((res) => {
    child.once("exit", (code) => {
      res(code);
    });
  });
  return {
    child,
    lines,
    stderr,
    exited,
    ready: (timeoutMs) =>
      new Promise<void>((res, rej) => {
        const timer = setTimeout(() => {
          rej(new Error(`worker not ready within ${timeoutMs} ms: ${stderr.join(" | ")}`));
        }, timeoutMs);
        onLine = () => {
          if (lines.includes("ready")) {
            clearTimeout(timer);
            res();
          }
        };
        onLine();
        void exited.then((code) => {
          clearTimeout(timer);
          rej(new Error(`worker exited (${String(code)}) before it was ready: ${stderr.join(" | ")}`));
        });
      }),
  };
}
