/** One Server-Sent Event as a browser's EventSource would deliver it. */
export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/**
 * Reads a `text/event-stream` body the way the HTML standard's parser does
 * (fields `event`, `data`, `id`; comments and `retry` skipped), one message at
 * a time. A test reads from it with `next()`, bounded by the test's timeout.
 */
export class SseReader {
  private buffer = "";
  private readonly decoder = new TextDecoder();
  private readonly queue: SseMessage[] = [];
  readonly comments: string[] = [];
  readonly retries: number[] = [];

  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  static from(response: Response): SseReader {
    if (response.body === null) throw new Error("the response has no body");
    return new SseReader(response.body.getReader());
  }

  async next(): Promise<SseMessage> {
    for (;;) {
      const queued = this.queue.shift();
      if (queued !== undefined) return queued;
      const chunk = await this.reader.read();
      if (chunk.done) throw new Error("the event stream ended");
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
      this.parse();
    }
  }

  /** The next message named `event`, skipping others. */
  async nextOf(event: string): Promise<SseMessage> {
    for (;;) {
      const message = await this.next();
      if (message.event === event) return message;
    }
  }

  async cancel(): Promise<void> {
    await this.reader.cancel();
  }

  private parse(): void {
    for (;;) {
      const end = this.buffer.search(/\r\n\r\n|\n\n|\r\r/);
      if (end === -1) return;
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith("\r\n\r\n", end) ? 4 : 2));
      let event = "message";
      const data: string[] = [];
      let id: string | undefined;
      let hasField = false;
      for (const line of block.split(/\r\n|\r|\n/)) {
        if (line.startsWith(":")) {
          this.comments.push(line.slice(1).trim());
          continue;
        }
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
        else if (field === "id") id = value;
        else if (field === "retry") this.retries.push(Number(value));
        else continue;
        if (field !== "retry") hasField = true;
      }
      if (hasField && data.length > 0) this.queue.push({ event, data: data.join("\n"), ...(id === undefined ? {} : { id }) });
    }
  }
}
