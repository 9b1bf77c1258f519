import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, realpath } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, normalize, relative, sep } from "node:path";
import * as z from "zod";
import { BridgeError } from "./bridge-error.js";

const ARTIFACT_NAME = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * `spec.export` as `LocalCellHost` reads it (ADR-0021): the files a cell
 * hands back, each `{name, path}` with `path` relative to the cell's work
 * directory. Upstream's shape is not known; unknown keys are kept.
 */
export const CellExportSpecSchema = z.looseObject({
  artifacts: z
    .array(
      z.looseObject({
        name: z.string().regex(ARTIFACT_NAME, { error: "must match [A-Za-z0-9._-]{1,128}" }).refine((name) => name !== "." && name !== "..", { error: "must not be . or .." }),
        path: z.string().min(1),
      }),
    )
    .max(256),
});
export type CellExportSpec = z.infer<typeof CellExportSpecSchema>;
export type CellExportArtifact = CellExportSpec["artifacts"][number];

/** The declared exports of a document's `spec.export` (none when absent); throws `InvalidDocument`. */
export function parseCellExports(value: unknown, cellId: string): CellExportArtifact[] {
  if (value === undefined || value === null) return [];
  const parsed = CellExportSpecSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `spec.export${issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")}: ${issue.message}`).join("; ");
    throw new BridgeError("InvalidDocument", `cell ${JSON.stringify(cellId)}: ${problems}`, { cellId, cause: parsed.error });
  }
  const seen = new Set<string>();
  for (const artifact of parsed.data.artifacts) {
    if (seen.has(artifact.name)) throw new BridgeError("InvalidDocument", `cell ${JSON.stringify(cellId)}: export name ${JSON.stringify(artifact.name)} is declared twice`, { cellId });
    seen.add(artifact.name);
    insideDir("/cell", artifact.path, cellId, "export path", false);
  }
  return parsed.data.artifacts;
}

/**
 * `path` (relative to `dir`, or absolute inside it) as an absolute path
 * inside `dir` (or `dir` itself when `allowDir`); throws `InvalidDocument`
 * when it would leave `dir`.
 */
export function insideDir(dir: string, path: string, cellId: string, what: string, allowDir: boolean): string {
  const absolute = normalize(isAbsolute(path) ? path : join(dir, path));
  const rel = relative(dir, absolute);
  if (rel === "" && allowDir) return absolute;
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new BridgeError("InvalidDocument", `cell ${JSON.stringify(cellId)}: ${what} ${JSON.stringify(path)} is not inside the cell's work directory`, { cellId });
  }
  return absolute;
}

export interface ExportCopy {
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * Copies one declared export out of the cell directory. Refuses symlinks
 * (the host runs outside the sandbox: a link to `/etc/shadow` must not be
 * followed), anything but a regular file, a path whose real directory is
 * outside the cell directory, and files over `maxBytes`. Failures are
 * `BridgeError` `Io` with the reason in the message.
 */
export async function copyExport(cellDir: string, artifact: CellExportArtifact, destination: string, maxBytes: number, cellId: string): Promise<ExportCopy> {
  const source = insideDir(cellDir, artifact.path, cellId, "export path", false);
  let realCell: string;
  let realParent: string;
  try {
    realCell = await realpath(cellDir);
    realParent = await realpath(dirname(source));
  } catch (error) {
    throw new BridgeError("Io", `export ${JSON.stringify(artifact.name)}: ${JSON.stringify(artifact.path)} does not exist`, { cellId, cause: error });
  }
  const relParent = relative(realCell, realParent);
  if (relParent === ".." || relParent.startsWith(`..${sep}`) || isAbsolute(relParent)) {
    throw new BridgeError("Io", `export ${JSON.stringify(artifact.name)}: ${JSON.stringify(artifact.path)} resolves outside the cell's work directory`, { cellId });
  }
  let input: FileHandle;
  try {
    input = await open(join(realParent, basename(source)), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ELOOP" ? "is a symbolic link" : code === "ENOENT" ? "does not exist" : `cannot be opened (${code ?? "unknown error"})`;
    throw new BridgeError("Io", `export ${JSON.stringify(artifact.name)}: ${JSON.stringify(artifact.path)} ${why}`, { cellId, cause: error });
  }
  try {
    const info = await input.stat();
    if (!info.isFile()) throw new BridgeError("Io", `export ${JSON.stringify(artifact.name)}: ${JSON.stringify(artifact.path)} is not a regular file`, { cellId });
    if (info.size > maxBytes) throw new BridgeError("Io", `export ${JSON.stringify(artifact.name)}: ${JSON.stringify(artifact.path)} is ${info.size} bytes, over the ${maxBytes}-byte limit`, { cellId });
    await mkdir(dirname(destination), { recursive: true });
    const output = await open(destination, "wx");
    const hash = createHash("sha256");
    let bytes = 0;
    try {
      const buffer = Buffer.allocUnsafe(64 * 1024);
      for (;;) {
        const { bytesRead } = await input.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        bytes += bytesRead;
        if (bytes > maxBytes) throw new BridgeError("Io", `export ${JSON.stringify(artifact.name)}: ${JSON.stringify(artifact.path)} grew over the ${maxBytes}-byte limit while being copied`, { cellId });
        const chunk = buffer.subarray(0, bytesRead);
        hash.update(chunk);
        await output.write(chunk);
      }
    } finally {
      await output.close();
    }
    return { bytes, sha256: hash.digest("hex") };
  } catch (error) {
    if (error instanceof BridgeError) throw error;
    throw new BridgeError("Io", `export ${JSON.stringify(artifact.name)}: copying ${JSON.stringify(artifact.path)} to ${destination} failed: ${(error as Error).message}`, { cellId, cause: error });
  } finally {
    await input.close();
  }
}
