import { describe, expect, it } from "vitest";
import { SseReader } from "./__fixtures__/sse-client.js";
import { DashboardError } from "./dashboard-error.js";
import { sseComment, sseFrame, sseJsonFrame, sseRetry } from "./sse-frame.js";

async function parse(text: string): Promise<{ messages: Awaited<ReturnType<SseReader["next"]>>[]; reader: SseReader }> {
  const response = new Response(text);
  const reader = SseReader.from(response);
  const messages = [];
  for (;;) {
    try {
      messages.push(await reader.next());
    } catch (error) {
      if (error instanceof Error && error.message === "the event stream ended") return { messages, reader };
      throw error;
    }
  }
}

describe("sseFrame", () => {
  it("frames one event with its name, data and a blank line", () => {
    expect(sseFrame("cell", '{"a":1}')).toBe('event: cell\ndata: {"a":1}\n\n');
    expect(sseFrame("cell", "x", "42")).toBe("event: cell\nid: 42\ndata: x\n\n");
  });

  it("splits multi-line data into data lines so a payload cannot end the frame or forge fields", async () => {
    const hostile = "line one\n\nevent: ledger\ndata: forged\r\nlast\rreally";
    const frame = sseFrame("cell", hostile);
    expect(frame).toBe("event: cell\ndata: line one\ndata: \ndata: event: ledger\ndata: data: forged\ndata: last\ndata: really\n\n");
    const { messages } = await parse(frame);
    expect(messages).toEqual([{ event: "cell", data: "line one\n\nevent: ledger\ndata: forged\nlast\nreally" }]);
  });

  it("round-trips JSON values through a standard parser", async () => {
    const value = { cellId: "<script>\n</script>", reason: "a\r\nb", n: [1, 2] };
    const { messages } = await parse(sseJsonFrame("cell", value) + sseComment("keep-alive") + sseRetry(2000) + sseJsonFrame("removed", { cellIds: ["x"] }));
    expect(messages.map((message) => [message.event, JSON.parse(message.data)])).toEqual([
      ["cell", value],
      ["removed", { cellIds: ["x"] }],
    ]);
  });

  it("keeps comments and retry on one line", async () => {
    expect(sseComment("a\nb\r\nc")).toBe(": a b c\n\n");
    expect(sseRetry(1500)).toBe("retry: 1500\n\n");
    const { reader } = await parse(sseComment("keep\nalive") + sseRetry(1500));
    expect(reader.comments).toEqual(["keep alive"]);
    expect(reader.retries).toEqual([1500]);
  });

  it("refuses event names and ids that would break the frame", () => {
    expect(() => sseFrame("cell\ndata: x", "{}")).toThrow(DashboardError);
    expect(() => sseFrame("", "{}")).toThrow(/is not a token/);
    expect(() => sseFrame("cell", "{}", "1\n2")).toThrow(/line break/);
    expect(() => sseRetry(-1)).toThrow(/retry must be an integer/);
  });
});
