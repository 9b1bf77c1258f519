import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  canonicalAllowlist,
  formatHostPattern,
  hostSetOfRuleHost,
  intersectAllowlists,
  intersectPatterns,
  parseHostPattern,
  patternAdmits,
  patternCovers,
  type HostPattern,
} from "./host-pattern.js";

function pattern(text: string): HostPattern {
  const parsed = parseHostPattern(text);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

/** Independent oracle: does a concrete host:port (no wildcards) fall inside a pattern text? */
function oracle(patternText: string, host: string, port: number): boolean {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(patternText.toLowerCase());
  if (!m) throw new Error(`oracle cannot read ${patternText}`);
  const [, hostPart = "", portPart] = m;
  if (portPart !== undefined && Number(portPart) !== port) return false;
  const h = host.toLowerCase();
  if (hostPart === "*") return true;
  if (hostPart.startsWith("*.")) return h.endsWith(hostPart.slice(1)) && h.length > hostPart.length - 1;
  return hostPart.replace(/^\[|\]$/g, "") === h;
}

const PATTERNS = [
  "*", "*:443", "*:80", "example.com", "example.com:443", "api.example.com", "api.example.com:443",
  "*.example.com", "*.example.com:443", "*.api.example.com", "*.com", "other.org", "*.org:8080", "[::1]", "[::1]:443", "10.0.0.5",
];
const CONCRETE_HOSTS = ["example.com", "api.example.com", "x.api.example.com", "y.example.com", "other.org", "a.other.org", "com", "::1", "10.0.0.5", "unrelated.net"];
const PORTS = [80, 443, 8080, 5432];

describe("host patterns", () => {
  it("parses the grammar and writes it back canonically (lowercase, IPv6 in brackets)", () => {
    expect(formatHostPattern(pattern("API.Example.com:443"))).toBe("api.example.com:443");
    expect(formatHostPattern(pattern("*.Example.com"))).toBe("*.example.com");
    expect(formatHostPattern(pattern("[::1]:8443"))).toBe("[::1]:8443");
    expect(formatHostPattern(pattern("*"))).toBe("*");
    expect(pattern("10.0.0.5:5432")).toEqual({ host: { kind: "exact", name: "10.0.0.5" }, port: 5432 });
  });

  it.each([
    ["host:0", /out of range/],
    ["host:65536", /out of range/],
    ["host:-1", /out of range/],
    ["host:", /out of range/],
    ["host:08", /out of range/],
    ["a.*.com", /only as "\*" or a leading/],
    ["*example.com", /only as "\*" or a leading/],
    ["*.", /invalid wildcard host/],
    ["", /invalid host/],
    ["exa mple.com", /invalid host/],
    ["::1", /brackets/],
    ["[::1", /unterminated/],
    ["[zz::1]:443", /invalid IPv6/],
    ["a..b", /invalid host/],
  ])("refuses %j with a message naming the problem", (text, message) => {
    const parsed = parseHostPattern(text);
    expect(typeof parsed).toBe("string");
    expect(parsed).toMatch(message);
  });

  it("a wildcard covers proper subdomains only, not the name itself", () => {
    const p = pattern("*.example.com");
    expect(patternAdmits(p, { host: "api.example.com", port: 1 })).toBe(true);
    expect(patternAdmits(p, { host: "a.b.example.com", port: 1 })).toBe(true);
    expect(patternAdmits(p, { host: "example.com", port: 1 })).toBe(false);
    expect(patternAdmits(p, { host: "badexample.com", port: 1 })).toBe(false);
  });

  it("a wildcard rule in a document survives only a pattern that covers all of it", () => {
    const rule = { host: "*.example.com", port: 443 };
    expect(patternAdmits(pattern("*.example.com"), rule)).toBe(true);
    expect(patternAdmits(pattern("*.com:443"), rule)).toBe(true);
    expect(patternAdmits(pattern("*"), rule)).toBe(true);
    expect(patternAdmits(pattern("api.example.com"), rule)).toBe(false);
    expect(patternAdmits(pattern("*.api.example.com"), rule)).toBe(false);
    expect(patternAdmits(pattern("*.example.com:80"), rule)).toBe(false);
    expect(patternAdmits(pattern("*.example.com"), { host: "*", port: 443 })).toBe(false);
  });

  it("document hosts it cannot read are opaque and only * keeps them", () => {
    for (const host of ["a.*.com", ".example.com", "example.com:443", "exämple.com", "", "10.0.0.0/8"]) {
      expect(hostSetOfRuleHost(host).kind).toBe("opaque");
      expect(patternAdmits(pattern("*"), { host, port: 443 })).toBe(true);
      expect(patternAdmits(pattern("*.com"), { host, port: 443 })).toBe(false);
    }
  });

  it("document hosts match case-insensitively, with a trailing dot and with or without IPv6 brackets", () => {
    expect(patternAdmits(pattern("api.example.com"), { host: "API.Example.COM.", port: 443 })).toBe(true);
    expect(patternAdmits(pattern("[::1]"), { host: "::1", port: 443 })).toBe(true);
    expect(patternAdmits(pattern("[::1]"), { host: "[::1]", port: 443 })).toBe(true);
  });

  it("intersection is exactly the endpoints in both (checked point by point against an oracle)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...PATTERNS), fc.constantFrom(...PATTERNS), fc.constantFrom(...CONCRETE_HOSTS), fc.constantFrom(...PORTS), (a, b, host, port) => {
        const both = intersectPatterns(pattern(a), pattern(b));
        const inBoth = oracle(a, host, port) && oracle(b, host, port);
        const endpoint = { host, port };
        expect(both === undefined ? false : patternAdmits(both, endpoint)).toBe(inBoth);
        expect(patternAdmits(pattern(a), endpoint)).toBe(oracle(a, host, port));
      }),
      { numRuns: 300 },
    );
  });

  it("covering agrees with admitting every witness endpoint", () => {
    fc.assert(
      fc.property(fc.constantFrom(...PATTERNS), fc.constantFrom(...PATTERNS), (a, b) => {
        if (patternCovers(pattern(a), pattern(b))) {
          for (const host of CONCRETE_HOSTS) for (const port of PORTS) if (oracle(b, host, port)) expect(oracle(a, host, port)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("allowlist intersection is commutative, associative and idempotent on canonical forms", () => {
    const list = fc.array(fc.constantFrom(...PATTERNS), { maxLength: 5 }).map((texts) => canonicalAllowlist(texts.map(pattern)));
    const text = (l: readonly HostPattern[]) => l.map(formatHostPattern);
    fc.assert(
      fc.property(list, list, list, (a, b, c) => {
        expect(text(intersectAllowlists(a, b))).toEqual(text(intersectAllowlists(b, a)));
        expect(text(intersectAllowlists(intersectAllowlists(a, b), c))).toEqual(text(intersectAllowlists(a, intersectAllowlists(b, c))));
        expect(text(intersectAllowlists(a, a))).toEqual(text(a));
      }),
      { numRuns: 300 },
    );
  });

  it("canonical allowlists drop covered and duplicate patterns and sort the rest", () => {
    const canonical = canonicalAllowlist(["api.example.com:443", "*.example.com", "B.org", "b.org", "*"].map(pattern));
    expect(canonical.map(formatHostPattern)).toEqual(["*"]);
    const two = canonicalAllowlist(["api.example.com:443", "*.example.com", "b.org:80", "B.ORG:80"].map(pattern));
    expect(two.map(formatHostPattern)).toEqual(["*.example.com", "b.org:80"]);
  });
});
