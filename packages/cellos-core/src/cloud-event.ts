import * as z from "zod";
import type { CellosError } from "./cellos-error.js";
import { CLOUDEVENTS_SPEC_VERSION } from "./constants.js";
import { parseWithSchema } from "./schema-parse.js";

/**
 * Upstream `CloudEventV1` (CloudEvents 1.0, structured JSON). Extension
 * attributes and unknown keys are kept; `time` is kept as the exact string
 * received (never re-formatted).
 */
export const CloudEventV1Schema = z.looseObject({
  specversion: z.literal(CLOUDEVENTS_SPEC_VERSION),
  id: z.string().min(1, { error: "must be a non-empty string" }),
  source: z.string().min(1, { error: "must be a non-empty string" }),
  type: z.string().min(1, { error: "must be a non-empty string" }),
  datacontenttype: z.string().nullish(),
  dataschema: z.string().nullish(),
  subject: z.string().nullish(),
  time: z.string().nullish(),
  traceparent: z.string().nullish(),
  data: z.unknown().optional(),
});
export type CloudEventV1 = z.infer<typeof CloudEventV1Schema>;

/** Result of {@link safeParseCloudEventV1}. */
export type CloudEventParseResult = { success: true; data: CloudEventV1 } | { success: false; error: CellosError };

/** Parses an untrusted value as a CloudEventV1; never throws. */
export function safeParseCloudEventV1(input: unknown): CloudEventParseResult {
  return parseWithSchema(CloudEventV1Schema, input);
}

/** Parses an untrusted value as a CloudEventV1, or throws `CellosError` `InvalidSpec` listing every problem. */
export function parseCloudEventV1(input: unknown): CloudEventV1 {
  const result = safeParseCloudEventV1(input);
  if (!result.success) throw result.error;
  return result.data;
}
