import { once } from "node:events";
import { lstat, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";
import { join } from "node:path";
import { MemoryEventSink } from "@cellos-cortex/cellos-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TestContext } from "vitest";
import { BUBBLEWRAP_INSTALL_HINT, detectBubblewrap } from "./bubblewrap.js";
import type { BubblewrapStatus } from "./bubblewrap.js";
import { createContextPack } from "./context-pack.js";
import { CortexCellRunner } from "./cortex-cell-runner.js";
import { LocalCellHost } from "./local-cell-host.js";
import type { LocalCellHostOptions, LocalCellOutcome } from "./local-cell-host.js";
import { cellDocument, dataOf } from "./__fixtures__/documents.js";
import { RecordingLogger, pidsWithMarker, tempDir } from "./__fixtures__/test-helpers.js";

// These tests prove the isolation is real, so they need bubblewrap. Without it
// they are skipped, loudly, with the install hint: never passed silently.
let bwrap: BubblewrapStatus = { available: false, reason: "not probed" };
beforeAll(async () => {
  bwrap = await detectBubblewrap();
  if (!bwrap.available) console.warn(`[bridge isolation tests] SKIPPED: ${withHint(bwrap.reason)}`);
});

function needBubblewrap(context: TestContext): void {
  if (!bwrap.available) context.skip(`bubblewrap is not usable here: ${withHint(bwrap.reason)}`);
}

function withHint(reason: string): string {
  return reason.includes(BUBBLEWRAP_INSTALL_HINT) ? reason : `${reason} (${BUBBLEWRAP_INSTALL_HINT})`;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function isolatedHost(options: Partial<LocalCellHostOptions> = {}): Promise<{ host: LocalCellHost; workDir: string }> {
  const { dir, cleanup } = await tempDir("iso");
  const host = new LocalCellHost({ workDir: dir, isolation: "bubblewrap", logger: new RecordingLogger(), killGraceMs: 200, ...options });
  cleanups.push(cleanup, () => host.close());
  return { host, workDir: dir };
}

function report(outcome: LocalCellOutcome): NonNullable<LocalCellOutcome["report"]> {
  if (outcome.report === undefined) throw new Error("no report");
  return outcome.report;
}

describe("LocalCellHost isolation (bubblewrap)", () => {
  let server: Server;
  let port: number;
  let connections = 0;
  beforeAll(async () => {
    server = createServer((socket) => {
      connections++;
      socket.end("hello from the host\n");
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.close();
    await once(server, "close");
  });

  it("a cell allowed egress reaches a TCP server on 127.0.0.1; after a doctrine that denies egress it cannot", async (context) => {
    needBubblewrap(context);
    const sink = new MemoryEventSink();
    const { host } = await isolatedHost({ eventSink: sink });
    // The agent connects to the test's server and exits 0 on success, 2 on failure.
    const agent = [
      process.execPath,
      "-e",
      `const s = require("node:net").connect(${port}, "127.0.0.1"); s.on("data", (d) => { process.stdout.write(d); process.exit(0); }); s.on("error", (e) => { console.error(e.code); process.exit(2); });`,
    ];
    const runner = new CortexCellRunner(host, agent, { authority: { egressRules: [{ host: "127.0.0.1", port }] }, eventSink: sink });
    const before = connections;

    const allowed = await runner.run(createContextPack("connect", { memoryDigest: "egress-allowed" }));
    expect(allowed).toMatchObject({ success: true, exitCode: 0, doctrineRefs: [] });
    expect(connections).toBe(before + 1);

    const denied = await runner.run(createContextPack("connect", { memoryDigest: "egress-denied", doctrineRefs: ["no-egress"] }));
    expect(denied).toMatchObject({ success: false, exitCode: 2, doctrineRefs: ["no-egress"] });
    expect(connections).toBe(before + 1);

    // The started events say what was enforced: an allow-list is only recorded; no egress at all is enforced.
    const started = sink.events.filter((e) => e.type.endsWith("lifecycle.v1.started")).map((e) => e.data as Record<string, unknown>);
    expect(started.map((d) => [d.cellId, d.isolation, (d.enforced as Record<string, boolean>).egress])).toEqual([
      ["cortex-egress-allow-connect", "bubblewrap", false],
      ["cortex-egress-denie-connect", "bubblewrap", true],
    ]);
    await runner.close();
  });

  it("a read-only cell cannot write outside its writable paths", async (context) => {
    needBubblewrap(context);
    const { host } = await isolatedHost({ keepWorkDirs: true });
    // Each write that must fail exits with its own code if it succeeds.
    const script = [
      "echo ok > out/ok || exit 10",
      "if echo x > forbidden 2>/dev/null; then exit 11; fi",
      "if echo x > /tmp/forbidden 2>/dev/null; then exit 12; fi",
      'if echo x > "$HOME/.profile" 2>/dev/null; then exit 13; fi',
      "if mkdir /etc/cellos-forbidden 2>/dev/null; then exit 14; fi",
      "if touch /forbidden 2>/dev/null; then exit 15; fi",
      "exit 0",
    ].join("\n");
    const r = report(
      await host.submit(
        cellDocument("ro", ["/bin/sh", "-c", script], {
          authority: { filesystem: { readOnly: true, writablePaths: ["out"] } },
          export: { artifacts: [{ name: "ok", path: "out/ok" }] },
        }),
      ),
    );
    expect(r.exitCode).toBe(0);
    // The shell says why each forbidden write failed.
    expect(r.stderr.text.match(/Read-only file system/g)?.length).toBeGreaterThanOrEqual(3);
    expect(await readFile(join(r.workDir, "out/ok"), "utf8")).toBe("ok\n");
    await expect(lstat(join(r.workDir, "forbidden"))).rejects.toMatchObject({ code: "ENOENT" });
    await expect(lstat("/etc/cellos-forbidden")).rejects.toMatchObject({ code: "ENOENT" });
    expect(r.exportFiles).toHaveLength(1);
    expect(r.enforced.filesystem).toBe(true);
  });

  it("the read-only-filesystem doctrine turns a writing agent's success into failure", async (context) => {
    needBubblewrap(context);
    const { host } = await isolatedHost();
    const runner = new CortexCellRunner(host, ["/bin/sh", "-c", 'echo data > "./$0.txt"']);
    await expect(runner.run(createContextPack("write"))).resolves.toMatchObject({ success: true, exitCode: 0 });
    await expect(runner.run(createContextPack("write", { doctrineRefs: ["read-only-filesystem"] }))).resolves.toMatchObject({ success: false, exitCode: 2 });
  });

  it("a fake secret planted in the parent's environment is invisible inside the cell", async (context) => {
    needBubblewrap(context);
    process.env.BRIDGE_TEST_PLANTED_SECRET = "s3cr3t-planted-in-parent";
    try {
      const { host } = await isolatedHost();
      // Look everywhere a process can find another's environment: its own, and every /proc/<pid>/environ it can see.
      const script = `env; for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < "$f"; done 2>/dev/null; cat /proc/${process.pid}/environ 2>/dev/null && echo HOST-PROC-VISIBLE; ls /proc | grep -c '^[0-9]'`;
      const r = report(await host.submit(cellDocument("secret", ["/bin/sh", "-c", script])));
      expect(r.exitCode).toBe(0);
      expect(r.stdout.text).not.toContain("s3cr3t-planted-in-parent");
      expect(r.stdout.text).not.toContain("HOST-PROC-VISIBLE");
      // Its own PID namespace: bwrap, the shell and its children only.
      expect(Number(r.stdout.text.trim().split("\n").at(-1))).toBeLessThan(10);
      expect(r.enforced.secrets).toBe(true);
    } finally {
      delete process.env.BRIDGE_TEST_PLANTED_SECRET;
    }
  });

  it("without bubblewrap the same cell can read the host's /proc, which is why secrets are only recorded there", async (context) => {
    needBubblewrap(context);
    const { host } = await isolatedHost({ isolation: "none" });
    const r = report(await host.submit(cellDocument("no-iso", ["/bin/sh", "-c", `cat /proc/${process.pid}/environ > /dev/null && echo HOST-PROC-VISIBLE`])));
    expect(r.stdout.text).toContain("HOST-PROC-VISIBLE");
    expect(r.enforced).toMatchObject({ secrets: false, filesystem: false, egress: false });
  });

  it("the TTL kill reaches every process in the sandbox", async (context) => {
    needBubblewrap(context);
    const marker = `32.${process.pid}${Date.now() % 1000}`;
    const { host } = await isolatedHost();
    const r = report(await host.submit(cellDocument("iso-ttl", ["/bin/sh", "-c", `sleep ${marker} & sleep ${marker}`], { ttlSeconds: 30, timeoutMs: 200 })));
    expect(r).toMatchObject({ terminalState: "forced", reason: "ttl_exceeded", outcome: "failed" });
    expect(await pidsWithMarker(`sleep ${marker}`)).toEqual([]);
  });

  it("a missing binary is a spawn error inside the sandbox too", async (context) => {
    needBubblewrap(context);
    const sink = new MemoryEventSink();
    const { host } = await isolatedHost({ eventSink: sink });
    const r = report(await host.submit(cellDocument("iso-missing", ["no-such-agent-binary"])));
    expect(r).toMatchObject({ exitCode: 127, reason: "spawn_failed" });
    expect(dataOf(sink.events, "command.v1.completed").spawnError).toContain("no-such-agent-binary");
  });

  it("the started event states the enforced axes for each authority", async (context) => {
    needBubblewrap(context);
    const { host } = await isolatedHost();
    const open = report(await host.submit(cellDocument("axes-1", ["/bin/true"], { authority: { egressRules: [{ host: "example.com", port: 443 }] } })));
    expect(open.enforced).toEqual({ ttl: true, egress: false, secrets: true, filesystem: true, exports: true, capabilities: true });
    const closed = report(await host.submit(cellDocument("axes-2", ["/bin/true"])));
    expect(closed.enforced).toEqual({ ttl: true, egress: true, secrets: true, filesystem: true, exports: true, capabilities: true });
    expect(dataOf(closed.events, "started").enforced).toEqual(closed.enforced);
  });

  it("the cell has no Linux capabilities", async (context) => {
    needBubblewrap(context);
    const { host } = await isolatedHost();
    const r = report(await host.submit(cellDocument("caps", ["/bin/sh", "-c", "grep CapEff /proc/self/status"])));
    expect(r.stdout.text.trim()).toBe("CapEff:\t0000000000000000");
  });

  it("a program under the host's /tmp is hidden by the private /tmp unless listed in visiblePaths, then read-only", async (context) => {
    needBubblewrap(context);
    const { dir: toolDir, cleanup } = await tempDir("tool");
    cleanups.push(cleanup);
    const tool = join(toolDir, "tool.mjs");
    await writeFile(tool, 'console.log("tool ran");\n');
    const argv = [process.execPath, tool];
    const hidden = report(await (await isolatedHost()).host.submit(cellDocument("hidden-tool", argv)));
    expect(hidden.exitCode).not.toBe(0);
    const { host } = await isolatedHost({ visiblePaths: [toolDir] });
    const shown = report(await host.submit(cellDocument("visible-tool", argv)));
    expect(shown).toMatchObject({ exitCode: 0 });
    expect(shown.stdout.text).toBe("tool ran\n");
    const write = report(await host.submit(cellDocument("write-tool", ["/bin/sh", "-c", `echo x > ${JSON.stringify(tool)}`])));
    expect(write.exitCode).not.toBe(0);
    expect(await readFile(tool, "utf8")).toBe('console.log("tool ran");\n');
  });

  it("refuses relative visiblePaths", () => {
    expect(() => new LocalCellHost({ workDir: "/tmp/x", visiblePaths: ["relative/dir"] })).toThrow(/visiblePaths entries must be absolute/);
  });
});
