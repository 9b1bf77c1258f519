import type { Command } from "commander";
import { HttpCloudEventsReceiver } from "@cellos-cortex/receiver";
import { CliError, EXIT } from "../cli-error.js";
import { Output } from "../output.js";
import { untilInterrupted } from "../shutdown.js";

interface ReceiveFlags {
  host: string;
  port: string;
  path: string;
  token?: string;
  maxBodyBytes?: string;
  json?: boolean;
}

export function registerReceiveCommand(program: Command): void {
  program
    .command("receive")
    .description("run the HTTP CloudEvents receiver and print events as they arrive (Ctrl-C stops)")
    .option("--host <address>", "address to bind", "127.0.0.1")
    .option("--port <port>", "port (0 = a free one)", "0")
    .option("--path <path>", "path events are POSTed to", "/events")
    .option("--token <token>", "require Authorization: Bearer <token>")
    .option("--max-body-bytes <n>", "largest accepted body")
    .option("--json", "print each event as one JSON line")
    .action(async (flags: ReceiveFlags) => {
      const out = new Output({ json: flags.json === true });
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new CliError(`--port must be 0–65535, got ${JSON.stringify(flags.port)}`, EXIT.usage);
      const receiver = new HttpCloudEventsReceiver({
        host: flags.host,
        port,
        path: flags.path,
        ...(flags.token === undefined ? {} : { authToken: flags.token }),
        ...(flags.maxBodyBytes === undefined ? {} : { maxBodyBytes: Number(flags.maxBodyBytes) }),
      });
      let url: string;
      try {
        ({ url } = await receiver.listen());
      } catch (error) {
        throw new CliError(`cannot listen on ${flags.host}:${flags.port}: ${(error as Error).message}`, EXIT.environment, "pick another --port", { cause: error });
      }
      if (flags.json === true) process.stdout.write(`${JSON.stringify({ listening: url })}\n`);
      else out.line(`listening on ${url} (POST CloudEvents here; Ctrl-C stops)`);
      const signal = untilInterrupted();
      try {
        for await (const event of receiver.events({ signal })) {
          if (flags.json === true) process.stdout.write(`${JSON.stringify(event)}\n`);
          else {
            const cellId = (event.data as { cellId?: unknown } | undefined)?.cellId;
            out.line(`${event.time ?? "-"}  ${event.type}${typeof cellId === "string" ? `  cell ${cellId}` : ""}  (${event.source}, ${event.id})`);
          }
        }
      } finally {
        await receiver.close();
      }
    });
}
