import { open, type FileHandle } from "node:fs/promises";
import { LedgerError, ioError } from "./ledger-error.js";

/**
 * Opens a ledger file (`"r"` to read, `"a+"` to append, creating it) and
 * checks that it is a regular file: a device such as `/dev/zero` would never
 * end, a directory cannot be a ledger. Throws `LedgerError` (`Io`).
 */
export async function openLedgerFile(path: string, flags: "r" | "a+"): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, flags);
  } catch (error) {
    throw ioError("opening ledger", path, error);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new LedgerError("Io", `ledger ${JSON.stringify(path)} is not a regular file`);
    return handle;
  } catch (error) {
    const failure = error instanceof LedgerError ? error : ioError("inspecting ledger", path, error);
    const closeError = await handle.close().then(
      () => undefined,
      (e: unknown) => e,
    );
    if (closeError !== undefined) throw new LedgerError(failure.kind, `${failure.message}; closing it failed too`, { cause: closeError });
    throw failure;
  }
}
