import { CELL_ID_PATTERN } from "@cellos-cortex/cellos-core";
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { packToCellId } from "./cell-id.js";

describe("packToCellId", () => {
  it("is cortex- + 12 digest characters + - + 8 task alphanumerics, lowercased", () => {
    expect(packToCellId({ memoryDigest: "blake3:abcdef0123456789", task: "Do The Thing!" })).toBe("cortex-blake3abcdef-dothethi");
    expect(packToCellId({ memoryDigest: "0123456789abcdef", task: "ship it" })).toBe("cortex-0123456789ab-shipit");
  });

  it("filters the digest to the cell-id grammar (a sha256: prefix loses its colon)", () => {
    expect(packToCellId({ memoryDigest: "sha256:AB.c_d-e", task: "x" })).toBe("cortex-sha256AB.c_d-x");
  });

  it("keeps only ASCII alphanumerics of the task and lowercases them", () => {
    expect(packToCellId({ memoryDigest: "d", task: "Ünïcode-TASK_42 ok" })).toBe("cortex-d-ncodetas");
  });

  it("falls back when a part is empty", () => {
    expect(packToCellId({ memoryDigest: "", task: "" })).toBe("cortex-cell");
    expect(packToCellId({ memoryDigest: "::", task: "!!" })).toBe("cortex-cell");
    expect(packToCellId({ memoryDigest: "", task: "ship it" })).toBe("cortex-shipit");
    expect(packToCellId({ memoryDigest: "abc", task: "—" })).toBe("cortex-abc");
  });

  it("property: always a valid cell id, deterministic", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: "binary" }), fc.string({ maxLength: 200, unit: "binary" }), (memoryDigest, task) => {
        const id = packToCellId({ memoryDigest, task });
        expect(id).toMatch(CELL_ID_PATTERN);
        expect(id.startsWith("cortex-")).toBe(true);
        expect(id.length).toBeLessThanOrEqual("cortex-".length + 12 + 1 + 8);
        expect(packToCellId({ memoryDigest, task })).toBe(id);
      }),
      { numRuns: 300 },
    );
  });
});
