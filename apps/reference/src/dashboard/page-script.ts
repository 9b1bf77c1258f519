import { readFile } from "node:fs/promises";
import { DashboardError } from "./dashboard-error.js";

const COMPILED = new URL("./page/dashboard.js", import.meta.url);
const SOURCE = new URL("./page/dashboard.ts", import.meta.url);

function isMissing(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT";
}

interface TypeScriptTranspiler {
  transpileModule(input: string, options: { compilerOptions: Record<string, unknown>; fileName?: string }): { outputText: string };
  ScriptTarget: { ES2022: unknown };
  ModuleKind: { ES2022: unknown };
}

/**
 * The page script as the browser gets it. The app's `tsc` build compiles
 * `page/dashboard.ts` next to this module (`dist/dashboard/page/dashboard.js`);
 * when running from sources (tests, `tsx`), there is no compiled file and the
 * script is transpiled on the fly with the workspace's TypeScript (a
 * development dependency, never needed by the built app).
 */
export async function loadPageScript(): Promise<string> {
  try {
    return await readFile(COMPILED, "utf8");
  } catch (error) {
    if (!isMissing(error)) throw new DashboardError("PageAssets", `cannot read the dashboard script ${COMPILED.pathname}: ${String(error)}`, { cause: error });
  }
  let source: string;
  try {
    source = await readFile(SOURCE, "utf8");
  } catch (error) {
    throw new DashboardError("PageAssets", `the dashboard script is missing: neither ${COMPILED.pathname} nor ${SOURCE.pathname} exists; build the app (pnpm build)`, { cause: error });
  }
  let ts: TypeScriptTranspiler;
  try {
    const module = (await import("typescript")) as unknown as { default: TypeScriptTranspiler };
    ts = module.default;
  } catch (error) {
    throw new DashboardError("PageAssets", `running from sources needs the typescript package to compile ${SOURCE.pathname}; build the app (pnpm build) instead`, { cause: error });
  }
  return ts.transpileModule(source, {
    fileName: SOURCE.pathname,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, verbatimModuleSyntax: true },
  }).outputText;
}
