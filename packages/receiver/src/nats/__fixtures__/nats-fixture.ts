import { commandCompletedEvent, exportV2CompletedEvent, lifecycleDestroyedEvent, lifecycleStartedEvent } from "@cellos-cortex/cellos-core";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import type { TestContext } from "vitest";
import type { ReceiverLogger } from "../../logger.js";
import { NATS_SERVER_INSTALL_HINT, findNatsServer } from "../test-server.js";

/** Why the NATS tests cannot run here (no nats-server), or undefined when they can. */
export const NATS_SKIP_REASON: string | undefined = (await findNatsServer()) === undefined ? `nats-server not found: ${NATS_SERVER_INSTALL_HINT}` : undefined;

if (NATS_SKIP_REASON !== undefined) console.warn(`[receiver NATS tests] SKIPPED: ${NATS_SKIP_REASON}`);

/** Skips the test, loudly, with the install hint, when there is no nats-server. */
export function needNats(context: TestContext): void {
  if (NATS_SKIP_REASON !== undefined) context.skip(NATS_SKIP_REASON);
}

/** A logger that keeps what it is told. */
export class RecordingLogger implements ReceiverLogger {
  readonly warnings: string[] = [];
  warn(message: string): void {
    this.warnings.push(message);
  }
}

/** Started, command completed, (export), destroyed: the events a cell's result is built from. */
export function cellLifecycle(cellId: string, exitCode: number, exportPath?: string): CloudEventV1[] {
  const base = { source: "/test/supervisor", cellId, specId: cellId };
  return [
    lifecycleStartedEvent(base),
    commandCompletedEvent({ ...base, argv: ["agent"], exitCode, durationMs: 5 }),
    ...(exportPath === undefined
      ? []
      : [exportV2CompletedEvent({ ...base, artifactName: "out", receipt: { targetKind: "local", targetName: "t", destinationRelative: exportPath, bytes: 1, sha256: "00" } })]),
    lifecycleDestroyedEvent({ ...base, outcome: exitCode === 0 ? "succeeded" : "failed", terminalState: "clean" }),
  ];
}

/** Resolves when `condition()` holds, checked after each event `tick` reports; rejects after `timeoutMs`. */
export function until(condition: () => boolean, timeoutMs: number, what: string): { check: () => void; done: Promise<void> } {
  let resolve: () => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => {
    reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
  }, timeoutMs);
  const check = (): void => {
    if (condition()) {
      clearTimeout(timer);
      resolve();
    }
  };
  check();
  return { check, done };
}
