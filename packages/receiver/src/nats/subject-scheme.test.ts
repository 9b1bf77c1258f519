import { CellosEventType, lifecycleDestroyedEvent } from "@cellos-cortex/cellos-core";
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReceiverError } from "../receiver-error.js";
import {
  NO_CELL_TOKEN,
  cellEventSubject,
  cellSubjectFilter,
  checkSubjectPrefix,
  decodeSubjectToken,
  encodeSubjectToken,
  eventSubject,
  typeSubjectTokens,
} from "./subject-scheme.js";

/** What NATS refuses inside a token: the separator, wildcards, whitespace. */
const FORBIDDEN_IN_TOKEN = /[.*>\s]/;

describe("subject scheme", () => {
  it("puts an event on <prefix>.<cell>.<type>", () => {
    const event = lifecycleDestroyedEvent({ source: "/t", cellId: "cortex-abc-task", specId: "s", outcome: "succeeded" });
    expect(eventSubject("cellos.events", event)).toBe("cellos.events.cortex-abc-task.dev.cellos.events.cell.lifecycle.v1.destroyed");
  });

  it("escapes a cell id with dots so one cell's filter never matches another cell", () => {
    // `a.b` must not fall under `a`'s filter `cellos.events.a.>`.
    const subject = cellEventSubject("cellos.events", "a.b", CellosEventType.lifecycleStarted);
    expect(subject).toBe("cellos.events.a%2Eb.dev.cellos.events.cell.lifecycle.v1.started");
    expect(subject.startsWith("cellos.events.a.")).toBe(false);
    expect(cellSubjectFilter("cellos.events", "a.b")).toBe("cellos.events.a%2Eb.>");
  });

  it("gives events without a cell id the ~ token", () => {
    expect(eventSubject("p", { specversion: "1.0", id: "1", source: "s", type: "t" })).toBe(`p.${NO_CELL_TOKEN}.t`);
    expect(eventSubject("p", { specversion: "1.0", id: "1", source: "s", type: "t", data: { cellId: "" } })).toBe(`p.${NO_CELL_TOKEN}.t`);
    expect(eventSubject("p", { specversion: "1.0", id: "1", source: "s", type: "t", data: { cellId: 7 } })).toBe(`p.${NO_CELL_TOKEN}.t`);
  });

  it("escapes wildcards, whitespace and empty parts of a type", () => {
    expect(typeSubjectTokens("a..b")).toBe(`a.${NO_CELL_TOKEN}.b`);
    expect(typeSubjectTokens("x.*.>")).toBe("x.%2A.%3E");
    expect(typeSubjectTokens("with space")).toBe("with%20space");
  });

  it("encodes any string into one valid token, injectively, and decodes it back", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40, unit: "binary" }), fc.string({ minLength: 1, maxLength: 40, unit: "binary" }), (a, b) => {
        const ta = encodeSubjectToken(a);
        expect(ta).not.toMatch(FORBIDDEN_IN_TOKEN);
        expect(ta.length).toBeGreaterThan(0);
        expect(ta).not.toBe(NO_CELL_TOKEN);
        expect(decodeSubjectToken(ta)).toBe(a);
        if (a !== b) expect(encodeSubjectToken(b)).not.toBe(ta);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps plain cell ids readable", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{1,128}$/), (id) => {
        expect(encodeSubjectToken(id)).toBe(id);
      }),
      { numRuns: 100 },
    );
  });

  it("refuses to decode what it could not have encoded", () => {
    for (const junk of ["", "a.b", "%2", "%zz", "%2e", "a b", "~", "%FF"]) {
      expect(() => decodeSubjectToken(junk), junk).toThrow(ReceiverError);
    }
  });

  it("checks subject prefixes", () => {
    expect(checkSubjectPrefix("cellos.events")).toBe("cellos.events");
    for (const bad of ["", ".a", "a.", "a..b", "a.*", "a.>", "a b", 3, undefined]) {
      expect(() => checkSubjectPrefix(bad), String(bad)).toThrow(/subjectPrefix/);
    }
  });
});
