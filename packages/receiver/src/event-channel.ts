import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import type { CellEventSource, EventStreamOptions } from "./cell-event-source.js";
import { ReceiverError } from "./receiver-error.js";

export interface EventChannelOptions {
  /**
   * Most events that may wait for a slow reader (or, with no reader yet, in
   * the backlog). Beyond it `offer` refuses and `emit` waits. Default 10 000.
   */
  maxPending?: number;
}

/**
 * An in-process `EventSink` that can be followed as a `CellEventSource`:
 * every event emitted is delivered to every reader iterating `events()`.
 * Events emitted while nobody reads are kept (up to `maxPending`) for the
 * first reader that comes. Memory is bounded: a full channel refuses
 * (`offer` → false) or makes the emitter wait (`emit`), it never drops.
 */
export class EventChannel implements CellEventSource {
  readonly maxPending: number;
  private readonly readers = new Set<ChannelReader>();
  private backlog: CloudEventV1[] = [];
  private closed = false;
  private roomWaiters: (() => void)[] = [];

  constructor(options: EventChannelOptions = {}) {
    const maxPending = options.maxPending ?? 10_000;
    if (!Number.isInteger(maxPending) || maxPending < 1) {
      throw new ReceiverError("InvalidOptions", `maxPending must be a positive integer, got ${String(maxPending)}`);
    }
    this.maxPending = maxPending;
  }

  /** Events waiting for the slowest reader (or in the backlog when nobody reads). */
  get pending(): number {
    if (this.readers.size === 0) return this.backlog.length;
    let most = 0;
    for (const reader of this.readers) most = Math.max(most, reader.pending);
    return most;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Whether `count` more events fit right now. */
  hasRoomFor(count: number): boolean {
    return !this.closed && this.pending + count <= this.maxPending;
  }

  /**
   * Delivers all of `events` or none of them: returns false (and delivers
   * nothing) when they do not fit or the channel is closed.
   */
  offer(events: readonly CloudEventV1[]): boolean {
    if (!this.hasRoomFor(events.length)) return false;
    if (events.length === 0) return true;
    if (this.readers.size === 0) {
      for (const event of events) this.backlog.push(event);
    } else {
      for (const reader of this.readers) reader.push(events);
    }
    return true;
  }

  /** `EventSink.emit`: delivers one event, waiting while the channel is full. */
  async emit(event: CloudEventV1, options: { signal?: AbortSignal } = {}): Promise<void> {
    for (;;) {
      if (this.closed) throw new ReceiverError("Closed", `event channel is closed; event ${event.id} was not delivered`);
      if (this.offer([event])) return;
      options.signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          this.roomWaiters = this.roomWaiters.filter((w) => w !== wake);
          reject(new ReceiverError("Aborted", `emit of event ${event.id} aborted while the channel was full`, { cause: options.signal?.reason }));
        };
        const wake = (): void => {
          options.signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        this.roomWaiters.push(wake);
        options.signal?.addEventListener("abort", onAbort, { once: true });
      });
    }
  }

  events(options: EventStreamOptions = {}): AsyncIterable<CloudEventV1> {
    return {
      [Symbol.asyncIterator]: () => {
        const reader = new ChannelReader(this, options.signal);
        if (this.readers.size === 0 && this.backlog.length > 0) {
          reader.push(this.backlog);
          this.backlog = [];
        }
        if (this.closed) reader.finish();
        else this.readers.add(reader);
        return reader;
      },
    };
  }

  /** Stops accepting events; readers finish after what they already hold. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const reader of this.readers) reader.finish();
    this.wakeEmitters();
  }

  /** @internal */
  detach(reader: ChannelReader): void {
    this.readers.delete(reader);
    this.wakeEmitters();
  }

  /** @internal called when a reader took events off its queue */
  roomMade(): void {
    if (this.roomWaiters.length > 0 && this.hasRoomFor(1)) this.wakeEmitters();
  }

  private wakeEmitters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }
}

class ChannelReader implements AsyncIterator<CloudEventV1> {
  private queue: (CloudEventV1 | undefined)[] = [];
  private head = 0;
  private done = false;
  private waiter: ((result: IteratorResult<CloudEventV1>) => void) | undefined;
  private readonly onAbort: () => void;

  constructor(
    private readonly channel: EventChannel,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.onAbort = () => this.stop();
    if (signal?.aborted) this.done = true;
    else signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  get pending(): number {
    return this.queue.length - this.head;
  }

  push(events: readonly CloudEventV1[]): void {
    if (this.done) return;
    let i = 0;
    const first = events[0];
    if (this.waiter !== undefined && first !== undefined) {
      const resolve = this.waiter;
      this.waiter = undefined;
      resolve({ value: first, done: false });
      i = 1;
    }
    for (; i < events.length; i++) this.queue.push(events[i]);
  }

  /** No more events will come; what is queued is still delivered. */
  finish(): void {
    this.done = true;
    this.signal?.removeEventListener("abort", this.onAbort);
    if (this.waiter !== undefined && this.pending === 0) {
      const resolve = this.waiter;
      this.waiter = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<CloudEventV1>> {
    if (this.signal?.aborted) {
      this.stop();
      return Promise.resolve({ value: undefined, done: true });
    }
    const value = this.head < this.queue.length ? this.queue[this.head] : undefined;
    if (value !== undefined) {
      this.queue[this.head] = undefined;
      this.head += 1;
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.channel.roomMade();
      return Promise.resolve({ value, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<CloudEventV1>> {
    this.stop();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** The reader leaves: its queue is dropped and the channel forgets it. */
  private stop(): void {
    this.queue = [];
    this.head = 0;
    this.finish();
    this.channel.detach(this);
  }
}
