import { readFile } from "node:fs/promises";
import { CliError, EXIT } from "./cli-error.js";

/** Reads a file the user named, as text; a missing or unreadable file is a one-line usage error. */
export async function readUserFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "is not readable" : `cannot be read (${code ?? String(error)})`;
    throw new CliError(`${what} ${path} ${why}`, EXIT.usage, `check the path to the ${what}`);
  }
}

/** Parses JSON text the user gave, naming the file when it is not JSON. */
export function parseUserJson(text: string, path: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(`${what} ${path} is not valid JSON: ${(error as Error).message}`, EXIT.usage, `fix the JSON in ${path}`);
  }
}
