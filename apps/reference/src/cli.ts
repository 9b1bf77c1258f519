#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { EXIT } from "./cli-error.js";
import { registerDemoCommand } from "./commands/demo.js";
import { registerLedgerCommands } from "./commands/ledger.js";
import { registerReceiveCommand } from "./commands/receive.js";
import { registerRunCommand } from "./commands/run.js";
import { registerServeCommand } from "./commands/serve.js";
import { registerTranslateCommand } from "./commands/translate.js";
import { registerWorkerCommand } from "./commands/worker.js";
import { describeFailure } from "./describe-failure.js";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command()
  .name("cellos-cortex")
  .description("Bridge Cortex context packs to CellOS execution cells: translate, run, receive events, verify ledgers.")
  .version(version)
  .option("--debug", "show stack traces on errors")
  .showHelpAfterError("(add --help for usage)")
  .exitOverride();

registerDemoCommand(program);
registerTranslateCommand(program);
registerRunCommand(program);
registerReceiveCommand(program);
registerLedgerCommands(program);
registerServeCommand(program);
registerWorkerCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    const debug = process.argv.includes("--debug");
    const failure = describeFailure(error);
    process.stderr.write(`error: ${failure.message}\n`);
    if (failure.hint !== undefined) process.stderr.write(`hint: ${failure.hint}\n`);
    if (debug && error instanceof Error && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
    process.exitCode = failure.exitCode;
  }
}
