import { describe, expect, it } from "vitest";
import { DoctrineAuthorityPolicy } from "./doctrine-authority-policy.js";
import { explain, renderValue } from "./explain.js";
import { realisticDocument } from "./__fixtures__/documents.js";

const policy = new DoctrineAuthorityPolicy({
  version: 1,
  extends: "builtin",
  rules: { "two-minutes": { maxTtlSeconds: 120 }, "api-only": { restrictEgressTo: ["api.example.com:443"] } },
});

describe("explain", () => {
  it("says what each doctrine changed, which changed nothing, and which ids were unknown", () => {
    const text = explain(policy.apply(realisticDocument(), ["api-only", "short-lived", "two-minutes", "D5", "no-secrets"]));
    expect(text).toBe(
      [
        "doctrine: 4 applied, 1 unknown, 4 values narrowed",
        "  api-only:",
        "    /spec/authority/egressRules: api.example.com:443/tcp, *.s3.amazonaws.com:443, 10.0.0.5:5432, registry.npmjs.org:443 → api.example.com:443/tcp",
        "  short-lived:",
        "    /spec/lifetime/ttlSeconds: 300 → 60",
        "    /spec/run/timeoutMs: 300000 → 60000",
        "  two-minutes: no change (already within it, or a stricter doctrine decided)",
        "  no-secrets:",
        "    /spec/authority/secretRefs: OPENAI_API_KEY, DB_PASSWORD, S3_TOKEN → (none)",
        '  unknown, no effect: "D5"',
      ].join("\n"),
    );
  });

  it("says so when there were no refs", () => {
    expect(explain(policy.apply(realisticDocument(), []))).toBe("doctrine: no refs; authority unchanged");
  });

  it("renders absent, null, long lists and objects briefly", () => {
    expect(renderValue(undefined)).toBe("(absent)");
    expect(renderValue(null)).toBe("null");
    expect(renderValue(["a", "b", "c", "d", "e", "f", "g", "h"])).toBe("a, b, c, d, e, f, +2 more");
    expect(renderValue({ allowed: false })).toBe('{"allowed":false}');
  });
});
