import { describe, expect, it } from "vitest";
import { BridgeError } from "../bridge-error.js";
import { MemorySubmitter } from "../memory-submitter.js";
import { cellDocument } from "../__fixtures__/documents.js";
import { RecordingLogger } from "../__fixtures__/test-helpers.js";
import { cellWorkSubject } from "./cell-work-queue.js";
import { NatsCellSubmitter } from "./nats-cell-submitter.js";
import { runNatsCellWorker } from "./nats-cell-worker.js";

function bridgeError(make: () => unknown): BridgeError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(BridgeError);
    return error as BridgeError;
  }
  throw new Error("expected a BridgeError");
}

const host = new MemorySubmitter();
const offline = "127.0.0.1:1";

describe("NatsCellSubmitter and runNatsCellWorker check what they are given before connecting", () => {
  it("the submitter needs exactly one of connection or servers, and sane names", () => {
    expect(bridgeError(() => new NatsCellSubmitter({}))).toMatchObject({ kind: "InvalidOptions", message: expect.stringContaining("neither") });
    expect(bridgeError(() => new NatsCellSubmitter({ servers: offline, subjectPrefix: "a.*" }))).toMatchObject({ kind: "InvalidOptions", message: expect.stringContaining('"a.*"') });
    expect(bridgeError(() => new NatsCellSubmitter({ servers: offline, stream: "has.dot" }))).toMatchObject({ kind: "InvalidOptions", message: expect.stringContaining('"has.dot"') });
  });

  it("an invalid document is refused with InvalidDocument and nothing is sent", async () => {
    const submitter = new NatsCellSubmitter({ servers: offline, logger: new RecordingLogger() });
    const document = cellDocument("bad id with spaces", ["true"]);
    await expect(submitter.submit(document)).rejects.toMatchObject({ kind: "InvalidDocument", cellId: "bad id with spaces" });
    await submitter.close();
    await expect(submitter.submit(cellDocument("ok", ["true"]))).rejects.toMatchObject({ kind: "Closed" });
  });

  it("a submission with no server fails with Submit naming the cell", async () => {
    const submitter = new NatsCellSubmitter({ servers: offline, timeoutMs: 300, connectTimeoutMs: 200, connectOptions: { maxReconnectAttempts: 0 }, logger: new RecordingLogger() });
    await expect(submitter.submit(cellDocument("unsent", ["true"]))).rejects.toMatchObject({ kind: "Submit", cellId: "unsent", message: expect.stringContaining('"unsent"') });
    await submitter.close();
  });

  it("the worker needs a host, a signal, and a progress interval shorter than the ack wait", async () => {
    const signal = new AbortController().signal;
    await expect(runNatsCellWorker({ servers: offline } as never)).rejects.toMatchObject({ kind: "InvalidOptions", message: expect.stringContaining("host") });
    await expect(runNatsCellWorker({ servers: offline, host } as never)).rejects.toMatchObject({ kind: "InvalidOptions", message: expect.stringContaining("signal") });
    await expect(runNatsCellWorker({ servers: offline, host, signal, ackWaitMs: 1000, progressIntervalMs: 1000 })).rejects.toMatchObject({ kind: "InvalidOptions", message: expect.stringContaining("progressIntervalMs") });
    await expect(runNatsCellWorker({ servers: offline, host, signal, concurrency: 0 })).rejects.toMatchObject({ kind: "InvalidOptions", message: expect.stringContaining("concurrency") });
  });

  it("a worker stopped before it starts does nothing; one with no server fails with Submit", async () => {
    const stopped = new AbortController();
    stopped.abort();
    await expect(runNatsCellWorker({ servers: offline, host, signal: stopped.signal })).resolves.toEqual({ received: 0, redelivered: 0, completed: 0, skipped: 0, refused: 0, requeued: 0 });
    const error = await runNatsCellWorker({ servers: offline, host, signal: new AbortController().signal, connectTimeoutMs: 200, connectOptions: { maxReconnectAttempts: 0 }, logger: new RecordingLogger() }).catch(
      (rejection: unknown) => rejection,
    );
    expect(error).toMatchObject({ kind: "Submit", message: expect.stringContaining("cannot reach JetStream") });
  });

  it("queues a cell on <prefix>.<escaped cell id>", () => {
    expect(cellWorkSubject("cellos.cells", "cortex-abc")).toBe("cellos.cells.cortex-abc");
    expect(cellWorkSubject("cellos.cells", "a.b")).toBe("cellos.cells.a%2Eb");
  });
});
