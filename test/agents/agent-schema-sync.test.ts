import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { agentJsonSchemaPath, agentJsonSchemaText } from "../../src/agents/write-agent-schema.js";

describe("schemas/agent.schema.json", () => {
  it("matches the zod schema in src/agents/agent-schema.ts", async () => {
    const committed = await readFile(agentJsonSchemaPath(), "utf8").catch(() => "(missing)");
    const generated = agentJsonSchemaText();
    if (committed !== generated) {
      expect.fail(
        "schemas/agent.schema.json is out of date with src/agents/agent-schema.ts: run `npm run build && npm run schema` and commit the result.",
      );
    }
  });

  it("is a strict draft 2020-12 schema with defaults for editors", () => {
    const schema = JSON.parse(agentJsonSchemaText()) as {
      $schema: string;
      additionalProperties: boolean;
      required: string[];
      properties: { spec: { properties: { limits: { properties: { max_steps: { default: number } } } } } };
    };
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(["apiVersion", "kind", "metadata", "spec"]);
    expect(schema.properties.spec.properties.limits.properties.max_steps.default).toBe(20);
  });
});
