import { DashboardError } from "./dashboard-error.js";

/** Event names are one token: no line breaks or colons can leak into the frame. */
const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/**
 * One Server-Sent Events frame (HTML Living Standard, "server-sent events"):
 * `event: <name>`, one `data:` line per line of the payload (so a payload
 * containing CR or LF cannot end the frame or forge fields), a blank line.
 */
export function sseFrame(event: string, data: string, id?: string): string {
  if (!EVENT_NAME.test(event)) throw new DashboardError("InvalidOptions", `SSE event name ${JSON.stringify(event)} is not a token`);
  if (id !== undefined && /[\r\n\0]/.test(id)) throw new DashboardError("InvalidOptions", `SSE id ${JSON.stringify(id)} contains a line break or NUL`);
  let frame = `event: ${event}\n`;
  if (id !== undefined) frame += `id: ${id}\n`;
  for (const line of data.split(/\r\n|\r|\n/)) frame += `data: ${line}\n`;
  return `${frame}\n`;
}

/** A JSON payload as one frame (JSON.stringify never emits a raw line break). */
export function sseJsonFrame(event: string, value: unknown): string {
  return sseFrame(event, JSON.stringify(value));
}

/** A comment frame: ignored by `EventSource`, keeps proxies and idle timers from closing the stream. */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, " ")}\n\n`;
}

/** Tells `EventSource` how long to wait before reconnecting. */
export function sseRetry(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new DashboardError("InvalidOptions", `SSE retry must be an integer ≥ 0, got ${String(ms)}`);
  return `retry: ${ms}\n\n`;
}
