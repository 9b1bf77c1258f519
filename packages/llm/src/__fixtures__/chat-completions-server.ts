/**
 * A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions format,
 * for the adapter's integration tests. Each request is answered by the next
 * scripted step (the last step repeats); every request is recorded.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: unknown;
}

export type Step =
  | { kind: "reply"; status?: number; headers?: Record<string, string>; body: string }
  /** Accept the request and never answer. */
  | { kind: "hang" }
  /** Send headers and part of the body, then stall. */
  | { kind: "stall-body"; partial: string }
  /** Destroy the socket without answering. */
  | { kind: "drop" }
  | { kind: "custom"; handle: (req: RecordedRequest, res: ServerResponse) => void };

export function chatCompletion(content: string | null, options: { model?: string; promptTokens?: number; completionTokens?: number } = {}): string {
  return JSON.stringify({
    id: "chatcmpl-test",
    object: "chat.completion",
    created: 1_700_000_000,
    model: options.model ?? "test-model-2024",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: options.promptTokens ?? 11, completion_tokens: options.completionTokens ?? 7, total_tokens: 18 },
  });
}

export const ok = (content: string, options?: Parameters<typeof chatCompletion>[1]): Step => ({
  kind: "reply",
  body: chatCompletion(content, options),
});

export interface ChatServer {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Resolves when the server has received `count` requests in total. */
  received(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startChatServer(steps: Step[]): Promise<ChatServer> {
  const requests: RecordedRequest[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the raw text
      }
      const recorded: RecordedRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      requests.push(recorded);
      for (const waiter of waiters.filter((w) => requests.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      const step = steps[Math.min(requests.length - 1, steps.length - 1)];
      if (!step) throw new Error("no scripted step");
      switch (step.kind) {
        case "reply":
          res.writeHead(step.status ?? 200, { "content-type": "application/json", ...step.headers });
          res.end(step.body);
          return;
        case "hang":
          return;
        case "stall-body":
          res.writeHead(200, { "content-type": "application/json" });
          res.write(step.partial);
          return;
        case "drop":
          req.socket.destroy();
          return;
        case "custom":
          step.handle(recorded, res);
          return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    received: (count) =>
      requests.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
