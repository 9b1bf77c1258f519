import type { z } from "zod";
import { CortexCoreError, describeValue, type CortexCoreErrorKind } from "./errors.js";

/** Formats zod issues as `path: message` items for an error message (at most 8, then a count). */
export function describeIssues(error: z.ZodError): string {
  const shown = error.issues
    .slice(0, 8)
    .map((issue) => `${issue.path.length === 0 ? "(root)" : issue.path.map(String).join(".")}: ${issue.message}`);
  const more = error.issues.length > 8 ? `; … ${error.issues.length - 8} more` : "";
  return shown.join("; ") + more;
}

/** `JSON.parse` that throws `CortexCoreError` of the given kind instead of a `SyntaxError`. */
export function parseJsonText(text: string, kind: CortexCoreErrorKind, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CortexCoreError(kind, `${what} is not JSON: ${describeValue(text)}`, { cause: error });
  }
}
