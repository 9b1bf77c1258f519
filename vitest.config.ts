import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineConfig } from "vitest/config";
import type { Reporter, TestModule } from "vitest/node";

// One vitest project per workspace package. Tests import sibling packages by
// name; the aliases point those names at their TypeScript sources so a test
// run never depends on a stale dist/ of another package.
interface Pkg { name: string; dir: string; exports: Record<string, unknown> }

const root = import.meta.dirname;
const pkgs: Pkg[] = [];
for (const group of ["packages", "apps"]) {
  const base = join(root, group);
  if (!existsSync(base)) continue;
  for (const entry of readdirSync(base)) {
    const manifest = join(base, entry, "package.json");
    if (!existsSync(manifest)) continue;
    const pj = JSON.parse(readFileSync(manifest, "utf8")) as { name: string; exports?: Record<string, unknown> };
    pkgs.push({ name: pj.name, dir: join(base, entry), exports: pj.exports ?? {} });
  }
}

const alias: { find: RegExp; replacement: string }[] = [];
for (const pkg of pkgs) {
  for (const key of Object.keys(pkg.exports)) {
    if (!key.startsWith(".") || key.endsWith(".json")) continue;
    const sub = key === "." ? "" : key.slice(1);
    const escaped = (pkg.name + sub).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    alias.push({ find: new RegExp(`^${escaped}$`), replacement: resolve(pkg.dir, "src", sub ? `${sub.slice(1)}/index.ts` : "index.ts") });
  }
}

/** Prints one plain closing line, `tests: N passed, N failed, N skipped`, that CI reads. */
class ClosingLineReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
      if (mod.state() === "failed" && [...mod.children.allTests()].length === 0) failed++;
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

export default defineConfig({
  resolve: { alias },
  test: {
    testTimeout: 30_000,
    reporters: ["default", new ClosingLineReporter()],
    hookTimeout: 60_000,
    projects: pkgs.map((pkg) => ({
      extends: true as const,
      test: {
        name: pkg.name,
        root: pkg.dir,
        include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      },
    })),
  },
});
