import { spawn } from "node:child_process";
import { access, constants, stat } from "node:fs/promises";
import { delimiter, isAbsolute, join } from "node:path";

/** How a cell's file system and network look inside bubblewrap. */
export interface BubblewrapPlan {
  /** The cell's fresh work directory (an absolute host path, bound at the same path). */
  readonly cellDir: string;
  /** Working directory of the agent inside the sandbox. */
  readonly cwd: string;
  /** `false` = `--unshare-net`: a network namespace with only its own loopback. */
  readonly shareNetwork: boolean;
  /** `true` = the work dir (and `/tmp`) are read-only except `writablePaths`. */
  readonly readOnly: boolean;
  /** Absolute directories inside `cellDir` or `/tmp` that stay writable when `readOnly`. */
  readonly writablePaths: readonly string[];
  /**
   * Absolute host paths (files or directories) that must stay visible, read-only, although
   * they lie under the private `/tmp` (e.g. the agent's program). Paths elsewhere are already
   * visible through the read-only root.
   */
  readonly visiblePaths?: readonly string[];
}

/**
 * The bwrap options for a cell (everything before `--`): a read-only view of
 * the host root, fresh `/dev`, `/proc` and `/tmp`, its own PID, IPC and UTS
 * namespaces, no Linux capabilities, killed with its parent; no network
 * namespace access unless `shareNetwork`; the work dir writable unless
 * `readOnly`. The environment is not passed here: bwrap hands its own
 * (already minimal) environment to the agent, so secrets never appear on a
 * command line.
 */
export function bubblewrapArgs(plan: BubblewrapPlan): string[] {
  const args = ["--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"];
  if (!plan.shareNetwork) args.push("--unshare-net");
  args.push("--cap-drop", "ALL", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp");
  for (const path of plan.visiblePaths ?? []) {
    if (path === "/tmp" || path.startsWith("/tmp/")) args.push("--ro-bind", path, path);
  }
  args.push(plan.readOnly ? "--ro-bind" : "--bind", plan.cellDir, plan.cellDir);
  let tmpWritable = !plan.readOnly;
  if (plan.readOnly) {
    for (const path of plan.writablePaths) {
      if (path === "/tmp") tmpWritable = true;
      else if (path.startsWith("/tmp/") && !path.startsWith(`${plan.cellDir}/`) && path !== plan.cellDir) args.push("--dir", path, "--tmpfs", path);
      else args.push("--bind", path, path);
    }
  }
  // Last, so the binds above could still create their mount points in /tmp.
  if (!tmpWritable) args.push("--remount-ro", "/tmp");
  args.push("--chdir", plan.cwd);
  return args;
}

export type BubblewrapStatus = { readonly available: true; readonly path: string } | { readonly available: false; readonly reason: string };

const probes = new Map<string, Promise<BubblewrapStatus>>();

/** The hint every "bubblewrap is missing" message carries. */
export const BUBBLEWRAP_INSTALL_HINT = "apt-get install bubblewrap";

/**
 * Whether bubblewrap can isolate cells here: finds `bwrap` (the given path,
 * else on `PATH`, else `/usr/bin/bwrap`) and runs `true` in the same
 * namespaces a cell gets, once per path per process (user namespaces can be
 * switched off even when the binary is installed).
 */
export function detectBubblewrap(path?: string): Promise<BubblewrapStatus> {
  const key = path ?? "";
  let probe = probes.get(key);
  if (probe === undefined) {
    probe = probeBubblewrap(path);
    probes.set(key, probe);
  }
  return probe;
}

async function probeBubblewrap(path: string | undefined): Promise<BubblewrapStatus> {
  const found = path ?? (await findOnPath("bwrap", process.env.PATH ?? "")) ?? "/usr/bin/bwrap";
  try {
    await access(found, constants.X_OK);
  } catch {
    return { available: false, reason: `bubblewrap not found at ${found} (${BUBBLEWRAP_INSTALL_HINT})` };
  }
  const args = ["--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--unshare-net", "--cap-drop", "ALL", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--", "true"];
  return new Promise((resolve) => {
    let stderr = "";
    const child = spawn(found, args, { stdio: ["ignore", "ignore", "pipe"], env: { PATH: "/usr/local/bin:/usr/bin:/bin" } });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      if (stderr.length < 2048) stderr += chunk;
    });
    child.on("error", (error) => {
      resolve({ available: false, reason: `bubblewrap at ${found} cannot be started: ${error.message} (${BUBBLEWRAP_INSTALL_HINT})` });
    });
    child.on("close", (code, signal) => {
      if (code === 0) resolve({ available: true, path: found });
      else resolve({ available: false, reason: `bubblewrap at ${found} cannot create a sandbox here (exit ${code ?? signal}): ${stderr.trim() || "no message"}` });
    });
  });
}

/**
 * Where `program` would be found: itself when it has a slash (relative to
 * `cwd`), else the first executable `dir/program` in `searchPath`.
 */
export async function findOnPath(program: string, searchPath: string, cwd: string = process.cwd()): Promise<string | undefined> {
  if (program.includes("/")) {
    const path = isAbsolute(program) ? program : join(cwd, program);
    return (await isExecutableFile(path)) ? path : undefined;
  }
  for (const dir of searchPath.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, program);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** A regular file with an execute bit (one `stat`: this runs once per cell). */
async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    return info.isFile() && (info.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}
