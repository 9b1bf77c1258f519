import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import { checkCloudEvent } from "./event-validation.js";
import type { EventValidationOptions } from "./event-validation.js";
import { isSignedEventEnvelope } from "./signed-envelope.js";
import type { SignedEnvelopeVerifier } from "./signed-envelope.js";

/** Why a JSONL line was skipped. */
export type InvalidLineKind =
  | "oversized"
  | "invalid-utf8"
  | "malformed-json"
  | "not-an-object"
  | "invalid-event"
  | "bad-signature";

export interface JsonlLineOptions extends EventValidationOptions {
  /** Checks signed envelopes before their inner event is used (see ADR-0013). */
  verifyEnvelope?: SignedEnvelopeVerifier;
}

export type JsonlLineResult =
  | { readonly status: "event"; readonly event: CloudEventV1; readonly signed: boolean }
  | { readonly status: "blank" }
  | { readonly status: "invalid"; readonly kind: InvalidLineKind; readonly reason: string };

const BLANK: JsonlLineResult = { status: "blank" };
const utf8 = new TextDecoder("utf-8", { fatal: true });

function isBlank(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d && byte !== 0x0a) return false;
  }
  return true;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** Decodes one JSONL line (bytes without the newline) into a CloudEvent, or says why not. */
export function decodeJsonlLine(bytes: Uint8Array, options: JsonlLineOptions = {}): JsonlLineResult {
  if (isBlank(bytes)) return BLANK;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { status: "invalid", kind: "invalid-utf8", reason: "line is not valid UTF-8" };
  }
  return decodeJsonlText(text, options);
}

/** Decodes one JSONL line of text into a CloudEvent, or says why not. */
export function decodeJsonlText(text: string, options: JsonlLineOptions = {}): JsonlLineResult {
  if (text.trim() === "") return BLANK;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { status: "invalid", kind: "malformed-json", reason: `malformed JSON: ${(error as Error).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { status: "invalid", kind: "not-an-object", reason: `line is ${describe(value)}, not a JSON object` };
  }
  let signed = false;
  if (isSignedEventEnvelope(value)) {
    if (options.verifyEnvelope !== undefined) {
      let verified: boolean;
      try {
        verified = options.verifyEnvelope(value);
      } catch (error) {
        return { status: "invalid", kind: "bad-signature", reason: `envelope verifier threw: ${(error as Error).message}` };
      }
      if (!verified) return { status: "invalid", kind: "bad-signature", reason: "signed envelope rejected by verifyEnvelope" };
    }
    value = value.event;
    signed = true;
  }
  const checked = checkCloudEvent(value, options);
  if (!checked.ok) return { status: "invalid", kind: "invalid-event", reason: signed ? `signed envelope: ${checked.reason}` : checked.reason };
  return { status: "event", event: checked.event, signed };
}

/**
 * Every valid event of a whole JSONL text, in order (the seed's
 * `parse_jsonl_events`, with envelopes unwrapped): blank and invalid lines
 * are skipped.
 */
export function parseJsonlEvents(contents: string, options: JsonlLineOptions = {}): CloudEventV1[] {
  const events: CloudEventV1[] = [];
  for (const line of contents.split("\n")) {
    const result = decodeJsonlText(line, options);
    if (result.status === "event") events.push(result.event);
  }
  return events;
}
