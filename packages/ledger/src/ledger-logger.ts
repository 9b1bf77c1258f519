/**
 * Where the ledger reports what it did on its own initiative (taking over a
 * stale lock, finding or repairing a torn tail). Inject one to route these to
 * your logging; the default writes to `console.warn`.
 */
export interface LedgerLogger {
  warn(message: string, details?: Record<string, unknown>): void;
}

export const consoleLedgerLogger: LedgerLogger = {
  warn(message, details) {
    if (details === undefined) console.warn(`[ledger] ${message}`);
    else console.warn(`[ledger] ${message}`, details);
  },
};
