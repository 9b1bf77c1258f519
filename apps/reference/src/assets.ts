import { fileURLToPath } from "node:url";

/** Files shipped with the app (`apps/reference/assets/`), found from `dist/` or `src/`. */
const root = fileURLToPath(new URL("../assets/", import.meta.url));

export const assets = {
  root,
  samplePack: `${root}sample-pack.json`,
  doctrine: `${root}doctrine.yaml`,
  agent: `${root}agent.mjs`,
  fixtures: `${root}fixtures`,
} as const;
