import * as z from "zod";
import { CloudEventV1Schema } from "@cellos-cortex/cellos-core";
import type { ExecutionCellDocument } from "@cellos-cortex/cellos-core";
import { BridgeError } from "./bridge-error.js";

/**
 * What a submitter reports back (the seed's `CellSubmissionOutcome`):
 * - `cellId`: the `spec.id` the supervisor saw, echoed for correlation;
 * - `exitCode`: present when the submission ran the cell to completion;
 * - `lifecycleEvents`: the cell's CloudEvents captured during submission, in
 *   emission order; empty for a fire-and-forget submitter.
 */
export const CellSubmissionOutcomeSchema = z.looseObject({
  cellId: z.string().min(1),
  exitCode: z.int().min(-2147483648).max(2147483647).optional(),
  lifecycleEvents: z.array(CloudEventV1Schema),
});
export type CellSubmissionOutcome = z.infer<typeof CellSubmissionOutcomeSchema>;

export interface SubmitOptions {
  /** Cancels the submission; a submitter rejects with `BridgeError` `Aborted`. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * The submission contract (the seed's `CellSubmitter` trait): whatever
 * frontend runs cells, wired at the composition root. Implementations here:
 * `MemorySubmitter`, `HttpCellSubmitter`, `LocalCellHost`.
 */
export interface CellSubmitter {
  submit(document: ExecutionCellDocument, options?: SubmitOptions): Promise<CellSubmissionOutcome>;
}

/** Checks what a submitter returned; throws `InvalidOutcome` naming the problems. */
export function parseCellSubmissionOutcome(value: unknown, cellId: string): CellSubmissionOutcome {
  const parsed = CellSubmissionOutcomeSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length === 0 ? "(root)" : issue.path.map(String).join(".")}: ${issue.message}`).join("; ");
    throw new BridgeError("InvalidOutcome", `submitter returned an invalid outcome for cell ${JSON.stringify(cellId)}: ${problems}`, { cellId, cause: parsed.error });
  }
  return parsed.data;
}
