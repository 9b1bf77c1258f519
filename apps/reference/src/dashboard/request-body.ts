import type { IncomingMessage } from "node:http";

export type RequestBodyResult =
  | { ok: true; body: Buffer }
  /** 413 too large, 408 too slow, 499 the client went away. */
  | { ok: false; status: 408 | 413 | 499; message: string };

/**
 * Reads a request body into memory, never more than `maxBytes` and never for
 * longer than `timeoutMs`: a larger or slower body ends the read at once (the
 * caller answers and closes the connection rather than draining the rest).
 */
export function readRequestBody(req: IncomingMessage, options: { maxBytes: number; timeoutMs: number }): Promise<RequestBodyResult> {
  const { maxBytes, timeoutMs } = options;
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.resolve({ ok: false, status: 413, message: `body of ${declared} bytes exceeds the limit of ${maxBytes} bytes` });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: RequestBodyResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onGone);
      req.off("error", onGone);
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, status: 408, message: `body not complete within ${timeoutMs} ms (${size} bytes received)` }), timeoutMs);
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        finish({ ok: false, status: 413, message: `body exceeds the limit of ${maxBytes} bytes` });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish({ ok: true, body: chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, size) });
    const onGone = (): void => finish({ ok: false, status: 499, message: "the client closed the connection before its body was complete" });
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("close", onGone);
    req.on("error", onGone);
  });
}
