import { stderr } from "node:process";

/** Where the dashboard's best-effort problems go (a dropped stream client, a skipped JSONL line, a failed ledger check). */
export interface DashboardLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

export const stderrDashboardLogger: DashboardLogger = {
  warn(message, fields) {
    const extra = fields === undefined ? "" : ` ${JSON.stringify(fields)}`;
    stderr.write(`[dashboard] ${message}${extra}\n`);
  },
};
