import { describe, expect, it } from "vitest";
import { ReceiverError } from "../receiver-error.js";
import { NatsJetStreamSink } from "./nats-jetstream-sink.js";
import { NatsJetStreamSource } from "./nats-jetstream-source.js";
import { findNatsServer, startNatsServer } from "./test-server.js";

function invalid(make: () => unknown): ReceiverError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(ReceiverError);
    expect((error as ReceiverError).kind).toBe("InvalidOptions");
    return error as ReceiverError;
  }
  throw new Error("expected InvalidOptions");
}

describe("NATS options are checked before anything connects", () => {
  it("needs exactly one of connection or servers", () => {
    expect(invalid(() => new NatsJetStreamSink({})).message).toMatch(/neither/);
    expect(invalid(() => new NatsJetStreamSource({ servers: [] })).message).toMatch(/neither/);
    expect(invalid(() => new NatsJetStreamSource({ servers: "x", connection: {} as never })).message).toMatch(/both/);
    expect(invalid(() => new NatsJetStreamSink({ servers: [" "] })).message).toMatch(/servers/);
  });

  it("refuses bad names, prefixes and limits, naming the value", () => {
    expect(invalid(() => new NatsJetStreamSink({ servers: "x", stream: "a.b" })).message).toContain('"a.b"');
    expect(invalid(() => new NatsJetStreamSink({ servers: "x", subjectPrefix: "a.*" })).message).toContain('"a.*"');
    expect(invalid(() => new NatsJetStreamSink({ servers: "x", timeoutMs: 0 })).message).toContain("timeoutMs");
    expect(invalid(() => new NatsJetStreamSource({ servers: "x", durable: "has space" })).message).toContain('"has space"');
    expect(invalid(() => new NatsJetStreamSource({ servers: "x", maxInFlight: 0 })).message).toContain("maxInFlight");
    expect(invalid(() => new NatsJetStreamSource({ servers: "x", maxInFlight: 1.5 })).message).toContain("1.5");
    expect(invalid(() => new NatsJetStreamSource({ servers: "x", pullExpiresMs: 999 })).message).toContain("pullExpiresMs");
    expect(invalid(() => new NatsJetStreamSource({ servers: "x", deliverPolicy: "last" as never })).message).toContain('"last"');
    expect(invalid(() => new NatsJetStreamSource({ servers: "x", startTime: new Date(Number.NaN) })).message).toContain("startTime");
    expect(invalid(() => new NatsJetStreamSource({ servers: "x", startTime: "2026-01-01" as never })).message).toContain("startTime");
    expect(invalid(() => new NatsJetStreamSource({ servers: "x", startTime: new Date(0), deliverPolicy: "all" })).message).toMatch(/not both/);
    expect(invalid(() => new NatsJetStreamSource({ servers: "x", cellId: "a", filterSubject: "b" })).message).toMatch(/not both/);
    expect(invalid(() => new NatsJetStreamSource({ servers: "x", cellId: "" })).message).toContain("cellId");
  });

  it("filters one cell's subject when given a cell id", () => {
    const source = new NatsJetStreamSource({ servers: "x", cellId: "cell.1", subjectPrefix: "p" });
    expect(source.filterSubject).toBe("p.cell%2E1.>");
    expect(new NatsJetStreamSource({ servers: "x" }).filterSubject).toBe("cellos.events.>");
  });

  it("a source with no server fails with Source, naming the stream", async () => {
    const source = new NatsJetStreamSource({ servers: "127.0.0.1:1", connectTimeoutMs: 500, connectOptions: { maxReconnectAttempts: 0 } });
    const iterator = source.events()[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toMatchObject({ name: "ReceiverError", kind: "Source", message: expect.stringContaining("CELLOS_EVENTS") });
    await source.close();
  });

  it("startNatsServer says how to install nats-server when the binary is missing", async () => {
    expect(await findNatsServer({ NATS_SERVER_BIN: "/nonexistent/nats-server" })).toBeUndefined();
    await expect(startNatsServer({ binary: "/nonexistent/nats-server" })).rejects.toMatchObject({
      kind: "Io",
      message: expect.stringContaining("apt-get install nats-server"),
    });
  });
});
