import { describe, expect, it } from "vitest";
import { CliError, EXIT } from "./cli-error.js";
import { freeLoopbackPort } from "@cellos-cortex/receiver/nats";
import { NatsTarget, ensureOnNats, natsServers } from "./nats.js";

describe("natsServers", () => {
  it("takes one URL or several, with or without the scheme", () => {
    expect(natsServers("nats://127.0.0.1:4222")).toEqual(["nats://127.0.0.1:4222"]);
    expect(natsServers("127.0.0.1:4222")).toEqual(["127.0.0.1:4222"]);
    expect(natsServers("nats://a:4222, nats://b:4223")).toEqual(["nats://a:4222", "nats://b:4223"]);
    expect(natsServers("tls://user:pw@nats.example:4443")).toEqual(["tls://user:pw@nats.example:4443"]);
    expect(natsServers("nats://[::1]:4222")).toEqual(["nats://[::1]:4222"]);
  });

  it("refuses what is not a server URL, naming it (usage error)", () => {
    for (const bad of ["", "not a url", "http://x:1/path", "nats://a:4222,", "nats://:4222", "nats://a:port"]) {
      let caught: unknown;
      try {
        natsServers(bad);
      } catch (error) {
        caught = error;
      }
      expect(caught, bad).toBeInstanceOf(CliError);
      expect((caught as CliError).exitCode).toBe(EXIT.usage);
      expect((caught as CliError).message).toContain(JSON.stringify(bad));
    }
  });
});

describe("ensureOnNats", () => {
  it("passes the stream through when it works", async () => {
    const stream = { name: "S", created: false, config: {} } as never;
    await expect(ensureOnNats("event stream S", "nats://x", () => Promise.resolve(stream))).resolves.toBe(stream);
  });

  /** What `ensureOnNats` throws when `ensure` rejects with `error`. */
  async function failure(error: Error): Promise<CliError> {
    try {
      await ensureOnNats("event stream S", "nats://x:1", () => Promise.reject(error));
    } catch (caught) {
      if (caught instanceof CliError) return caught;
      throw caught;
    }
    throw new Error("ensureOnNats did not throw");
  }

  it("maps no server, no JetStream and a mismatched stream to one line with the right hint and exit code", async () => {
    const refused = await failure(new Error("connection refused"));
    expect(refused).toMatchObject({ exitCode: EXIT.environment, message: "cannot use the event stream S on nats://x:1: connection refused" });
    expect(refused.hint).toContain("nats-server -js");
    const noJs = await failure(new Error("jetstream is not enabled"));
    expect(noJs.exitCode).toBe(EXIT.environment);
    expect(noJs.hint).toBe("the server runs without JetStream: start it with `nats-server -js`");
    const mismatch = Object.assign(new Error("stream S exists but its subjects differ"), { kind: "InvalidOptions" });
    const other = await failure(mismatch);
    expect(other).toMatchObject({ exitCode: EXIT.usage });
    expect(other.message).toContain("exists with other settings");
  });
});

describe("NatsTarget", () => {
  it("checks the URL when made, and turns a server that does not answer into one line with the hint", async () => {
    expect(() => new NatsTarget("not a url")).toThrow(CliError);
    const url = `nats://127.0.0.1:${await freeLoopbackPort()}`;
    const target = new NatsTarget(url);
    expect(target.servers).toEqual([url]);
    const failure = await target.connection().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(CliError);
    expect(failure).toMatchObject({ exitCode: EXIT.environment, message: expect.stringContaining(`cannot connect to NATS at ${url}`) });
    expect((failure as CliError).hint).toContain("nats-server -js");
    await target.close();
  });
});
