import { CellosEventDataSchemas, CloudEventV1Schema, cellosEventKeyOf } from "@cellos-cortex/cellos-core";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import type * as z from "zod";
import { ReceiverError } from "./receiver-error.js";

export interface EventValidationOptions {
  /**
   * Also check the `data` of the CellOS event types we model against
   * cellos-core's data schemas. Off by default: those schemas are our model of
   * what a supervisor emits, and the seed's own events omit fields they
   * require (e.g. `specId`), so the envelope is what is enforced (ADR-0013).
   */
  validateData?: boolean;
}

/** Result of {@link checkCloudEvent}: the typed event, or why the value is not one. */
export type EventCheck = { ok: true; event: CloudEventV1 } | { ok: false; reason: string };

/** Formats zod issues as `path: message; …` (at most `limit` of them). */
export function describeIssues(issues: readonly z.core.$ZodIssue[], limit = 10): string {
  const parts = issues.slice(0, limit).map((issue) => {
    const path = issue.path.length === 0 ? "(root)" : issue.path.map(String).join(".");
    return `${path}: ${issue.message}`;
  });
  if (issues.length > limit) parts.push(`… ${issues.length - limit} more`);
  return parts.join("; ");
}

/** Checks an untrusted value against `CloudEventV1Schema` (and, when asked, the data schema of its type). Never throws. */
export function checkCloudEvent(value: unknown, options: EventValidationOptions = {}): EventCheck {
  const parsed = CloudEventV1Schema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: `not a CloudEvent: ${describeIssues(parsed.error.issues)}` };
  const event = parsed.data;
  if (options.validateData === true) {
    const key = cellosEventKeyOf(event.type);
    if (key !== undefined) {
      const data = CellosEventDataSchemas[key].safeParse(event.data);
      if (!data.success) {
        return { ok: false, reason: `invalid data for ${event.type}: ${describeIssues(data.error.issues.map((i) => ({ ...i, path: ["data", ...i.path] })))}` };
      }
    }
  }
  return { ok: true, event };
}

/** Like {@link checkCloudEvent} but throws `ReceiverError` `InvalidEvent` naming every problem. */
export function parseCloudEvent(value: unknown, options: EventValidationOptions = {}): CloudEventV1 {
  const checked = checkCloudEvent(value, options);
  if (!checked.ok) throw new ReceiverError("InvalidEvent", checked.reason);
  return checked.event;
}
