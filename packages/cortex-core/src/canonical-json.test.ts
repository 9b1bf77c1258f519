import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJsonBytes } from "./canonical-bytes.js";
import { CANONICAL_JSON_MAX_DEPTH, canonicalJson } from "./canonical-json.js";
import { CortexCoreError } from "./errors.js";

function float64(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

function errorOf(fn: () => unknown): CortexCoreError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CortexCoreError) return error;
    throw error;
  }
  throw new Error("expected a CortexCoreError");
}

describe("canonicalJson — RFC 8785 vectors", () => {
  it("RFC 8785 §3.2.2 example: literals, numbers and string escaping", () => {
    // The RFC's input text, parsed as JSON.
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        '"literals": [null, true, false]}',
    ) as unknown;
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("RFC 8785 §3.2.3 example: members sorted by UTF-16 code units, non-ASCII keys", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",' +
        '"€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  // RFC 8785 Appendix B: IEEE 754 bit pattern → canonical text.
  const numberTable: [string, string][] = [
    ["0000000000000000", "0"],
    ["8000000000000000", "0"],
    ["0000000000000001", "5e-324"],
    ["8000000000000001", "-5e-324"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["ffefffffffffffff", "-1.7976931348623157e+308"],
    ["4340000000000000", "9007199254740992"],
    ["c340000000000000", "-9007199254740992"],
    ["4430000000000000", "295147905179352830000"],
    ["44b52d02c7e14af5", "9.999999999999997e+22"],
    ["44b52d02c7e14af6", "1e+23"],
    ["44b52d02c7e14af7", "1.0000000000000001e+23"],
    ["444b1ae4d6e2ef4e", "999999999999999700000"],
    ["444b1ae4d6e2ef4f", "999999999999999900000"],
    ["444b1ae4d6e2ef50", "1e+21"],
    ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
    ["3eb0c6f7a0b5ed8d", "0.000001"],
    ["41b3de4355555553", "333333333.3333332"],
    ["41b3de4355555554", "333333333.33333325"],
    ["41b3de4355555555", "333333333.3333333"],
    ["41b3de4355555556", "333333333.3333334"],
    ["41b3de4355555557", "333333333.33333343"],
    ["becbf647612f3696", "-0.0000033333333333333333"],
    ["43143ff3c1cb0959", "1424953923781206.2"],
  ];
  for (const [bits, text] of numberTable) {
    it(`RFC 8785 Appendix B: ${bits} → ${text}`, () => {
      expect(canonicalJson(float64(bits))).toBe(text);
      expect(canonicalJson([float64(bits)])).toBe(`[${text}]`);
    });
  }

  it("RFC 8785 Appendix B: NaN and Infinity are errors", () => {
    for (const bits of ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"]) {
      expect(errorOf(() => canonicalJson({ n: float64(bits) })).kind).toBe("NotCanonicalizable");
    }
  });
});

describe("canonicalJson — behaviour", () => {
  it("writes no whitespace and keeps array order", () => {
    expect(canonicalJson({ b: [3, 1, 2], a: { d: true, c: null } })).toBe('{"a":{"c":null,"d":true},"b":[3,1,2]}');
  });

  it("sorts integer-like keys as strings, not numbers", () => {
    expect(canonicalJson({ 10: "ten", 2: "two", 1: "one", a: 0 })).toBe('{"1":"one","10":"ten","2":"two","a":0}');
  });

  it("sorts by UTF-16 code units, not by code points or UTF-8 bytes (astral before U+E000..U+FFFF)", () => {
    // U+1F600 is D83D DE00 in UTF-16, which sorts before U+FF01.
    expect(canonicalJson({ "\uff01": 1, "\u{1f600}": 2 })).toBe('{"😀":2,"！":1}');
  });

  it("escapes control characters, quote and backslash only; keeps / and non-ASCII raw", () => {
    expect(canonicalJson("a\u0000\u001f\"\\/é€😀\u007f\u2028")).toBe('"a\\u0000\\u001f\\"\\\\/é€😀\u007f\u2028"');
    expect(canonicalJson("\b\t\n\f\r")).toBe('"\\b\\t\\n\\f\\r"');
  });

  it("long strings take the word-scan path and still escape exactly what JSON.stringify escapes", () => {
    const base = "lorem ipsum dolor sit amet, 😀 é ".repeat(64);
    for (const inject of ["", '"', "\\", "\u0000", "\n", "\u001f", "\u0080", "\u2028"]) {
      for (const at of [0, 1, 2, 3, 777, base.length]) {
        const value = base.slice(0, at) + inject + base.slice(at);
        expect(canonicalJson(value)).toBe(JSON.stringify(value));
      }
    }
  });

  it("prints -0 as 0 and integers without a fraction", () => {
    expect(canonicalJson({ a: -0, b: 1.0, c: 100 })).toBe('{"a":0,"b":1,"c":100}');
  });

  it("accepts null-prototype objects", () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.z = 1;
    bare.a = 2;
    expect(canonicalJson(bare)).toBe('{"a":2,"z":1}');
  });

  it("keeps __proto__ and other Object.prototype names as ordinary members", () => {
    const parsed = JSON.parse('{"__proto__":{"x":1},"constructor":2,"toString":"s"}') as unknown;
    expect(canonicalJson(parsed)).toBe('{"__proto__":{"x":1},"constructor":2,"toString":"s"}');
    expect(canonicalJson([{ a: 1 }, parsed])).toBe('[{"a":1},{"__proto__":{"x":1},"constructor":2,"toString":"s"}]');
  });

  it("canonicalJsonBytes is the UTF-8 encoding", () => {
    expect(Array.from(canonicalJsonBytes({ é: "€" }))).toEqual(Array.from(new TextEncoder().encode('{"é":"€"}')));
  });

  const rejects: [string, () => unknown, RegExp][] = [
    ["NaN", () => ({ a: [1, Number.NaN] }), /non-finite number NaN at \$\.a\[1\]/],
    ["Infinity", () => ({ x: Number.POSITIVE_INFINITY }), /non-finite number Infinity at \$\.x/],
    ["undefined member", () => ({ a: undefined }), /undefined at \$\.a/],
    ["undefined element", () => [1, undefined], /undefined at \$\[1\]/],
    ["top-level undefined", () => undefined, /undefined at \$/],
    ["array hole", () => [1, , 3], /array hole \(undefined\) at \$\[1\]/], // eslint-disable-line no-sparse-arrays
    ["bigint", () => ({ n: 10n }), /bigint 10n at \$\.n/],
    ["function", () => ({ f: () => 1 }), /function at \$\.f/],
    ["symbol value", () => ({ s: Symbol("x") }), /symbol at \$\.s/],
    ["Date", () => ({ when: new Date(0) }), /non-plain object Date at \$\.when/],
    ["Map", () => new Map(), /non-plain object Map at \$/],
    ["class instance", () => ({ x: new (class Point {})() }), /non-plain object Point at \$\.x/],
    ["lone surrogate value", () => ({ s: "a\ud800b" }), /lone UTF-16 surrogate .* at \$\.s/],
    ["lone surrogate key", () => ({ ["k\udc00"]: 1 }), /lone UTF-16 surrogate/],
    ["long string lone surrogate", () => ({ s: "x".repeat(600) + "\udfff" }), /lone UTF-16 surrogate/],
  ];
  for (const [name, make, message] of rejects) {
    it(`throws NotCanonicalizable for ${name}, naming the path`, () => {
      const error = errorOf(() => canonicalJson(make()));
      expect(error.kind).toBe("NotCanonicalizable");
      expect(error.message).toMatch(message);
    });
  }

  it("ignores symbol-keyed properties, as JSON.stringify does (they are not JSON members)", () => {
    expect(canonicalJson({ [Symbol("k")]: 1, a: 2 })).toBe('{"a":2}');
  });

  it("throws NotCanonicalizable for a cycle", () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = { back: a };
    const error = errorOf(() => canonicalJson(a));
    expect(error.kind).toBe("NotCanonicalizable");
    expect(error.message).toMatch(/cycle at \$\.self\.back/);
    const list: unknown[] = [];
    list.push(list);
    expect(errorOf(() => canonicalJson(list)).message).toMatch(/cycle at \$\[0\]/);
  });

  it("shared (non-cyclic) references are fine", () => {
    const shared = { v: 1 };
    expect(canonicalJson({ a: shared, b: [shared, shared] })).toBe('{"a":{"v":1},"b":[{"v":1},{"v":1}]}');
  });

  it("refuses nesting deeper than the limit with a typed error, not a stack overflow", () => {
    let deep: unknown = 0;
    for (let i = 0; i < CANONICAL_JSON_MAX_DEPTH + 5; i++) deep = [deep];
    const error = errorOf(() => canonicalJson(deep));
    expect(error.message).toMatch(/nesting deeper than 4096/);
    let ok: unknown = 0;
    for (let i = 0; i < 1000; i++) ok = { a: ok };
    expect(canonicalJson(ok)).toMatch(/^(\{"a":){1000}0\}{1000}$/);
  });
});

describe("canonicalJson — properties", () => {
  // An independent, obviously-correct (and slow) reference canonicalizer.
  const reference = (value: unknown): string => {
    if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
    if (value !== null && typeof value === "object") {
      const record = value as Record<string, unknown>;
      return `{${Object.keys(record)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${reference(record[key])}`)
        .join(",")}}`;
    }
    return JSON.stringify(value);
  };

  it("matches a reference canonicalizer and is stable under re-parsing", () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: "grapheme" }), (value) => {
        const text = canonicalJson(value);
        expect(text).toBe(reference(value));
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  // Arbitrary UTF-16 code units (lone surrogates included), short and long
  // (≥ 512 units takes the word-scan path), biased towards characters that matter.
  const unit = fc.oneof(
    fc.integer({ min: 0, max: 0xffff }),
    fc.constantFrom(0x22, 0x5c, 0x00, 0x1f, 0x20, 0x7f, 0x80, 0xd800, 0xdc00),
    fc.integer({ min: 0x61, max: 0x7a }),
  );
  const utf16String = fc
    .oneof(
      fc.array(unit, { maxLength: 40 }),
      fc.array(unit, { minLength: 512, maxLength: 700 }),
      // Long and mostly clean, with at most one interesting unit somewhere.
      fc.tuple(fc.array(fc.integer({ min: 0x20, max: 0x7e }), { minLength: 512, maxLength: 700 }), fc.option(unit), fc.nat()).map(
        ([units, extra, at]) => (extra === null ? units : [...units.slice(0, at % units.length), extra, ...units.slice(at % units.length)]),
      ),
    )
    .map((units) => String.fromCharCode(...units));

  it("any UTF-16 string: escaped exactly as JSON.stringify when well-formed, refused otherwise", () => {
    fc.assert(
      fc.property(utf16String, (value) => {
        const wellFormed = !/\p{Cs}/u.test(value);
        if (wellFormed) expect(canonicalJson(value)).toBe(JSON.stringify(value));
        else expect(errorOf(() => canonicalJson(value)).kind).toBe("NotCanonicalizable");
      }),
      { numRuns: 300 },
    );
  });

  it("canonicalJsonBytes (the hashing writer) is byte-identical to the UTF-8 of canonicalJson", () => {
    const decoder = new TextDecoder("utf-8", { fatal: true });
    const longish = fc.string({ unit: "grapheme", minLength: 200, maxLength: 400 });
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: "grapheme" }), fc.array(fc.oneof(longish, utf16String), { maxLength: 3 }), (value, strings) => {
        for (const v of [value, strings, { strings, value }]) {
          let text: string | undefined;
          let textError: CortexCoreError | undefined;
          try {
            text = canonicalJson(v);
          } catch (error) {
            textError = error as CortexCoreError;
          }
          if (text === undefined) {
            expect(textError?.kind).toBe("NotCanonicalizable");
            expect(errorOf(() => canonicalJsonBytes(v)).message).toBe(textError?.message);
          } else {
            const bytes = canonicalJsonBytes(v);
            expect(decoder.decode(bytes)).toBe(text);
            expect(Array.from(bytes)).toEqual(Array.from(new TextEncoder().encode(text)));
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("canonicalJsonBytes handles values larger than its initial buffer", () => {
    const big = { text: "é".repeat(70_000), list: Array.from({ length: 5000 }, (_, i) => ({ i, s: `item ${i}` })) };
    expect(new TextDecoder().decode(canonicalJsonBytes(big))).toBe(canonicalJson(big));
  });

  it("ignores member insertion order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), (dict) => {
        const reversed = Object.fromEntries(Object.entries(dict).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(dict));
      }),
      { numRuns: 200 },
    );
  });

  it("junk either canonicalizes or throws NotCanonicalizable — never another error", () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true, withObjectString: true, withBoxedValues: true }), (junk) => {
        try {
          expect(typeof canonicalJson(junk)).toBe("string");
        } catch (error) {
          expect(error).toBeInstanceOf(CortexCoreError);
          expect((error as CortexCoreError).kind).toBe("NotCanonicalizable");
        }
      }),
      { numRuns: 300 },
    );
  });
});
