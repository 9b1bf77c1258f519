import { CloudEvent, HTTP } from "cloudevents";
import { describe, expect, it } from "vitest";
import {
  commandCompletedEvent,
  complianceSummaryEvent,
  cortexDispatchedEvent,
  exportV1CompletedEvent,
  exportV2CompletedEvent,
  exportV2FailedEvent,
  lifecycleDestroyedEvent,
  lifecycleFailedEvent,
  lifecycleStartedEvent,
  parseCloudEventV1,
  processSpawnedEvent,
} from "./index.js";
import type { CloudEventV1 } from "./index.js";

const source = "/cellos/supervisor/host-1";
const common = { source, cellId: "cell-1", specId: "spec-1", runId: "run-1" };
const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

const ours: CloudEventV1[] = [
  lifecycleStartedEvent({ ...common, traceparent, subject: "cell:cell-1" }),
  lifecycleDestroyedEvent({ ...common, outcome: "failed", terminalState: "forced", reason: "ttl_exceeded" }),
  lifecycleFailedEvent({ ...common, reason: "oom" }),
  commandCompletedEvent({ ...common, argv: ["node", "agent.js"], exitCode: 3, durationMs: 10 }),
  exportV1CompletedEvent({ ...common, destinationRelative: "out/a.json" }),
  exportV2CompletedEvent({ ...common, receipt: { destination: "file:///tmp/out/a.json" } }),
  exportV2FailedEvent({ ...common, artifactName: "a", targetKind: "local", reason: "denied" }),
  processSpawnedEvent({ ...common, program: "node", argc: 2 }),
  complianceSummaryEvent({ ...common, lifetimeTtlSeconds: 60, egressRuleCount: 1, secretDeliveryMode: "env", commandExitCode: 0 }),
  cortexDispatchedEvent({ source: "/cortex/runner", packId: "pack-abc", cellId: "cell-1", doctrineRefs: ["D1", "D5"] }),
];

/** The SDK's attribute type has no `null`; our constructors never set one, this drops any that a type allows. */
function sdkEvent(event: CloudEventV1): CloudEvent<unknown> {
  const attributes = Object.fromEntries(Object.entries(event).filter(([, value]) => value !== null));
  return new CloudEvent(attributes);
}

describe("interop with the cloudevents SDK", () => {
  it("every event we construct passes the SDK's validate()", () => {
    for (const event of ours) {
      expect(sdkEvent(event).validate()).toBe(true);
    }
  });

  it("HTTP.binary carries our events: attributes in ce- headers, data as the JSON body", () => {
    for (const event of ours) {
      const message = HTTP.binary(sdkEvent(event));
      expect(message.headers["ce-id"]).toBe(event.id);
      expect(message.headers["ce-type"]).toBe(event.type);
      expect(message.headers["ce-source"]).toBe(event.source);
      expect(message.headers["ce-specversion"]).toBe("1.0");
      expect(message.headers["content-type"]).toContain("application/json");
      expect(JSON.parse(message.body as string)).toEqual(event.data);
      const back = HTTP.toEvent(message) as CloudEvent<unknown>;
      expect(back.id).toBe(event.id);
      expect(back.type).toBe(event.type);
      expect(back.data).toEqual(event.data);
    }
    const [first] = ours;
    if (!first) throw new Error("no events");
    const withTrace = HTTP.binary(sdkEvent(first));
    expect(withTrace.headers["ce-traceparent"]).toBe(traceparent);
    expect(withTrace.headers["ce-subject"]).toBe("cell:cell-1");
  });

  it("HTTP.structured carries our events and our parser reads the body back unchanged", () => {
    for (const event of ours) {
      const message = HTTP.structured(sdkEvent(event));
      expect(message.headers["content-type"]).toContain("application/cloudevents+json");
      // Our default `time` has millisecond precision, so the SDK's re-formatting keeps it.
      expect(parseCloudEventV1(JSON.parse(message.body as string))).toEqual(event);
    }
  });

  it("the SDK truncates a nanosecond time, which is why received events never go through it", () => {
    const time = "2026-07-08T09:10:11.123456789Z";
    const event = lifecycleStartedEvent({ ...common, time });
    const viaSdk = JSON.parse(HTTP.structured(sdkEvent(event)).body as string) as { time: string };
    expect(viaSdk.time).toBe("2026-07-08T09:10:11.123Z");
    expect(parseCloudEventV1(JSON.parse(JSON.stringify(event))).time).toBe(time);
  });
});
