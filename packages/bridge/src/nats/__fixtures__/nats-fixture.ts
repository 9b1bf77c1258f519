import { NATS_SERVER_INSTALL_HINT, findNatsServer } from "@cellos-cortex/receiver/nats";
import type { TestContext } from "vitest";

/** Why the NATS tests cannot run here (no nats-server), or undefined when they can. */
export const NATS_SKIP_REASON: string | undefined = (await findNatsServer()) === undefined ? `nats-server not found: ${NATS_SERVER_INSTALL_HINT}` : undefined;

if (NATS_SKIP_REASON !== undefined) console.warn(`[bridge NATS tests] SKIPPED: ${NATS_SKIP_REASON}`);

/** Skips the test, loudly, with the install hint, when there is no nats-server. */
export function needNats(context: TestContext): void {
  if (NATS_SKIP_REASON !== undefined) context.skip(NATS_SKIP_REASON);
}
