/**
 * Child process for the lock tests: takes the ledger's lock, prints
 * `locked <pid>`, and holds it until stdin closes (then releases it) or the
 * process is killed (then the lock is left behind, stale).
 */
import { LedgerLock } from "../ledger-lock.js";
import { consoleLedgerLogger } from "../ledger-logger.js";

const path = process.argv[2];
if (path === undefined) throw new Error("usage: hold-lock.ts <ledger path>");
const lock = await LedgerLock.acquire(path, { logger: consoleLedgerLogger });
process.stdout.write(`locked ${process.pid}\n`);
process.stdin.resume();
process.stdin.on("end", () => {
  void lock.release(consoleLedgerLogger).then(() => process.exit(0));
});
