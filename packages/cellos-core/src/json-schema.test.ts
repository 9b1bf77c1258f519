/* eslint-disable @typescript-eslint/no-explicit-any -- walking generated JSON Schema objects */
import { readFile, readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { allJsonSchemas, cellosEventDataJsonSchema, cloudEventV1JsonSchema, executionCellJsonSchema } from "./index.js";

const schemasDir = new URL("../schemas/", import.meta.url);

describe("published JSON Schemas", () => {
  it("the committed schemas/*.json are exactly what the zod schemas produce (regenerate: pnpm --filter @cellos-cortex/cellos-core schemas)", async () => {
    const expected = allJsonSchemas();
    const committed = (await readdir(schemasDir)).filter((name) => name.endsWith(".json")).sort();
    expect(committed).toEqual(Object.keys(expected).sort());
    for (const [name, schema] of Object.entries(expected)) {
      const text = await readFile(new URL(name, schemasDir), "utf8");
      expect(text, name).toBe(`${JSON.stringify(schema, null, 2)}\n`);
    }
  });

  it("the ExecutionCell schema carries the rules a JSON Schema can express", () => {
    const schema = executionCellJsonSchema() as any;
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.required).toEqual(["apiVersion", "kind", "spec"]);
    expect(schema.properties.apiVersion.const).toBe("cellos.io/v1");
    expect(schema.properties.kind.const).toBe("ExecutionCell");
    const spec = schema.properties.spec;
    expect(spec.required).toEqual(["id", "authority", "lifetime"]);
    expect(spec.properties.id.pattern).toBe("^[A-Za-z0-9._-]{1,128}$");
    expect(spec.properties.lifetime.properties.ttlSeconds).toMatchObject({ type: "integer", minimum: 1 });
    const egress = spec.properties.authority.properties.egressRules.anyOf[0].items;
    expect(egress.properties.port).toMatchObject({ type: "integer", minimum: 1, maximum: 65535 });
    expect(spec.properties.run.anyOf[0].properties.argv).toMatchObject({ type: "array", minItems: 1, items: { type: "string" } });
    // Unknown fields are allowed everywhere we model an object (passthrough).
    expect(schema.additionalProperties).toEqual({});
    expect(spec.additionalProperties).toEqual({});
  });

  it("the CloudEvent and event data schemas name their required attributes", () => {
    expect((cloudEventV1JsonSchema() as any).required).toEqual(["specversion", "id", "source", "type"]);
    const destroyed = cellosEventDataJsonSchema("lifecycleDestroyed") as any;
    expect(destroyed.required).toEqual(["cellId", "specId", "outcome"]);
    expect(destroyed.properties.outcome.enum).toEqual(["succeeded", "failed"]);
    expect(destroyed.properties).not.toHaveProperty("exitCode");
  });
});
