import { CellosError } from "./cellos-error.js";
import type { CloudEventV1 } from "./cloud-event.js";
import { safeParseCloudEventV1 } from "./cloud-event.js";

/** Upstream `ports::EventSink`: where a cell's CloudEvents go. Failures are `CellosError` `EventSink`. */
export interface EventSink {
  emit(event: CloudEventV1): Promise<void>;
}

/** Upstream `NoopEventSink`: accepts and drops every event. */
export class NoopEventSink implements EventSink {
  emit(_event: CloudEventV1): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Keeps every emitted event, in order, in `events` (a deep copy, as upstream
 * clones). An emit that is not a CloudEventV1 rejects with `EventSink`.
 */
export class MemoryEventSink implements EventSink {
  readonly events: CloudEventV1[] = [];

  emit(event: CloudEventV1): Promise<void> {
    const checked = safeParseCloudEventV1(event);
    if (!checked.success) return Promise.reject(new CellosError("EventSink", `not a CloudEventV1: ${checked.error.detail}`, { cause: checked.error }));
    try {
      this.events.push(structuredClone(event));
      return Promise.resolve();
    } catch (cause) {
      return Promise.reject(new CellosError("EventSink", `cannot keep event ${JSON.stringify(event.id)}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause }));
    }
  }

  /** Events of one CloudEvent type, in emission order. */
  ofType(type: string): CloudEventV1[] {
    return this.events.filter((event) => event.type === type);
  }

  clear(): void {
    this.events.length = 0;
  }
}
