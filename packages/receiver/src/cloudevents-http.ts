import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import { checkCloudEvent } from "./event-validation.js";
import type { EventValidationOptions } from "./event-validation.js";

/**
 * The CloudEvents HTTP protocol binding (v1.0.2), as a pure function from
 * request headers and body to events: binary mode (`ce-*` headers), structured
 * mode (`application/cloudevents+json`) and batch mode
 * (`application/cloudevents-batch+json`).
 */

export type CloudEventsHttpMode = "binary" | "structured" | "batch";

export const STRUCTURED_CONTENT_TYPE = "application/cloudevents+json";
export const BATCH_CONTENT_TYPE = "application/cloudevents-batch+json";

/** Request headers as node gives them (lower-case names). */
export type HttpHeaders = Readonly<Record<string, string | string[] | undefined>>;

export interface CloudEventsHttpProblem {
  /** Index in a batch (absent for binary and structured mode). */
  index?: number;
  reason: string;
}

export type CloudEventsHttpResult =
  | { ok: true; mode: CloudEventsHttpMode; events: CloudEventV1[] }
  | {
      ok: false;
      status: 400 | 415;
      /** Short machine-readable code, e.g. `invalid_event`. */
      error: string;
      message: string;
      problems?: CloudEventsHttpProblem[];
    };

interface MediaType {
  type: string;
  charset: string | undefined;
}

export function parseMediaType(header: string | undefined): MediaType | undefined {
  if (header === undefined) return undefined;
  const [head = "", ...params] = header.split(";");
  const type = head.trim().toLowerCase();
  if (type === "") return undefined;
  let charset: string | undefined;
  for (const param of params) {
    const eq = param.indexOf("=");
    if (eq === -1) continue;
    if (param.slice(0, eq).trim().toLowerCase() === "charset") charset = param.slice(eq + 1).trim().replace(/^"|"$/g, "").toLowerCase();
  }
  return { type, charset };
}

function isJsonMediaType(type: string): boolean {
  return type === "application/json" || type.endsWith("+json");
}

function headerValue(headers: HttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/**
 * Which mode a request is in, from its headers: structured or batch by
 * content type, binary when a `ce-specversion` header is present; `undefined`
 * when it is not a CloudEvents request we accept (→ 415).
 */
export function cloudEventsModeOf(headers: HttpHeaders): CloudEventsHttpMode | undefined {
  const media = parseMediaType(headerValue(headers, "content-type"));
  if (media?.type === STRUCTURED_CONTENT_TYPE) return "structured";
  if (media?.type === BATCH_CONTENT_TYPE) return "batch";
  if (media?.type.startsWith("application/cloudevents") === true) return undefined; // another event format (+xml, +avro, …)
  return headers["ce-specversion"] === undefined ? undefined : "binary";
}

const ATTRIBUTE_NAME = /^[a-z0-9]{1,64}$/;
const RESERVED_HEADER_ATTRIBUTES = new Set(["data", "data_base64", "datacontenttype"]);

function invalid(message: string, problems?: CloudEventsHttpProblem[]): CloudEventsHttpResult {
  return { ok: false, status: 400, error: "invalid_event", message, ...(problems === undefined ? {} : { problems }) };
}

function unsupported(message: string): CloudEventsHttpResult {
  return { ok: false, status: 415, error: "unsupported_media_type", message };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeUtf8(body: Uint8Array): string | undefined {
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** Decodes a CloudEvents HTTP request into validated events, or says precisely what is wrong. */
export function decodeCloudEventsHttp(headers: HttpHeaders, body: Uint8Array, options: EventValidationOptions = {}): CloudEventsHttpResult {
  const mode = cloudEventsModeOf(headers);
  const contentType = headerValue(headers, "content-type");
  if (mode === undefined) {
    return unsupported(
      `content type ${JSON.stringify(contentType ?? "(none)")} is not accepted: send ${STRUCTURED_CONTENT_TYPE}, ${BATCH_CONTENT_TYPE}, or a binary-mode event with ce-* headers`,
    );
  }
  if (mode === "binary") return decodeBinary(headers, body, contentType, options);

  const charset = parseMediaType(contentType)?.charset;
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") return unsupported(`charset ${charset} is not supported; JSON must be UTF-8`);
  const text = decodeUtf8(body);
  if (text === undefined) return invalid("body is not valid UTF-8");
  const parsed = parseJson(text);
  if (!parsed.ok) return invalid(`body is not valid JSON: ${parsed.message}`);

  if (mode === "structured") {
    if (typeof parsed.value !== "object" || parsed.value === null || Array.isArray(parsed.value)) {
      return invalid(`a structured-mode body must be one JSON object, got ${describe(parsed.value)}`);
    }
    const checked = checkCloudEvent(parsed.value, options);
    return checked.ok ? { ok: true, mode, events: [checked.event] } : invalid(checked.reason, [{ reason: checked.reason }]);
  }

  if (!Array.isArray(parsed.value)) return invalid(`a batch-mode body must be a JSON array, got ${describe(parsed.value)}`);
  const events: CloudEventV1[] = [];
  const problems: CloudEventsHttpProblem[] = [];
  parsed.value.forEach((item: unknown, index) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      problems.push({ index, reason: `batch item is ${describe(item)}, not a JSON object` });
      return;
    }
    const checked = checkCloudEvent(item, options);
    if (checked.ok) events.push(checked.event);
    else problems.push({ index, reason: checked.reason });
  });
  if (problems.length > 0) {
    // A batch is all or nothing: the sender keeps every event of a rejected batch.
    return invalid(`${problems.length} of ${parsed.value.length} batch items are invalid; none were accepted`, problems.slice(0, 100));
  }
  return { ok: true, mode, events };
}

function decodeBinary(headers: HttpHeaders, body: Uint8Array, contentType: string | undefined, options: EventValidationOptions): CloudEventsHttpResult {
  const event: Record<string, unknown> = {};
  for (const name of Object.keys(headers)) {
    if (!name.startsWith("ce-")) continue;
    const attribute = name.slice(3);
    if (!ATTRIBUTE_NAME.test(attribute)) return invalid(`header ${name}: ${JSON.stringify(attribute)} is not a valid CloudEvents attribute name (a-z, 0-9)`);
    if (RESERVED_HEADER_ATTRIBUTES.has(attribute)) return invalid(`header ${name} is not allowed in binary mode (the body is the data, Content-Type its type)`);
    // Kept exactly as sent (no percent-decoding, no re-formatting of `time`): ADR-0014.
    event[attribute] = headerValue(headers, name);
  }
  const media = parseMediaType(contentType);
  if (contentType !== undefined) event.datacontenttype = contentType;
  if (body.length > 0) {
    if (media === undefined || isJsonMediaType(media.type)) {
      const text = decodeUtf8(body);
      if (text === undefined) return invalid("body is not valid UTF-8");
      const parsed = parseJson(text);
      if (!parsed.ok) return invalid(`body is not valid JSON: ${parsed.message}`);
      event.data = parsed.value;
    } else if (media.type.startsWith("text/")) {
      const text = decodeUtf8(body);
      if (text === undefined) return invalid("text body is not valid UTF-8");
      event.data = text;
    } else {
      event.data_base64 = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("base64");
    }
  }
  const checked = checkCloudEvent(event, options);
  return checked.ok ? { ok: true, mode: "binary", events: [checked.event] } : invalid(checked.reason, [{ reason: checked.reason }]);
}
