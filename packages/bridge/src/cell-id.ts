import type { ContextPack } from "./context-pack.js";

const CELL_ID_CHAR = /[A-Za-z0-9._-]/;
const ASCII_ALNUM = /[A-Za-z0-9]/;

/**
 * The seed's deterministic cell id: `cortex-` + the first 12 characters of the
 * memory digest that fit the cell-id grammar `[A-Za-z0-9._-]` + `-` + the
 * first 8 ASCII alphanumerics of the task, lowercased. Falls back to
 * `cortex-<task>`, `cortex-<digest>` or `cortex-cell` when a part is empty.
 * A correlation key, not a hash: the supervisor enforces uniqueness.
 */
export function packToCellId(pack: Pick<ContextPack, "memoryDigest" | "task">): string {
  const digestPrefix = takeMatching(pack.memoryDigest, CELL_ID_CHAR, 12);
  const taskPrefix = takeMatching(pack.task, ASCII_ALNUM, 8).toLowerCase();
  if (digestPrefix === "" && taskPrefix === "") return "cortex-cell";
  if (digestPrefix === "") return `cortex-${taskPrefix}`;
  if (taskPrefix === "") return `cortex-${digestPrefix}`;
  return `cortex-${digestPrefix}-${taskPrefix}`;
}

/** The first `limit` characters (code points) of `text` that match `allowed`. */
function takeMatching(text: string, allowed: RegExp, limit: number): string {
  let out = "";
  let taken = 0;
  for (const char of text) {
    if (taken === limit) break;
    if (allowed.test(char)) {
      out += char;
      taken++;
    }
  }
  return out;
}
