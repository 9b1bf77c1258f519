import { existsSync } from "node:fs";
import { appendFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CellosLedgerEmitter } from "@cellos-cortex/bridge";
import { lifecycleDestroyedEvent, lifecycleStartedEvent } from "@cellos-cortex/cellos-core";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import { Ledger, exportPublicKeyPem, generateSigningKey } from "@cellos-cortex/ledger";
import { chromium } from "playwright-core";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve } from "../commands/serve.js";
import { at, cellEvents, SUPERVISOR } from "./__fixtures__/cell-events.js";
import type { DashboardLogger } from "./dashboard-logger.js";
import type { DashboardListenInfo } from "./dashboard-server.js";

const CHROMIUM = "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const SKIP_NOTE = `SKIPPED: ${CHROMIUM} is missing — apt-get install chromium`;
if (!HAVE_CHROMIUM) console.warn(`dashboard browser tests ${SKIP_NOTE}`);

const SCREENSHOT = fileURLToPath(new URL("../../test-output/dashboard.png", import.meta.url));
const WAIT_MS = 10_000;

const ALPHA = cellEvents({ cellId: "cell-alpha", packId: "pack-7f3a9c", doctrineRefs: ["no-egress", "short-lived"], startMs: 0, exitCode: 0, outcome: "succeeded", durationMs: 2340, exportPath: "exports/cell-alpha/report.json" });
const BETA = cellEvents({ cellId: "cell-beta", packId: "pack-51d0e2", doctrineRefs: ["no-secrets"], startMs: 400, exitCode: 3, outcome: "failed", durationMs: 880 });
const GAMMA_START = cellEvents({ cellId: "cell-gamma", packId: "pack-c0ffee", doctrineRefs: [], startMs: 900 });
const GAMMA_END = lifecycleDestroyedEvent({ source: SUPERVISOR, cellId: "cell-gamma", specId: "cell-gamma", runId: "run-cell-gamma", time: at(60_900), outcome: "failed", terminalState: "forced", reason: "ttl_exceeded" });

describe.skipIf(!HAVE_CHROMIUM)(`the dashboard in a real browser${HAVE_CHROMIUM ? "" : ` (${SKIP_NOTE})`}`, () => {
  let dir: string;
  let ledgerPath: string;
  let context: BrowserContext;
  let page: Page;
  let info: DashboardListenInfo;
  const stop = new AbortController();
  let serving: Promise<void>;
  const pageErrors: string[] = [];
  const warnings: string[] = [];
  const logger: DashboardLogger = { warn: (message) => warnings.push(message) };

  async function postBatch(events: readonly CloudEventV1[]): Promise<void> {
    const response = await fetch(info.eventsUrl, { method: "POST", body: JSON.stringify(events), headers: { "content-type": "application/cloudevents-batch+json" } });
    expect(response.status).toBe(202);
  }

  function row(cellId: string): ReturnType<Page["locator"]> {
    return page.locator(`#cell-rows tr[data-cell-id="${cellId}"]`);
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "dashboard-browser-"));
    ledgerPath = join(dir, "ledger.jsonl");
    // A signed ledger holding the same events, as the demo writes it.
    const { privateKey, publicKey } = generateSigningKey();
    const publicKeyPath = join(dir, "ledger.pub.pem");
    await writeFile(publicKeyPath, exportPublicKeyPem(publicKey));
    const ledger = await Ledger.open(ledgerPath, { signingKey: privateKey });
    const emitter = new CellosLedgerEmitter({ ledger });
    for (const event of [...ALPHA, ...BETA]) await emitter.emit(event);
    await ledger.close();

    let listening!: (value: DashboardListenInfo) => void;
    const listened = new Promise<DashboardListenInfo>((resolve) => (listening = resolve));
    serving = serve({ port: 0, ledgerPath, publicKeyPath, signal: stop.signal, logger, onListening: (value) => listening(value) });
    info = await Promise.race([
      listened,
      serving.then(() => {
        throw new Error("serve() ended before it listened");
      }),
    ]);

    context = await chromium.launchPersistentContext(await mkdtemp(join(dir, "profile-")), {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1440, height: 900 },
      deviceScaleFactor: 1,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(WAIT_MS);
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text());
    });
  });

  afterAll(async () => {
    await context?.close();
    stop.abort();
    await serving;
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("shows three cells with their states as events arrive, without reloading the page", async () => {
    const navigations: string[] = [];
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) navigations.push(frame.url());
    });
    await page.goto(info.url);
    await page.locator('#connection[data-connection="live"]').waitFor();
    await expect(page.locator("#empty").isVisible()).resolves.toBe(true);
    await page.evaluate(() => {
      (window as unknown as { loadMarker: string }).loadMarker = "the same document";
    });

    await postBatch([...ALPHA, ...BETA, ...GAMMA_START]);
    await row("cell-alpha").and(page.locator('[data-state="succeeded"]')).waitFor();
    await row("cell-beta").and(page.locator('[data-state="failed"]')).waitFor();
    await row("cell-gamma").and(page.locator('[data-state="running"]')).waitFor();

    await postBatch([GAMMA_END]);
    await row("cell-gamma").and(page.locator('[data-state="forced"]')).waitFor();

    const table = await page.locator("#cell-rows tr").evaluateAll((rows) =>
      rows.map((tr) => Array.from((tr as HTMLTableRowElement).cells, (td) => td.textContent ?? "")),
    );
    expect(table.map(([cellId, pack, state, exit]) => [cellId, pack, state, exit])).toEqual([
      ["cell-gamma", "pack-c0ffee", "forced", "-1"],
      ["cell-beta", "pack-51d0e2", "failed", "3"],
      ["cell-alpha", "pack-7f3a9c", "succeeded", "0"],
    ]);
    expect(table.map((cells) => cells[6])).toEqual(["1 m 00 s", "880 ms", "2.34 s"]);
    await expect(page.locator("#empty").isVisible()).resolves.toBe(false);
    await expect(page.locator("#counts").textContent()).resolves.toMatch(/3cells.*succeeded1.*failed1.*forced1/);

    // Still the document that was loaded first: the updates came over Server-Sent Events.
    await expect(page.evaluate(() => (window as unknown as { loadMarker?: string }).loadMarker)).resolves.toBe("the same document");
    expect(navigations).toEqual([info.url]);
  });

  it("shows a cell's timeline, doctrine and the ledger status when clicked, and saves a screenshot", async () => {
    await row("cell-alpha").click();
    const detail = page.locator('#detail[data-cell-id="cell-alpha"]');
    await detail.locator(".timeline li").nth(ALPHA.length - 1).waitFor();
    await expect(detail.locator(".timeline li .label").allTextContents()).resolves.toEqual([
      "cortex.v1.dispatched",
      "lifecycle.v1.started",
      "observability.v1.process_spawned",
      "command.v1.completed",
      "export.v2.completed",
      "lifecycle.v1.destroyed",
    ]);
    await expect(detail.locator(".timeline li .summary").allTextContents()).resolves.toEqual([
      "dispatched pack pack-7f3a9c with doctrine no-egress, short-lived",
      "cell started",
      "spawned node (2 args)",
      "exit 0 after 2320 ms: node agent.mjs",
      "exported report → exports/cell-alpha/report.json",
      "destroyed, outcome succeeded",
    ]);
    await expect(detail.locator(".doctrine-refs .chip").allTextContents()).resolves.toEqual(["no-egress", "short-lived"]);
    await expect(detail.locator('dd[data-fact="exit code"]').textContent()).resolves.toBe("0");
    await expect(row("cell-alpha").getAttribute("aria-selected")).resolves.toBe("true");

    const ledger = page.locator('#ledger[data-ledger-state="verified"]');
    await ledger.waitFor();
    await expect(ledger.textContent()).resolves.toBe(`ledger ✓ verified · ${ALPHA.length + BETA.length} rows, signatures checked`);

    await mkdir(join(SCREENSHOT, ".."), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it("renders a cell id and a reason containing markup as text", async () => {
    const hostileId = `<img src=x onerror="window.pwned='id'"><script>window.pwned='script'</script>`;
    const hostileReason = `<b onmouseover="window.pwned='reason'">ttl</b><script>window.pwned='reason'</script>`;
    const base = { source: SUPERVISOR, cellId: hostileId, specId: "hostile" };
    await postBatch([
      lifecycleStartedEvent({ ...base, time: at(70_000) }),
      lifecycleDestroyedEvent({ ...base, time: at(71_000), outcome: "failed", terminalState: "forced", reason: hostileReason }),
    ]);
    const hostileRow = page.locator("#cell-rows tr").filter({ hasText: "onerror" });
    await hostileRow.and(page.locator('[data-state="forced"]')).waitFor();
    await expect(hostileRow.locator("td.cell-id").textContent()).resolves.toBe(hostileId);
    await expect(hostileRow.getAttribute("data-cell-id")).resolves.toBe(hostileId);
    await expect(page.locator("#cells img, #cells script, #cells b").count()).resolves.toBe(0);

    await hostileRow.click();
    const detail = page.locator("#detail");
    await detail.locator('dd[data-fact="reason"]').waitFor();
    await expect(detail.locator("h2").textContent()).resolves.toBe(hostileId);
    await expect(detail.locator('dd[data-fact="reason"]').textContent()).resolves.toBe(hostileReason);
    await expect(detail.locator(".timeline .summary").last().textContent()).resolves.toBe(`destroyed, outcome failed, forced: ${hostileReason}`);
    await expect(page.locator("#detail img, #detail script, #detail b").count()).resolves.toBe(0);
    await expect(page.evaluate(() => (window as unknown as { pwned?: string }).pwned)).resolves.toBeUndefined();
    expect(pageErrors).toEqual([]);
  });

  it("shows the ledger as broken as soon as the file stops verifying", async () => {
    await appendFile(ledgerPath, '{"not":"a ledger row"}\n');
    const broken = page.locator('#ledger[data-ledger-state="broken"]');
    await broken.waitFor();
    await expect(broken.textContent()).resolves.toBe(`ledger ✗ broken at row ${ALPHA.length + BETA.length}`);
    await expect(broken.getAttribute("title")).resolves.toContain(`row ${ALPHA.length + BETA.length}:`);
    expect(warnings).toEqual([]);
  });
});
