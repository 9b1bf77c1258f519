import * as z from "zod";

/**
 * A signed event envelope as the CellOS JSONL mirror may write it
 * (`DlqSink(Sign(Redact(JsonlEventSink)))`; upstream `SignedEventEnvelopeV1`,
 * whose exact fields are not public). Our rule (ADR-0013): a JSON object
 * without a top-level `specversion`, whose `event` is an object, and that
 * carries a `signature` string or a non-empty `signatures` array. Every other
 * field (key id, algorithm, …) is kept as sent.
 */
export const SignedEventEnvelopeSchema = z.looseObject({
  event: z.record(z.string(), z.unknown()),
  signature: z.string().min(1).optional(),
  signatures: z.array(z.unknown()).min(1).optional(),
});
export type SignedEventEnvelope = z.infer<typeof SignedEventEnvelopeSchema>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether `value` has the shape of a signed envelope (see {@link SignedEventEnvelopeSchema}). */
export function isSignedEventEnvelope(value: unknown): value is SignedEventEnvelope {
  if (!isPlainObject(value) || "specversion" in value || !isPlainObject(value.event)) return false;
  const { signature, signatures } = value;
  return (typeof signature === "string" && signature.length > 0) || (Array.isArray(signatures) && signatures.length > 0);
}

/**
 * Checks a signed envelope before its event is used. Return false to reject
 * the line (reported as `bad-signature`). Without a verifier, envelopes are
 * unwrapped unverified: the JSONL file is operator-trusted (ADR-0013).
 */
export type SignedEnvelopeVerifier = (envelope: SignedEventEnvelope) => boolean;
