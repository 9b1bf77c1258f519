import type { Command } from "commander";
import type { KeyObject } from "node:crypto";
import { Ledger, importPublicKeyPem } from "@cellos-cortex/ledger";
import { CliError, EXIT } from "../cli-error.js";
import { Output } from "../output.js";
import { readUserFile } from "../read-input.js";

async function publicKeyFrom(path: string | undefined): Promise<KeyObject | undefined> {
  if (path === undefined) return undefined;
  const pem = await readUserFile(path, "public key file");
  try {
    return importPublicKeyPem(pem);
  } catch (error) {
    throw new CliError(`public key file ${path} is not an Ed25519 public key in PEM form`, EXIT.usage, "pass the SPKI PEM of the ledger's signing key", { cause: error });
  }
}

async function ensureReadable(path: string): Promise<void> {
  await readUserFile(path, "ledger file").then(() => undefined);
}

export function registerLedgerCommands(program: Command): void {
  const ledger = program.command("ledger").description("inspect and verify a signed, hash-chained ledger file");

  ledger
    .command("verify")
    .description("check every row: framing, hashes, the chain and (with --public-key) the signatures; exit 1 naming the first bad row")
    .argument("<file>", "ledger JSONL file")
    .option("--public-key <pem>", "every row must be signed by this Ed25519 key")
    .option("--json", "print the report as JSON")
    .action(async (file: string, flags: { publicKey?: string; json?: boolean }) => {
      const out = new Output({ json: flags.json === true });
      await ensureReadable(file);
      const publicKey = await publicKeyFrom(flags.publicKey);
      const report = await Ledger.verify(file, publicKey === undefined ? {} : { publicKey });
      out.result(report);
      if (report.ok) out.line(`ledger ${file}: ok, ${report.count} rows verified${publicKey === undefined ? " (signatures not checked: no --public-key)" : ""}`);
      else {
        out.line(`ledger ${file}: BROKEN at row ${report.firstBadIndex ?? "?"}: ${report.reason ?? "unknown reason"} (${report.count} rows before it verified)`);
        process.exitCode = EXIT.failed;
      }
    });

  ledger
    .command("show")
    .description("print the ledger's rows (one line each, or JSON with --json)")
    .argument("<file>", "ledger JSONL file")
    .option("--json", "print the rows as a JSON array")
    .action(async (file: string, flags: { json?: boolean }) => {
      const out = new Output({ json: flags.json === true });
      await ensureReadable(file);
      const rows: unknown[] = [];
      let index = 0;
      for await (const event of Ledger.read(file)) {
        if (flags.json === true) rows.push(event);
        else out.line(`${String(index).padStart(5)}  ${event.observedAt}  ${event.eventType}  ${event.eventHash.slice(0, 16)}…  ${event.sessionId ?? ""}`);
        index++;
      }
      out.result(rows);
      if (flags.json !== true) out.line(`${index} rows`);
    });
}
