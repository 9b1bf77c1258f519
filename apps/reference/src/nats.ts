import { DEFAULT_EVENT_STREAM, DEFAULT_EVENT_SUBJECT_PREFIX, NatsLink } from "@cellos-cortex/receiver/nats";
import type { EnsuredStream, NatsConnectionOptions } from "@cellos-cortex/receiver/nats";
import { CliError, EXIT } from "./cli-error.js";

/** How to get a NATS server with JetStream, for the hints of errors that need one. */
export const NATS_HINT = "start one with `nats-server -js` (Debian: apt-get install nats-server) and pass its URL, e.g. --nats nats://127.0.0.1:4222";

/** What `--nats` reaches, for messages: the event stream every command shares (ADR-0031). */
export const NATS_EVENTS = `${DEFAULT_EVENT_STREAM} (${DEFAULT_EVENT_SUBJECT_PREFIX}.>)`;

const SERVER = /^(?:(?:nats|tls|ws|wss):\/\/)?(?:[^\s/@]+@)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?\/?$/;

/**
 * The servers of a `--nats` value: one URL or several separated by commas
 * (`nats://127.0.0.1:4222`, `127.0.0.1:4222`, `nats://a:4222,nats://b:4222`).
 * A value that is not one is a usage error naming it.
 */
export function natsServers(value: string): string[] {
  const servers = value.split(",").map((part) => part.trim());
  for (const server of servers) {
    if (!SERVER.test(server)) {
      throw new CliError(`--nats must be a NATS server URL (or several, comma-separated), got ${JSON.stringify(value)}`, EXIT.usage, "for example --nats nats://127.0.0.1:4222");
    }
  }
  return servers;
}

/**
 * Runs the first call that needs the server (creating or checking a stream) and turns a
 * failure to reach it into one line with a hint: no server, no JetStream, or a stream made
 * with other settings.
 */
export async function ensureOnNats(what: string, url: string, ensure: () => Promise<EnsuredStream>): Promise<EnsuredStream> {
  try {
    return await ensure();
  } catch (error) {
    const kind = (error as { kind?: unknown }).kind;
    const message = error instanceof Error ? error.message : String(error);
    if (kind === "InvalidOptions") {
      throw new CliError(`the ${what} on ${url} exists with other settings: ${message}`, EXIT.usage, "delete it (nats stream rm) or point --nats at another server", { cause: error });
    }
    const hint = /jetstream is not enabled|jetstream not enabled/i.test(message) ? "the server runs without JetStream: start it with `nats-server -js`" : NATS_HINT;
    throw new CliError(`cannot use the ${what} on ${url}: ${message}`, EXIT.environment, hint, { cause: error });
  }
}

type NatsConnection = NonNullable<NatsConnectionOptions["connection"]>;

/**
 * A `--nats` value: checked when made, and one connection (opened on first use, reconnecting
 * after a server restart) that every sink, source, submitter and worker of the command shares.
 */
export class NatsTarget {
  readonly servers: string[];
  readonly #link: NatsLink;

  constructor(readonly url: string) {
    this.servers = natsServers(url);
    this.#link = new NatsLink({ servers: this.servers }, `cellos-cortex --nats ${url}`);
  }

  /** The shared connection; a server that does not answer is one line with a hint. */
  async connection(): Promise<NatsConnection> {
    try {
      return await this.#link.get();
    } catch (error) {
      throw new CliError(`cannot connect to NATS at ${this.url}: ${error instanceof Error ? error.message : String(error)}`, EXIT.environment, NATS_HINT, { cause: error });
    }
  }

  /** Drains and closes the connection: after everything that uses it is closed. */
  close(): Promise<void> {
    return this.#link.close();
  }
}
