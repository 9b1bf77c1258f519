import { lstat, readFile, readdir, writeFile } from "node:fs/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { MemoryEventSink } from "@cellos-cortex/cellos-core";
import type { EventSink } from "@cellos-cortex/cellos-core";
import { buildCellResult } from "@cellos-cortex/receiver";
import { afterEach, describe, expect, it } from "vitest";
import { isBridgeError } from "./bridge-error.js";
import { LocalCellHost } from "./local-cell-host.js";
import type { LocalCellHostOptions, LocalCellOutcome } from "./local-cell-host.js";
import { EnvSecretSource, MemorySecretSource } from "./secret-source.js";
import { cellDocument, dataOf, typesOf } from "./__fixtures__/documents.js";
import { RecordingLogger, pidsWithMarker, tempDir } from "./__fixtures__/test-helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A host on a fresh work dir, closed (and the dir removed) after the test. Isolation "none": these tests are about the host itself. */
async function host(options: Partial<LocalCellHostOptions> = {}): Promise<{ host: LocalCellHost; workDir: string }> {
  const { dir, cleanup } = await tempDir("host");
  const h = new LocalCellHost({ workDir: dir, isolation: "none", logger: new RecordingLogger(), ...options });
  cleanups.push(cleanup, () => h.close());
  return { host: h, workDir: dir };
}

function report(outcome: LocalCellOutcome): NonNullable<LocalCellOutcome["report"]> {
  if (outcome.report === undefined) throw new Error("no report");
  return outcome.report;
}

describe("LocalCellHost", () => {
  it("runs argv as given, never through a shell", async () => {
    const { host: h } = await host();
    const out = await h.submit(cellDocument("echo", ["/bin/echo", "$HOME", "a;b", "`id`"]));
    expect(report(out).stdout.text).toBe("$HOME a;b `id`\n");
    expect(out.exitCode).toBe(0);
  });

  it("emits the supervisor's events in order with their data", async () => {
    const sink = new MemoryEventSink();
    const { host: h } = await host({ eventSink: sink });
    const out = await h.submit(cellDocument("order", ["/bin/sh", "-c", "exit 3"]));
    expect(typesOf(sink.events)).toEqual(["lifecycle.v1.started", "observability.v1.process_spawned", "command.v1.completed", "lifecycle.v1.destroyed"]);
    expect(out.lifecycleEvents).toEqual(sink.events);
    const runId = out.runId;
    expect(dataOf(sink.events, "started")).toMatchObject({ cellId: "order", specId: "order", runId, isolation: "none", enforced: { ttl: true, egress: false, secrets: false, filesystem: false, exports: false, capabilities: false } });
    expect(dataOf(sink.events, "process_spawned")).toMatchObject({ cellId: "order", runId, program: "/bin/sh", argc: 3 });
    const completed = dataOf(sink.events, "command.v1.completed");
    expect(completed).toMatchObject({ cellId: "order", runId, argv: ["/bin/sh", "-c", "exit 3"], exitCode: 3 });
    expect(completed.durationMs).toEqual(expect.any(Number));
    expect(completed).not.toHaveProperty("spawnError");
    expect(dataOf(sink.events, "destroyed")).toEqual({ cellId: "order", specId: "order", runId, outcome: "failed", terminalState: "clean" });
    expect(buildCellResult("order", sink.events)).toMatchObject({ exitCode: 3, success: false });
  });

  it("gives each cell a fresh work directory and removes it afterwards", async () => {
    const { host: h, workDir } = await host();
    const a = report(await h.submit(cellDocument("same-id", ["/bin/sh", "-c", "pwd; touch left-behind"])));
    const b = report(await h.submit(cellDocument("same-id", ["/bin/sh", "-c", "pwd; ls"])));
    expect(a.stdout.text.trim()).toBe(a.workDir);
    expect(b.stdout.text.trim().split("\n")).toEqual([b.workDir]);
    expect(a.workDir).not.toBe(b.workDir);
    expect(a.workDir.startsWith(`${workDir}/same-id-`)).toBe(true);
    // Directories are removed right after the result; close waits for that.
    await h.close();
    await expect(lstat(a.workDir)).rejects.toMatchObject({ code: "ENOENT" });
    expect(await readdir(workDir)).toEqual([]);
  });

  it("keeps work directories when asked", async () => {
    const { host: h } = await host({ keepWorkDirs: true });
    const r = report(await h.submit(cellDocument("keep", ["/bin/sh", "-c", "echo kept > file"])));
    expect(await readFile(join(r.workDir, "file"), "utf8")).toBe("kept\n");
  });

  it("gives the cell a minimal environment: none of the parent's variables", async () => {
    process.env.BRIDGE_TEST_PLANTED_SECRET = "s3cr3t-planted-in-parent";
    try {
      const { host: h } = await host({ env: { EXTRA: "given" } });
      const r = report(await h.submit(cellDocument("env", ["/usr/bin/env"])));
      const names = r.stdout.text.trim().split("\n").map((line) => line.split("=")[0]).sort();
      expect(names).toEqual(["CELLOS_CELL_ID", "CELLOS_RUN_ID", "EXTRA", "HOME", "LANG", "PATH", "TMPDIR"]);
      expect(r.stdout.text).not.toContain("s3cr3t-planted-in-parent");
      expect(r.stdout.text).toContain(`HOME=${r.workDir}\n`);
    } finally {
      delete process.env.BRIDGE_TEST_PLANTED_SECRET;
    }
  });

  it("delivers declared secrets from the secret source, and only those", async () => {
    const { host: h } = await host({ secretSource: new MemorySecretSource({ "api-token": "tok-123", unused: "never" }) });
    const r = report(await h.submit(cellDocument("sec", ["/usr/bin/env"], { authority: { secretRefs: ["api-token"] } })));
    expect(r.stdout.text).toContain("API_TOKEN=tok-123\n");
    expect(r.stdout.text).not.toContain("never");
  });

  it("EnvSecretSource reads CELLOS_SECRET_<KEY> for declared refs only", async () => {
    const source = new EnvSecretSource({ env: { CELLOS_SECRET_API_TOKEN: "from-env", OTHER: "x" } });
    await expect(source.resolve("api-token")).resolves.toBe("from-env");
    await expect(source.resolve("other")).resolves.toBeUndefined();
  });

  it("refuses a cell whose secrets cannot be resolved, before emitting anything", async () => {
    const sink = new MemoryEventSink();
    const { host: noSource } = await host({ eventSink: sink });
    await expect(noSource.submit(cellDocument("s1", ["/bin/true"], { authority: { secretRefs: ["k"] } }))).rejects.toMatchObject({ kind: "Secret" });
    const { host: missing } = await host({ eventSink: sink, secretSource: new MemorySecretSource({}) });
    await expect(missing.submit(cellDocument("s2", ["/bin/true"], { authority: { secretRefs: ["k"] } }))).rejects.toMatchObject({ kind: "Secret", message: expect.stringContaining('"k"') as string });
    const failing = { resolve: () => Promise.reject(new Error("vault down")) };
    const { host: broken } = await host({ eventSink: sink, secretSource: failing });
    await expect(broken.submit(cellDocument("s3", ["/bin/true"], { authority: { secretRefs: ["k"] } }))).rejects.toMatchObject({ kind: "Secret", message: expect.stringContaining("vault down") as string });
    expect(sink.events).toEqual([]);
  });

  it("reports a missing binary as a spawn error, without a process_spawned event", async () => {
    const sink = new MemoryEventSink();
    const { host: h } = await host({ eventSink: sink });
    const out = await h.submit(cellDocument("missing", ["no-such-agent-binary", "x"]));
    expect(typesOf(sink.events)).toEqual(["lifecycle.v1.started", "command.v1.completed", "lifecycle.v1.destroyed"]);
    const completed = dataOf(sink.events, "command.v1.completed");
    expect(completed.exitCode).toBe(127);
    expect(completed.spawnError).toContain("no-such-agent-binary");
    expect(dataOf(sink.events, "destroyed")).toMatchObject({ outcome: "failed", reason: "spawn_failed" });
    expect(out.exitCode).toBe(127);
    const absolute = await h.submit(cellDocument("missing2", ["/nope/agent"]));
    expect(report(absolute).spawnError).toContain("/nope/agent");
  });

  it("reports an argument the OS cannot take (a NUL byte) as a spawn error, not a crash", async () => {
    const sink = new MemoryEventSink();
    const { host: h } = await host({ eventSink: sink });
    const out = await h.submit(cellDocument("nul", ["/bin/echo", "a\u0000b"]));
    expect(report(out)).toMatchObject({ exitCode: 127, reason: "spawn_failed", outcome: "failed" });
    expect(typesOf(sink.events)).toEqual(["lifecycle.v1.started", "command.v1.completed", "lifecycle.v1.destroyed"]);
  });

  it("refuses a value that is not a document at all", async () => {
    const { host: h } = await host();
    for (const junk of [null, {}, { spec: null }, "cell"]) {
      await expect(h.submit(junk as never)).rejects.toMatchObject({ kind: "InvalidDocument" });
    }
  });

  it("reports a file that is not executable as a spawn error", async () => {
    const { host: h, workDir } = await host();
    const file = join(workDir, "not-executable.sh");
    await writeFile(file, "#!/bin/sh\necho ran\n", { mode: 0o644 });
    const r = report(await h.submit(cellDocument("noexec", [file])));
    expect(r.exitCode).toBe(127);
    expect(r.spawnError).toBeDefined();
  });

  it("kills the whole process group when the TTL runs out: forced / ttl_exceeded", async () => {
    const sink = new MemoryEventSink();
    const marker = `31.${process.pid}${Date.now() % 1000}`;
    const { host: h } = await host({ eventSink: sink, killGraceMs: 200 });
    // The agent leaves a grandchild in its group; the TTL kill must take it too.
    const out = await h.submit(cellDocument("slow", ["/bin/sh", "-c", `sleep ${marker} & sleep ${marker}; echo never`], { ttlSeconds: 1 }));
    const r = report(out);
    expect(r.terminalState).toBe("forced");
    expect(r.reason).toBe("ttl_exceeded");
    expect(r.stdout.text).toBe("");
    expect(dataOf(sink.events, "destroyed")).toMatchObject({ outcome: "failed", terminalState: "forced", reason: "ttl_exceeded" });
    expect(dataOf(sink.events, "command.v1.completed").exitCode).toBe(128 + 15);
    expect(await pidsWithMarker(`sleep ${marker}`)).toEqual([]);
  });

  it("run.timeoutMs shorter than the TTL also forces the cell down", async () => {
    const { host: h } = await host({ killGraceMs: 100 });
    const r = report(await h.submit(cellDocument("quick-timeout", ["/bin/sleep", "30"], { ttlSeconds: 60, timeoutMs: 150 })));
    expect(r).toMatchObject({ terminalState: "forced", reason: "ttl_exceeded", outcome: "failed" });
  });

  it("escalates to SIGKILL when the agent ignores SIGTERM", async () => {
    const { host: h } = await host({ killGraceMs: 100 });
    const r = report(await h.submit(cellDocument("stubborn", ["/bin/sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"], { ttlSeconds: 60, timeoutMs: 100 })));
    expect(r).toMatchObject({ terminalState: "forced", reason: "ttl_exceeded", exitCode: 128 + 9 });
  });

  it("keeps only the tail of a 50 MB stdout: bounded memory", async () => {
    const { host: h } = await host({ maxOutputBytes: 64 * 1024 });
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    gc();
    const before = process.memoryUsage();
    const r = report(await h.submit(cellDocument("flood", ["/bin/sh", "-c", "head -c 52428800 /dev/zero | tr '\\0' 'a'; echo; echo END >&2"])));
    // Buffers are released by finalizers after collection: collect a few times, yielding between.
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const after = process.memoryUsage();
    expect(r.exitCode).toBe(0);
    expect(r.stdout.totalBytes).toBe(52_428_801);
    expect(r.stdout.truncated).toBe(true);
    expect(Buffer.byteLength(r.stdout.text)).toBe(64 * 1024);
    expect(r.stdout.text.endsWith("aaaa\n")).toBe(true);
    expect(r.stderr).toEqual({ text: "END\n", totalBytes: 4, truncated: false });
    // 50 MB went through; after a collection, about the captured tail stayed.
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(4 * 1024 * 1024);
  });

  it("reports an exit by signal as signal_killed with 128 + signal", async () => {
    const { host: h } = await host();
    const r = report(await h.submit(cellDocument("self-kill", ["/bin/sh", "-c", "kill -KILL $$"])));
    expect(r).toMatchObject({ exitCode: 137, outcome: "failed", terminalState: "clean", reason: "signal_killed" });
  });

  it("copies declared exports out with a receipt, refusing symlinks and missing files", async () => {
    const sink = new MemoryEventSink();
    const { host: h, workDir } = await host({ eventSink: sink });
    const script = "mkdir out && printf 'hello' > out/report.txt && ln -s /etc/hostname out/link";
    const out = await h.submit(
      cellDocument("exp", ["/bin/sh", "-c", script], {
        export: { artifacts: [{ name: "report", path: "out/report.txt" }, { name: "link", path: "out/link" }, { name: "absent", path: "nope.txt" }] },
      }),
    );
    const r = report(out);
    expect(typesOf(sink.events)).toEqual([
      "lifecycle.v1.started",
      "observability.v1.process_spawned",
      "command.v1.completed",
      "export.v2.completed",
      "export.v2.failed",
      "export.v2.failed",
      "lifecycle.v1.destroyed",
    ]);
    const destinationRelative = `exp/${out.runId}/report`;
    const completed = dataOf(sink.events, "export.v2.completed");
    expect(completed).toMatchObject({
      cellId: "exp",
      artifactName: "report",
      receipt: { targetKind: "local", destinationRelative, bytes: 5, sha256: createHash("sha256").update("hello").digest("hex") },
    });
    expect(await readFile(join(workDir, "exports", destinationRelative), "utf8")).toBe("hello");
    expect(r.exportFiles).toEqual([join(workDir, "exports", destinationRelative)]);
    const failures = sink.events.filter((e) => e.type.endsWith("export.v2.failed")).map((e) => e.data as Record<string, unknown>);
    expect(failures.map((f) => [f.artifactName, f.reason])).toEqual([
      ["link", expect.stringContaining("symbolic link")],
      ["absent", expect.stringContaining("does not exist")],
    ]);
    expect(dataOf(sink.events, "destroyed")).toMatchObject({ outcome: "failed", reason: "export_failed" });
    expect(buildCellResult("exp", sink.events)?.exportPaths).toEqual([destinationRelative]);
  });

  it("refuses an export whose directory is a symlink out of the cell", async () => {
    const { host: h } = await host();
    const r = report(await h.submit(cellDocument("exp-dir", ["/bin/sh", "-c", "ln -s /etc out"], { export: { artifacts: [{ name: "hostname", path: "out/hostname" }] } })));
    expect(r.exportFiles).toEqual([]);
    const failed = r.events.find((e) => e.type.endsWith("export.v2.failed"))?.data as Record<string, unknown>;
    expect(failed.reason).toContain("outside the cell's work directory");
  });

  it("does not export when the authority forbids exports", async () => {
    const { host: h } = await host();
    const r = report(await h.submit(cellDocument("no-exp", ["/bin/sh", "-c", "echo x > f"], { authority: { exports: { allowed: false } }, export: { artifacts: [{ name: "f", path: "f" }] } })));
    expect(r.exportFiles).toEqual([]);
    const failed = r.events.find((e) => e.type.endsWith("export.v2.failed"))?.data as Record<string, unknown>;
    expect(failed.reason).toContain("not allowed");
  });

  it("refuses documents it cannot run, with InvalidDocument and no events", async () => {
    const sink = new MemoryEventSink();
    const { host: h } = await host({ eventSink: sink });
    const noRun = cellDocument("no-run", ["/bin/true"]);
    delete noRun.spec.run;
    const bad = [
      noRun,
      cellDocument("bad id!", ["/bin/true"]),
      cellDocument("exp", ["/bin/true"], { export: { artifacts: [{ name: "../x", path: "f" }] } }),
      cellDocument("exp2", ["/bin/true"], { export: { artifacts: [{ name: "x", path: "../../etc/passwd" }] } }),
      cellDocument("exp3", ["/bin/true"], { export: "everything" }),
      cellDocument("wp", ["/bin/true"], { authority: { filesystem: { readOnly: true, writablePaths: ["/etc"] } } }),
      cellDocument("wp2", ["/bin/true"], { authority: { filesystem: { readOnly: true, writablePaths: ["../.."] } } }),
      cellDocument("wd", ["/bin/true"], { workingDirectory: "../../.." }),
      cellDocument("wd2", ["/bin/true"], { workingDirectory: "/no/such/dir" }),
    ];
    for (const document of bad) {
      const error: unknown = await h.submit(document).catch((e: unknown) => e);
      expect(isBridgeError(error, "InvalidDocument"), `${document.spec.id}: ${String(error)}`).toBe(true);
    }
    expect(sink.events).toEqual([]);
    expect(h.running).toBe(0);
  });

  it("runs in a working directory inside the cell when asked", async () => {
    const { host: h } = await host();
    const r = report(await h.submit(cellDocument("wd-ok", ["/bin/sh", "-c", "pwd"], { workingDirectory: "sub/dir" })));
    expect(r.stdout.text.trim()).toBe(join(r.workDir, "sub/dir"));
  });

  it("abort forces the cell down and rejects the submission", async () => {
    const sink = new MemoryEventSink();
    const { host: h } = await host({ eventSink: sink, killGraceMs: 100 });
    const controller = new AbortController();
    const pending = h.submit(cellDocument("aborted", ["/bin/sleep", "30"]), { signal: controller.signal });
    await waitFor(() => sink.events.some((e) => e.type.endsWith("process_spawned")));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ kind: "Aborted" });
    await h.close();
    expect(dataOf(sink.events, "destroyed")).toMatchObject({ outcome: "failed", terminalState: "forced", reason: "aborted" });
  });

  it("returnAfter started resolves once spawned; close forces running cells down", async () => {
    const sink = new MemoryEventSink();
    const { host: h } = await host({ eventSink: sink, returnAfter: "started", killGraceMs: 100 });
    const out = await h.submit(cellDocument("bg", ["/bin/sleep", "30"]));
    expect(out.lifecycleEvents).toEqual([]);
    expect(out.exitCode).toBeUndefined();
    expect(h.running).toBe(1);
    expect(typesOf(sink.events)).toEqual(["lifecycle.v1.started", "observability.v1.process_spawned"]);
    await h.close();
    expect(h.running).toBe(0);
    expect(dataOf(sink.events, "destroyed")).toMatchObject({ terminalState: "forced", reason: "host_closed" });
    await expect(h.submit(cellDocument("late", ["/bin/true"]))).rejects.toMatchObject({ kind: "Closed" });
  });

  it("a sink that fails is logged and the cell still runs to the end", async () => {
    const logger = new RecordingLogger();
    const sink: EventSink = { emit: () => Promise.reject(new Error("sink down")) };
    const { host: h } = await host({ eventSink: sink, logger });
    const out = await h.submit(cellDocument("sinkless", ["/bin/true"]));
    expect(out.exitCode).toBe(0);
    expect(out.lifecycleEvents).toHaveLength(4);
    expect(logger.warnings).toHaveLength(4);
    expect(logger.warnings[0]?.fields).toMatchObject({ cellId: "sinkless", error: "sink down" });
  });

  it("isolation bubblewrap without a usable bwrap is refused with the install hint; auto falls back and says so", async () => {
    const { host: strict } = await host({ isolation: "bubblewrap", bwrapPath: "/nonexistent/bwrap" });
    await expect(strict.submit(cellDocument("iso", ["/bin/true"]))).rejects.toMatchObject({ kind: "Isolation", message: expect.stringContaining("apt-get install bubblewrap") as string });
    const { host: auto } = await host({ isolation: "auto", bwrapPath: "/nonexistent/bwrap" });
    const r = report(await auto.submit(cellDocument("iso2", ["/bin/true"])));
    expect(r.isolation).toBe("none");
    const started = dataOf(r.events, "started");
    expect(started.isolation).toBe("none");
    expect(started.isolationNote).toContain("apt-get install bubblewrap");
    expect(started.enforced).toMatchObject({ egress: false, secrets: false, filesystem: false });
  });

  it("refuses bad options", () => {
    expect(() => new LocalCellHost({ workDir: "" })).toThrow(expect.objectContaining({ kind: "InvalidOptions" }) as Error);
    expect(() => new LocalCellHost({ workDir: "/tmp/x", isolation: "vm" as "none" })).toThrow(expect.objectContaining({ kind: "InvalidOptions" }) as Error);
    expect(() => new LocalCellHost({ workDir: "/tmp/x", returnAfter: "started" })).toThrow(expect.objectContaining({ kind: "InvalidOptions", message: expect.stringContaining("eventSink") as string }) as Error);
    expect(() => new LocalCellHost({ workDir: "/tmp/x", maxOutputBytes: -1 })).toThrow(expect.objectContaining({ kind: "InvalidOptions" }) as Error);
  });
});

/** Resolves once `condition` holds, checking on each turn of the event loop (bounded). */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error("condition never held");
}
