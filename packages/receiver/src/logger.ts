/**
 * Where best-effort problems go (a skipped line without an `onInvalid`
 * callback, a failed `fs.watch`, an evicted cell). Inject your own to route
 * them into your logging; the default writes to `console.warn`.
 */
export interface ReceiverLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

export const consoleLogger: ReceiverLogger = {
  warn(message, fields) {
    if (fields === undefined) console.warn(`[@cellos-cortex/receiver] ${message}`);
    else console.warn(`[@cellos-cortex/receiver] ${message}`, fields);
  },
};
