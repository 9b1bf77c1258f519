/**
 * Regenerates `schemas/*.json` from the zod schemas:
 * `pnpm --filter @cellos-cortex/cellos-core schemas`. `src/json-schema.test.ts`
 * fails when the committed files differ from what the schemas produce.
 */
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { allJsonSchemas } from "../src/json-schema.js";

const dir = fileURLToPath(new URL("../schemas/", import.meta.url));
await mkdir(dir, { recursive: true });
const files = allJsonSchemas();
for (const name of await readdir(dir)) {
  if (name.endsWith(".schema.json") && !(name in files)) await rm(join(dir, name));
}
for (const [name, schema] of Object.entries(files)) {
  await writeFile(join(dir, name), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote schemas/${name}`);
}
