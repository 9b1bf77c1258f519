/**
 * `pnpm bench [filter]`: runs every bench/*.bench.ts (each default-exports an
 * async function) and prints each comparison, then a summary of ratios.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";
import { allRows } from "./harness.js";

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => !filter || f.includes(filter))
  .sort();

for (const file of files) {
  console.log(`\n▶ ${file}`);
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: () => Promise<void> };
  await mod.default();
}

console.log("\nSummary (ratio, target):");
for (const row of allRows()) {
  const verdict = row.met === undefined ? "" : row.met ? " ✓" : " ✗";
  console.log(`  ${row.ratio.toFixed(2)}×  ${row.name}${row.target ? ` (target ${row.target})${verdict}` : ""}`);
}
