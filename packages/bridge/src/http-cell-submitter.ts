import { Buffer } from "node:buffer";
import { randomUUID } from "node:crypto";
import * as z from "zod";
import { CloudEventV1Schema } from "@cellos-cortex/cellos-core";
import type { ExecutionCellDocument } from "@cellos-cortex/cellos-core";
import { BridgeError, describeError, isBridgeError } from "./bridge-error.js";
import type { CellSubmissionOutcome, CellSubmitter, SubmitOptions } from "./cell-submitter.js";
import { checkTimeoutMs, delay, withDeadline } from "./deadline.js";

export interface HttpCellSubmitterOptions {
  /** The CellOS server, e.g. `http://127.0.0.1:8080`; cells are POSTed to `{baseUrl}/v1/cells`. */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Per attempt, request and response body together (default 10 000 ms). */
  readonly timeoutMs?: number;
  /** Extra attempts after a 503 or a connection failure (default 3). */
  readonly retries?: number;
  /** First backoff; doubles per attempt, with jitter (default 100 ms). */
  readonly backoffMs?: number;
  /** Longest backoff, also the cap on a server's `Retry-After` (default 5 000 ms). */
  readonly maxBackoffMs?: number;
  /** Largest response body read (default 1 MiB); the error `body` keeps 4 KiB of it. */
  readonly maxResponseBytes?: number;
  /** Injected `fetch` (default the global one). */
  readonly fetch?: typeof fetch;
}

/** What a CellOS server answers to `POST /v1/cells` (ADR-0023): `202 {cellId}`, optionally with a finished run. */
export const CellAcceptedResponseSchema = z.looseObject({
  cellId: z.string().min(1),
  exitCode: z.int().nullish(),
  lifecycleEvents: z.array(CloudEventV1Schema).nullish(),
});
export type CellAcceptedResponse = z.infer<typeof CellAcceptedResponseSchema>;

/** Connection failures worth another attempt: the request most likely never reached the server's handler. */
const RETRYABLE_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "ECONNABORTED"]);
const ERROR_BODY_LIMIT = 4096;

interface Attempt {
  readonly status: number;
  readonly body: string;
  readonly retryAfter: string | null;
}

/**
 * Submits cells to a CellOS server over HTTP: `POST {baseUrl}/v1/cells` with
 * the document as JSON, expecting `202 {cellId}` (ADR-0023). Retries a 503
 * (honouring `Retry-After`) and connection resets with exponential backoff,
 * under one `Idempotency-Key` per submission; any other status is a
 * `BridgeError` `Http` carrying `status` and `body`.
 */
export class HttpCellSubmitter implements CellSubmitter {
  readonly url: string;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #maxResponseBytes: number;
  readonly #fetch: typeof fetch;

  constructor(options: HttpCellSubmitterOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch (error) {
      throw new BridgeError("InvalidOptions", `HttpCellSubmitter baseUrl ${JSON.stringify(options.baseUrl)} is not a URL`, { cause: error });
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") throw new BridgeError("InvalidOptions", `HttpCellSubmitter baseUrl ${JSON.stringify(options.baseUrl)} must be http(s)`);
    if (!base.pathname.endsWith("/")) base.pathname += "/";
    this.url = new URL("v1/cells", base).toString();
    this.#token = options.token;
    this.#timeoutMs = checkTimeoutMs(options.timeoutMs, "HttpCellSubmitter timeoutMs") ?? 10_000;
    this.#retries = checkCount(options.retries ?? 3, "retries");
    this.#backoffMs = checkCount(options.backoffMs ?? 100, "backoffMs");
    this.#maxBackoffMs = checkCount(options.maxBackoffMs ?? 5_000, "maxBackoffMs");
    this.#maxResponseBytes = checkCount(options.maxResponseBytes ?? 1024 * 1024, "maxResponseBytes");
    this.#fetch = options.fetch ?? fetch;
  }

  async submit(document: ExecutionCellDocument, options: SubmitOptions = {}): Promise<CellSubmissionOutcome> {
    const cellId = document.spec.id;
    const signal = options.signal;
    const aborted = (reason: unknown): BridgeError => new BridgeError("Aborted", `POST ${this.url} for cell ${JSON.stringify(cellId)} was aborted`, { cellId, cause: reason });
    const body = JSON.stringify(document);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json",
      "idempotency-key": randomUUID(),
    };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;

    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.#retries;
      let result: Attempt;
      try {
        result = await withDeadline((attemptSignal) => this.#attempt(body, headers, attemptSignal), {
          signal,
          timeoutMs: this.#timeoutMs,
          onTimeout: () => new BridgeError("Timeout", `POST ${this.url} for cell ${JSON.stringify(cellId)} got no answer within ${this.#timeoutMs} ms`, { cellId }),
          onAbort: aborted,
        });
      } catch (error) {
        if (isBridgeError(error)) throw error;
        const code = errorCode(error);
        if (!last && code !== undefined && RETRYABLE_CODES.has(code)) {
          await delay(this.#backoff(attempt, null), signal, aborted);
          continue;
        }
        throw new BridgeError("Http", `POST ${this.url} for cell ${JSON.stringify(cellId)} failed${code === undefined ? "" : ` (${code})`}: ${describeError(error)}${attempt > 0 ? ` after ${attempt + 1} attempts` : ""}`, { cellId, cause: error });
      }
      if (result.status === 503 && !last) {
        await delay(this.#backoff(attempt, result.retryAfter), signal, aborted);
        continue;
      }
      if (result.status < 200 || result.status > 299) {
        const snippet = result.body.slice(0, ERROR_BODY_LIMIT);
        throw new BridgeError("Http", `POST ${this.url} for cell ${JSON.stringify(cellId)} → ${result.status}: ${snippet === "" ? "(empty body)" : snippet}`, { cellId, status: result.status, body: snippet });
      }
      return this.#outcome(result, cellId);
    }
  }

  async #attempt(body: string, headers: Record<string, string>, signal: AbortSignal): Promise<Attempt> {
    const response = await this.#fetch(this.url, { method: "POST", headers, body, signal });
    return { status: response.status, retryAfter: response.headers.get("retry-after"), body: await readBounded(response, this.#maxResponseBytes) };
  }

  #outcome(result: Attempt, cellId: string): CellSubmissionOutcome {
    let json: unknown;
    try {
      json = JSON.parse(result.body) as unknown;
    } catch (error) {
      throw new BridgeError("InvalidOutcome", `POST ${this.url} → ${result.status} but the body is not JSON: ${result.body.slice(0, 200)}`, { cellId, status: result.status, body: result.body.slice(0, ERROR_BODY_LIMIT), cause: error });
    }
    const parsed = CellAcceptedResponseSchema.safeParse(json);
    if (!parsed.success) {
      throw new BridgeError("InvalidOutcome", `POST ${this.url} → ${result.status} but the body is not {cellId}: ${result.body.slice(0, 200)}`, { cellId, status: result.status, body: result.body.slice(0, ERROR_BODY_LIMIT), cause: parsed.error });
    }
    const accepted = parsed.data;
    return {
      cellId: accepted.cellId,
      ...(accepted.exitCode === undefined || accepted.exitCode === null ? {} : { exitCode: accepted.exitCode }),
      lifecycleEvents: accepted.lifecycleEvents ?? [],
    };
  }

  /** Exponential backoff with ±25 % jitter, or the server's `Retry-After`, capped at `maxBackoffMs`. */
  #backoff(attempt: number, retryAfter: string | null): number {
    const hinted = parseRetryAfter(retryAfter);
    if (hinted !== undefined) return Math.min(hinted, this.#maxBackoffMs);
    const base = Math.min(this.#backoffMs * 2 ** attempt, this.#maxBackoffMs);
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }
}

function checkCount(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw new BridgeError("InvalidOptions", `HttpCellSubmitter ${what} must be an integer ≥ 0, got ${String(value)}`);
  return value;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; `undefined` when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** The system error code of a failed fetch (undici wraps it in `cause`). */
function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    if (typeof current === "object" && "code" in current && typeof current.code === "string") return current.code;
    current = typeof current === "object" && "cause" in current ? current.cause : undefined;
  }
  return undefined;
}

/** Reads at most `limit` bytes of the body as UTF-8, cancelling the rest. */
async function readBounded(response: Response, limit: number): Promise<string> {
  if (response.body === null) return "";
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = limit - total;
      chunks.push(value.byteLength > room ? value.subarray(0, room) : value);
      total += Math.min(value.byteLength, room);
      if (total >= limit) {
        await reader.cancel();
        break;
      }
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks).toString("utf8");
}
