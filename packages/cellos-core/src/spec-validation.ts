import type { CellosError } from "./cellos-error.js";
import { ExecutionCellDocumentSchema } from "./execution-cell.js";
import type { ExecutionCellDocument } from "./execution-cell.js";
import { parseWithSchema } from "./schema-parse.js";

/** Result of {@link safeParseExecutionCellDocument}. */
export type ExecutionCellParseResult = { success: true; data: ExecutionCellDocument } | { success: false; error: CellosError };

/**
 * Parses and validates an untrusted value as an ExecutionCell document. Never
 * throws; on failure `error` is a CellosError listing every problem with its
 * JSON path (`ArgvTooLarge` when that is the only problem).
 */
export function safeParseExecutionCellDocument(input: unknown): ExecutionCellParseResult {
  return parseWithSchema(ExecutionCellDocumentSchema, input);
}

/**
 * Parses and validates an untrusted value as an ExecutionCell document, keeping
 * fields we do not model. Throws `CellosError` (`InvalidSpec` listing every
 * problem with its JSON path, or `ArgvTooLarge` when that is the only one).
 */
export function parseExecutionCellDocument(input: unknown): ExecutionCellDocument {
  const result = safeParseExecutionCellDocument(input);
  if (!result.success) throw result.error;
  return result.data;
}

/**
 * Mirror of upstream `validate_execution_cell_document`: checks every rule
 * (apiVersion/kind values, cell id grammar, ttl ≥ 1, argv, argv base64 ≤ 3072
 * bytes, egress ports) and throws `CellosError` on the first call that finds
 * any, listing all of them.
 */
export function validateExecutionCellDocument(document: ExecutionCellDocument): void {
  const result = safeParseExecutionCellDocument(document);
  if (!result.success) throw result.error;
}
