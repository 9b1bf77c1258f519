import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineCounter, parseDocument } from "yaml";
import { DoctrineAuthorityPolicy } from "./doctrine-authority-policy.js";
import { DoctrineError } from "./doctrine-error.js";
import { firstDuplicateKey } from "./json-duplicate-keys.js";
import { yamlDuplicateKeys } from "./yaml-duplicate-keys.js";
import { loadDoctrineRules, parseDoctrineRules } from "./rule-table.js";
import { realisticDocument } from "./__fixtures__/documents.js";

function tableErrorOf(text: string): DoctrineError {
  try {
    loadDoctrineRules(text);
  } catch (error) {
    expect(error).toBeInstanceOf(DoctrineError);
    return error as DoctrineError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe("loadDoctrineRules", () => {
  it("reads a YAML table", () => {
    const table = loadDoctrineRules(`
version: 1
extends: builtin
rules:
  dct_01J9ZK5V8Q3M4N6P7R8S9T0V1W:
    restrictEgressTo: ["api.example.com:443", "*.internal"]
    dropSecrets: [DB_PASSWORD]
    maxTtlSeconds: 120
  quarantine:
    denyEgress: true
    dropSecrets: true
    readOnlyFilesystem: true
    denyExports: true
    dropCapabilities: true
`);
    expect(table).toEqual({
      version: 1,
      extends: "builtin",
      rules: {
        dct_01J9ZK5V8Q3M4N6P7R8S9T0V1W: {
          restrictEgressTo: ["api.example.com:443", "*.internal"],
          dropSecrets: ["DB_PASSWORD"],
          maxTtlSeconds: 120,
        },
        quarantine: { denyEgress: true, dropSecrets: true, readOnlyFilesystem: true, denyExports: true, dropCapabilities: true },
      },
    });
  });

  it("reads the same table written as JSON", () => {
    const json = JSON.stringify({ version: 1, extends: "none", rules: { a: { maxTtlSeconds: 5 }, b: {} } });
    expect(loadDoctrineRules(json)).toEqual({ version: 1, extends: "none", rules: { a: { maxTtlSeconds: 5 }, b: {} } });
  });

  it("lists every problem with its path in one error: wrong type, unknown op, negative TTL, port out of range", () => {
    const error = tableErrorOf(`
version: 1
extends: builtin
rules:
  a:
    denyEgress: "yes"
    maxTtlSeconds: -5
  b:
    restrictEgressTo: ["ok.example.com", "api.example.com:70000"]
    dropEgress: true
  c:
    dropSecrets: [1, "ok"]
    maxTtlSeconds: 1.5
`);
    expect(error.kind).toBe("InvalidRuleTable");
    const byPath = Object.fromEntries(error.issues.map((i) => [i.path, i.message]));
    expect(Object.keys(byPath).sort()).toEqual([
      "/rules/a/denyEgress",
      "/rules/a/maxTtlSeconds",
      "/rules/b/dropEgress",
      "/rules/b/restrictEgressTo/1",
      "/rules/c/dropSecrets/0",
      "/rules/c/maxTtlSeconds",
    ]);
    expect(byPath["/rules/a/denyEgress"]).toMatch(/denyEgress must be true.*got "yes"/);
    expect(byPath["/rules/a/maxTtlSeconds"]).toMatch(/at least 1.*got -5/);
    expect(byPath["/rules/b/restrictEgressTo/1"]).toMatch(/port "70000".*out of range 1–65535/);
    expect(byPath["/rules/b/dropEgress"]).toMatch(/unknown operation "dropEgress" \(expected one of denyEgress, restrictEgressTo/);
    expect(byPath["/rules/c/dropSecrets/0"]).toMatch(/expected string.*got 1/);
    expect(byPath["/rules/c/maxTtlSeconds"]).toMatch(/whole number of seconds.*got 1\.5/);
    for (const path of Object.keys(byPath)) expect(error.message).toContain(path);
    expect(error.message).toMatch(/^invalid doctrine rule table \(6 problems\):/);
  });

  it("refuses unknown top-level keys, a wrong version and a missing extends", () => {
    const error = tableErrorOf(`{"version": 2, "rules": {}, "rulez": {}}`);
    const paths = error.issues.map((i) => i.path).sort();
    expect(paths).toEqual(["/extends", "/rulez", "/version"]);
    expect(error.issues.find((i) => i.path === "/extends")?.message).toMatch(/"builtin" or "none"/);
  });

  it("refuses a rule that is not an object and a rules map that is a list", () => {
    expect(tableErrorOf(`{"version": 1, "extends": "none", "rules": {"a": true}}`).issues[0]?.path).toBe("/rules/a");
    expect(tableErrorOf(`{"version": 1, "extends": "none", "rules": ["a"]}`).issues[0]?.path).toBe("/rules");
  });

  it("refuses empty, blank and whitespace-padded doctrine ids and the reserved __proto__ id", () => {
    const error = tableErrorOf(`{"version": 1, "extends": "none", "rules": {"": {}, " x": {}, "__proto__": {"denyEgress": true}}}`);
    const messages = error.issues.map((i) => `${i.path} ${i.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/rules\/ .*must not be empty/),
        expect.stringMatching(/^\/rules\/ x .*whitespace/),
        expect.stringMatching(/^\/rules\/__proto__ .*reserved/),
      ]),
    );
  });

  it("escapes / and ~ in paths as JSON pointers do", () => {
    const error = tableErrorOf(`{"version": 1, "extends": "none", "rules": {"team/a~b": {"maxTtlSeconds": 0}}}`);
    expect(error.issues[0]?.path).toBe("/rules/team~1a~0b/maxTtlSeconds");
  });

  it("reports syntax errors with their line, and duplicate keys, as RuleTableSyntax", () => {
    const broken = tableErrorOf("version: 1\nrules: {a: [\n");
    expect(broken.kind).toBe("RuleTableSyntax");
    expect(broken.message).toMatch(/line \d+, column \d+/);
    const duplicate = tableErrorOf("version: 1\nextends: none\nrules:\n  a: {}\n  b: {x: [{y: 1, y: 2}]}\n  a: {denyEgress: true}\n");
    expect(duplicate.kind).toBe("RuleTableSyntax");
    expect(duplicate.issues).toEqual([
      { path: "/rules/a", message: 'map keys must be unique: "a" appears again at line 6, column 3' },
      { path: "/rules/b/x/0/y", message: 'map keys must be unique: "y" appears again at line 5, column 18' },
    ]);
  });

  it("refuses keys that would collide once in JavaScript, such as 1 and \"1\"", () => {
    const error = tableErrorOf('version: 1\nextends: none\nrules:\n  1: {}\n  "1": {denyEgress: true}\n');
    expect(error.issues.map((i) => i.path)).toEqual(["/rules/1"]);
  });

  it("defuses an alias bomb instead of expanding it", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 12; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]`);
    const error = tableErrorOf(bomb.join("\n"));
    expect(error.kind).toBe("RuleTableSyntax");
    expect(error.message).toMatch(/alias/i);
  });

  it("refuses empty text and non-objects as invalid tables", () => {
    expect(tableErrorOf("").issues[0]?.path).toBe("");
    expect(tableErrorOf("42").kind).toBe("InvalidRuleTable");
    expect(tableErrorOf("[1, 2]").kind).toBe("InvalidRuleTable");
  });

  it("a table of 10 000 rules loads and applies correctly", () => {
    const rules: Record<string, unknown> = {};
    for (let i = 0; i < 10_000; i++) rules[`dct_${i}`] = { maxTtlSeconds: 1 + (i % 500), dropSecrets: [`S${i}`] };
    const table = loadDoctrineRules(JSON.stringify({ version: 1, extends: "builtin", rules }));
    const policy = new DoctrineAuthorityPolicy(table);
    expect(policy.doctrineIds).toHaveLength(10_006);
    const document = realisticDocument();
    document.spec.authority.secretRefs = ["S7777", "KEEP"];
    const { document: out, applied } = policy.apply(document, ["dct_7777", "no-egress"]);
    expect(out.spec.lifetime.ttlSeconds).toBe(1 + (7777 % 500));
    expect(out.spec.authority.secretRefs).toEqual(["KEEP"]);
    expect(out.spec.authority.egressRules).toEqual([]);
    expect(applied.map((a) => a.doctrineId)).toEqual(["dct_7777", "no-egress"]);
  });

  it("a YAML table of 10 000 rules loads too, and a repeated id among them is found", () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `  dct_${i}: {maxTtlSeconds: ${1 + i}}`);
    const table = loadDoctrineRules(["version: 1", "extends: none", "rules:", ...lines].join("\n"));
    expect(Object.keys(table.rules)).toHaveLength(10_000);
    expect(new DoctrineAuthorityPolicy(table).ruleFor("dct_9999")).toEqual({ maxTtlSeconds: 10_000 });
    const repeated = tableErrorOf(["version: 1", "extends: none", "rules:", ...lines, "  dct_5000: {}"].join("\n"));
    expect(repeated.issues.map((i) => i.path)).toEqual(["/rules/dct_5000"]);
  });

  it("a table of 10 000 bad rules is one error that counts them all and quotes the first few", () => {
    const rules: Record<string, unknown> = {};
    for (let i = 0; i < 10_000; i++) rules[`dct_${i}`] = { maxTtlSeconds: -i };
    const error = tableErrorOf(JSON.stringify({ version: 1, extends: "none", rules }));
    expect(error.issues).toHaveLength(10_000);
    expect(error.message).toMatch(/10000 problems/);
    expect(error.message).toMatch(/… and 9980 more/);
    expect(error.message.split("\n").length).toBeLessThan(30);
  });

  it("never crashes on junk: a table or a DoctrineError, nothing else", () => {
    const junk = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record({
          version: fc.oneof(fc.constant(1), fc.jsonValue()),
          extends: fc.oneof(fc.constantFrom("builtin", "none"), fc.jsonValue()),
          rules: fc.dictionary(fc.string(), fc.oneof(fc.jsonValue(), fc.dictionary(fc.constantFrom("denyEgress", "restrictEgressTo", "dropSecrets", "maxTtlSeconds", "bogus"), fc.jsonValue()))),
        })
        .map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(junk, (text) => {
        try {
          const table = loadDoctrineRules(text);
          expect(() => new DoctrineAuthorityPolicy(table)).not.toThrow();
        } catch (error) {
          expect(error).toBeInstanceOf(DoctrineError);
          expect((error as DoctrineError).message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("parseDoctrineRules validates objects the same way", () => {
    expect(() => parseDoctrineRules({ version: 1, extends: "none", rules: { a: { maxTtlSeconds: 0 } } })).toThrow(
      /\/rules\/a\/maxTtlSeconds: maxTtlSeconds must be at least 1/,
    );
    expect(() => parseDoctrineRules(null)).toThrow(DoctrineError);
  });
});

describe("JSON tables", () => {
  it("refuses a repeated doctrine id in JSON text, naming it", () => {
    const error = tableErrorOf(`{"version": 1, "extends": "none", "rules": {"a": {}, "b": {"x": [1, {"a": 2}]}, "a": {"denyEgress": true}}}`);
    expect(error.kind).toBe("RuleTableSyntax");
    expect(error.issues).toEqual([{ path: "/rules/a", message: "map keys must be unique: this key appears again" }]);
  });

  it("finds repeated keys exactly where the YAML parser does, escapes included", () => {
    const key = fc.constantFrom("a", "b", "\\u0061", "a\\\"", "x/y", "{", "[");
    const value: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        fc.constantFrom("1", "\"s,}\"", "null", "[]"),
        fc.array(tie("v"), { maxLength: 3 }).map((items) => `[${items.join(",")}]`),
        fc.array(fc.tuple(key, tie("v")), { maxLength: 4 }).map((pairs) => `{${pairs.map(([k, v]) => `"${k}": ${v}`).join(", ")}}`),
      ),
    })).v;
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 4 }), (pairs) => {
        const text = `{${pairs.map(([k, v]) => `"${k}": ${v}`).join(", ")}}`;
        const yamlRefuses = (() => {
          try {
            return parseDocument(text, { uniqueKeys: true }).errors.some((e) => /unique/i.test(e.message));
          } catch {
            return false;
          }
        })();
        expect(firstDuplicateKey(text) !== undefined).toBe(yamlRefuses);
        const lines = new LineCounter();
        const lenient = parseDocument(text, { uniqueKeys: false, lineCounter: lines });
        expect(yamlDuplicateKeys(lenient, lines).length > 0).toBe(yamlRefuses);
      }),
      { numRuns: 300 },
    );
  });

  it("JSON that is not strict JSON still goes through the YAML parser", () => {
    expect(loadDoctrineRules(`{version: 1, extends: none, rules: {a: {maxTtlSeconds: 9}}}`).rules).toEqual({ a: { maxTtlSeconds: 9 } });
  });
});
