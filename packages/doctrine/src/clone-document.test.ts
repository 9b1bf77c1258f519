import { describe, expect, it } from "vitest";
import { MAX_DOCUMENT_DEPTH, cloneDocument } from "./clone-document.js";
import { DoctrineError } from "./doctrine-error.js";

describe("cloneDocument", () => {
  it("copies JSON data exactly and shares nothing", () => {
    const input = { a: [1, { b: "x", c: null, d: -0 }], e: { f: true } };
    const copy = cloneDocument(input);
    expect(copy).toStrictEqual(input);
    expect(copy.a).not.toBe(input.a);
    expect(copy.a[1]).not.toBe(input.a[1]);
    expect(Object.is((copy.a[1] as { d: number }).d, -0)).toBe(true);
  });

  it("keeps an own __proto__ key as a key and null prototypes as null", () => {
    const input = JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as Record<string, unknown>;
    const copy = cloneDocument(input);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(["__proto__", "y"]);
    expect(Object.getOwnPropertyDescriptor(copy, "__proto__")?.value).toEqual({ x: 1 });
    const bare = Object.assign(Object.create(null) as object, { z: 1 });
    expect(Object.getPrototypeOf(cloneDocument(bare))).toBe(null);
  });

  it("copies non-plain objects with structuredClone", () => {
    const when = new Date(0);
    const copy = cloneDocument({ when });
    expect(copy.when).toEqual(when);
    expect(copy.when).not.toBe(when);
  });

  it("refuses functions, symbols and cycles with a DoctrineError naming the path", () => {
    expect(() => cloneDocument({ a: { f: () => 1 } })).toThrow(/at \/a\/f: function is not data/);
    expect(() => cloneDocument({ s: Symbol("x") })).toThrow(DoctrineError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => cloneDocument(cyclic)).toThrow(new RegExp(`deeper than ${MAX_DOCUMENT_DEPTH}`));
  });
});
