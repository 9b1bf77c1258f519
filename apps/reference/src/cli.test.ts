import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateExecutionCellDocument } from "@cellos-cortex/cellos-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { APP_DIR, CLI as cli, SAMPLE_PACK as samplePack, assertCliBuilt, runCli as run } from "./__fixtures__/cli-process.js";

const repoRoot = join(APP_DIR, "..", "..");

let scratch: string;
beforeAll(async () => {
  assertCliBuilt();
  scratch = await mkdtemp(join(tmpdir(), "cellos-cortex-cli-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("cellos-cortex CLI", () => {
  it("prints help for every command and exits 0", async () => {
    const top = await run(["--help"]);
    expect(top.code).toBe(0);
    for (const command of ["demo", "translate", "run", "receive", "ledger", "serve", "worker"]) expect(top.stdout).toContain(command);
    for (const command of [["demo"], ["translate"], ["run"], ["receive"], ["ledger", "verify"], ["ledger", "show"], ["serve"], ["worker"]]) {
      const help = await run([...command, "--help"]);
      expect(help.code, command.join(" ")).toBe(0);
      expect(help.stdout).toContain("Usage: cellos-cortex");
    }
  });

  it("demo --json runs end to end: cell succeeded, doctrine narrowed, ledger verified, claim capped", async () => {
    const dir = join(scratch, "demo");
    const ran = await run(["demo", "--json", "--dir", dir]);
    expect(ran.stderr).not.toContain("error:");
    expect(ran.code).toBe(0);
    const summary = JSON.parse(ran.stdout);
    expect(summary.cellId).toMatch(/^cortex-[A-Za-z0-9._-]+$/);
    expect(summary.result).toMatchObject({ cellId: summary.cellId, success: true, exitCode: 0 });
    expect(summary.exports).toHaveLength(1);
    expect(summary.doctrine.applied.flatMap((a: { changes: { path: string }[] }) => a.changes.map((c) => c.path))).toEqual(
      expect.arrayContaining(["/spec/authority/egressRules", "/spec/authority/secretRefs", "/spec/lifetime/ttlSeconds"]),
    );
    expect(summary.lifecycle.map((s: { type: string }) => s.type)).toEqual(
      expect.arrayContaining(["dev.cellos.events.cell.lifecycle.v1.started", "dev.cellos.events.cell.command.v1.completed", "dev.cellos.events.cell.lifecycle.v1.destroyed"]),
    );
    expect(summary.lifecycle.at(-1).type).toBe("dev.cellos.events.cell.lifecycle.v1.destroyed");
    // One agent response row plus one row per cell event.
    expect(summary.ledger).toMatchObject({ ok: true, count: summary.lifecycle.length + 1 });
    expect(summary.claim.ceiling).toBe("local_unsigned");
    expect(summary.claim.reasons).toContain("proof state Partial caps claims at signed_local_ledger");
    expect(summary.isolation.enforced.ttl).toBe(true);
  });

  it("demo prints a readable summary with its steps", async () => {
    const ran = await run(["demo"]);
    expect(ran.code).toBe(0);
    expect(ran.stderr).toContain("✓ verify the ledger");
    expect(ran.stdout).toMatch(/Exit code\s+0 \(succeeded\)/);
    expect(ran.stdout).toMatch(/Ledger\s+verified: \d+ signed rows/);
    expect(ran.stdout).toContain("proof state Partial caps claims at signed_local_ledger");
  });

  it("translate prints a valid ExecutionCell document, JSON or YAML, and explains the policy on stderr", async () => {
    const json = await run(["translate", samplePack, "--agent", "node", "agent.js"]);
    expect(json.code).toBe(0);
    const document = JSON.parse(json.stdout);
    expect(() => validateExecutionCellDocument(document)).not.toThrow();
    expect(document.spec.run.argv).toEqual(["node", "agent.js", "Summarize the failing integration tests and propose a fix"]);
    expect(json.stderr).toContain("doctrine");
    const yaml = await run(["translate", samplePack, "--yaml"]);
    expect(yaml.code).toBe(0);
    expect(parseYaml(yaml.stdout)).toEqual(expect.objectContaining({ apiVersion: "cellos.io/v1", kind: "ExecutionCell" }));
  });

  it("a broken pack file is one clear error line and exit code 2, no stack trace", async () => {
    const broken = join(scratch, "broken.json");
    await writeFile(broken, '{"context_pack_id": "ctx_01JF3Z8Q4W6B2N7R5T9V1X3Y5Z", "task": ');
    const ran = await run(["translate", broken]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/^error: pack file .*broken\.json is not valid JSON/m);
    expect(ran.stderr).not.toMatch(/\n\s+at /);
    const wrongShape = join(scratch, "wrong.json");
    await writeFile(wrongShape, JSON.stringify({ context_pack_id: "ctx_01JF3Z8Q4W6B2N7R5T9V1X3Y5Z", task: 42 }));
    const shaped = await run(["translate", wrongShape]);
    expect(shaped.code).toBe(2);
    expect(shaped.stderr).toMatch(/^error: pack file .*wrong\.json is not a Cortex context pack/m);
    const missing = await run(["translate", join(scratch, "nope.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: pack file .*nope\.json does not exist/m);
  });

  it("--debug adds the stack trace", async () => {
    const ran = await run(["--debug", "translate", join(scratch, "nope.json")]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/\n\s+at /);
  });

  it("run with a missing agent binary reports the failed cell and exits 1", async () => {
    const ran = await run(["run", samplePack, "--agent", "/nonexistent/agent-binary", "--isolation", "none", "--json"]);
    expect(ran.code).toBe(1);
    const result = JSON.parse(ran.stdout);
    expect(result).toMatchObject({ success: false });
    expect(result.exitCode).not.toBe(0);
  });

  it("run takes the agent argv after -- when its arguments start with -, and refuses none or both", async () => {
    const ran = await run(["run", samplePack, "--isolation", "none", "--json", "--", "/bin/sh", "-c", "exit 3"]);
    expect(ran.code).toBe(1);
    expect(JSON.parse(ran.stdout)).toMatchObject({ success: false, exitCode: 3 });
    const none = await run(["run", samplePack, "--isolation", "none"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("run needs the agent to start");
    const both = await run(["run", samplePack, "--agent", "/bin/true", "--", "/bin/false"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("the agent is given twice");
  });

  it("run executes a real agent on the local host", async () => {
    const ran = await run(["run", samplePack, "--agent", "/bin/true", "--json"]);
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ success: true, exitCode: 0 });
  });

  it("ledger verify passes an intact ledger and names the first bad row of a tampered one", async () => {
    const dir = join(scratch, "tamper");
    expect((await run(["demo", "--json", "--dir", dir])).code).toBe(0);
    const ledgerPath = join(dir, "ledger.jsonl");
    const intact = await run(["ledger", "verify", ledgerPath, "--json"]);
    expect(intact.code).toBe(0);
    expect(JSON.parse(intact.stdout)).toMatchObject({ ok: true });

    const shown = await run(["ledger", "show", ledgerPath]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("cortex.event.agent_response.v1");

    const lines = (await readFile(ledgerPath, "utf8")).split("\n");
    const row = lines[3] ?? "";
    // Change one character inside the CloudEvent payload of row 3.
    lines[3] = row.replace(/"specversion":"1\.0"/, '"specversion":"1.1"');
    expect(lines[3]).not.toBe(row);
    await writeFile(ledgerPath, lines.join("\n"));
    const tampered = await run(["ledger", "verify", ledgerPath]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain("BROKEN at row 3");
  });

  it("demo --serve shows the finished cell on the dashboard until interrupted", async () => {
    const child = spawn(process.execPath, [cli, "demo", "--serve", "--port", "0", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no dashboard URL within 20 s; stderr: ${stderr}`)), 20_000);
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /dashboard still serving at (http:\/\/\S+)/.exec(stderr);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once("exit", () => reject(new Error(`demo exited early; stderr: ${stderr}`)));
    });
    const summary = JSON.parse(stdout);
    const cells = await (await fetch(new URL("/api/cells", url))).json();
    expect(JSON.stringify(cells)).toContain(summary.cellId);
    expect(JSON.stringify(cells)).toContain("succeeded");
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  });

  it("the README's test command is the one .ci/run runs", async () => {
    const readme = await readFile(join(repoRoot, "README.md"), "utf8");
    const ci = await readFile(join(repoRoot, ".ci", "run"), "utf8");
    const quickStart = /## Quick start\s+```sh\n([^\n]+)\n([^\n]+)\n```/.exec(readme);
    expect(quickStart).not.toBeNull();
    const [, demoCommand, testCommand] = quickStart ?? [];
    expect(demoCommand).toMatch(/ demo$/);
    expect(ci.split("\n")).toContain(testCommand);
  });
});
