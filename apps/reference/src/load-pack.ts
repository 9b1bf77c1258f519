import { contextPackFromCortex, parseContextPack } from "@cellos-cortex/bridge";
import type { ContextPack } from "@cellos-cortex/bridge";
import { CliError, EXIT } from "./cli-error.js";
import { parseUserJson, readUserFile } from "./read-input.js";

/**
 * Reads a pack file: either a full Cortex context pack (snake_case, with
 * `context_pack_id`) or the bridge's slim pack (`memoryDigest`, `doctrineRefs`,
 * `task`, `expiresAt?`).
 */
export async function loadPack(path: string): Promise<ContextPack> {
  const json = parseUserJson(await readUserFile(path, "pack file"), path, "pack file");
  try {
    if (typeof json === "object" && json !== null && "context_pack_id" in json) return await contextPackFromCortex(json);
    return parseContextPack(json);
  } catch (error) {
    throw new CliError(`pack file ${path} is not a Cortex context pack nor a slim pack: ${(error as Error).message}`, EXIT.usage, "see apps/reference/assets/sample-pack.json for a valid pack", { cause: error });
  }
}
