import { describe, expect, it } from "vitest";
import { CELLOS_API_VERSION } from "@cellos-cortex/cellos-core";
describe("constants", () => {
  it("api version", () => { expect(CELLOS_API_VERSION).toBe("cellos.io/v1"); });
});
