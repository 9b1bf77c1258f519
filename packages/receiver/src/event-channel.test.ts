import { describe, expect, it } from "vitest";
import { LIFECYCLE_DESTROYED, cellEvent, nextWithin, take } from "./__fixtures__/events.js";
import { EventChannel } from "./event-channel.js";
import { ReceiverError } from "./receiver-error.js";

const events = (n: number) => Array.from({ length: n }, (_, i) => cellEvent(LIFECYCLE_DESTROYED, `c${i}`));

describe("EventChannel", () => {
  it("keeps events emitted before anyone reads for the first reader", async () => {
    const channel = new EventChannel();
    const sent = events(3);
    for (const event of sent) await channel.emit(event);
    const reader = channel.events()[Symbol.asyncIterator]();
    expect(await take(reader, 3)).toEqual(sent);
  });

  it("delivers every event to every reader", async () => {
    const channel = new EventChannel();
    const a = channel.events()[Symbol.asyncIterator]();
    const b = channel.events()[Symbol.asyncIterator]();
    const pending = take(a, 2);
    const sent = events(2);
    expect(channel.offer(sent)).toBe(true);
    expect(await pending).toEqual(sent);
    expect(await take(b, 2)).toEqual(sent);
  });

  it("offer is all or nothing, bounded by maxPending", async () => {
    const channel = new EventChannel({ maxPending: 3 });
    expect(channel.offer(events(2))).toBe(true);
    expect(channel.offer(events(2))).toBe(false);
    expect(channel.pending).toBe(2);
    expect(channel.offer(events(1))).toBe(true);
    const reader = channel.events()[Symbol.asyncIterator]();
    expect(await take(reader, 3)).toHaveLength(3);
    expect(channel.offer(events(3))).toBe(true);
  });

  it("emit waits for room instead of dropping", async () => {
    const channel = new EventChannel({ maxPending: 1 });
    const reader = channel.events()[Symbol.asyncIterator]();
    const [first, second] = events(2) as [ReturnType<typeof cellEvent>, ReturnType<typeof cellEvent>];
    await channel.emit(first);
    let secondDone = false;
    const emitting = channel.emit(second).then(() => {
      secondDone = true;
    });
    await Promise.resolve();
    expect(secondDone).toBe(false);
    expect(await take(reader, 1)).toEqual([first]);
    await emitting;
    expect(await take(reader, 1)).toEqual([second]);
  });

  it("emit waiting for room can be aborted", async () => {
    const channel = new EventChannel({ maxPending: 1 });
    channel.events()[Symbol.asyncIterator]();
    await channel.emit(cellEvent(LIFECYCLE_DESTROYED, "a"));
    const controller = new AbortController();
    const waiting = channel.emit(cellEvent(LIFECYCLE_DESTROYED, "b"), { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ kind: "Aborted" });
  });

  it("close lets readers drain what they hold, then ends them; emit after close fails", async () => {
    const channel = new EventChannel();
    const reader = channel.events()[Symbol.asyncIterator]();
    const sent = events(2);
    channel.offer(sent);
    channel.close();
    expect(await take(reader, 2)).toEqual(sent);
    expect(await nextWithin(reader)).toEqual({ value: undefined, done: true });
    await expect(channel.emit(cellEvent(LIFECYCLE_DESTROYED, "late"))).rejects.toBeInstanceOf(ReceiverError);
    expect(channel.offer(events(1))).toBe(false);
  });

  it("a reader whose signal aborts ends and no longer holds events back", async () => {
    const channel = new EventChannel({ maxPending: 2 });
    const controller = new AbortController();
    const reader = channel.events({ signal: controller.signal })[Symbol.asyncIterator]();
    const waiting = nextWithin(reader);
    const [first, ...rest] = events(3);
    expect(channel.offer(events(0).concat(first ?? []))).toBe(true);
    expect(await waiting).toEqual({ value: first, done: false });
    expect(channel.offer(rest)).toBe(true);
    expect(channel.offer(events(1))).toBe(false); // the reader holds 2 of at most 2
    controller.abort();
    expect(await nextWithin(reader)).toEqual({ value: undefined, done: true });
    expect(channel.offer(events(1))).toBe(true);
  });

  it("rejects a bad maxPending", () => {
    expect(() => new EventChannel({ maxPending: 0 })).toThrow(expect.objectContaining({ kind: "InvalidOptions" }));
  });
});
