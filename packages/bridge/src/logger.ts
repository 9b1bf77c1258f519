/**
 * Where best-effort problems go (a sink that failed to take the dispatched
 * event, a cell directory that could not be removed, a ledger row that could
 * not be read back). Inject your own to route them into your logging; the
 * default writes to `console.warn`.
 */
export interface BridgeLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

export const consoleLogger: BridgeLogger = {
  warn(message, fields) {
    if (fields === undefined) console.warn(`[@cellos-cortex/bridge] ${message}`);
    else console.warn(`[@cellos-cortex/bridge] ${message}`, fields);
  },
};
