import { describe, expect, it } from "vitest";
import { z } from "zod";
import { scopeOf } from "../../src/core/scope.js";
import { InMemoryArtifactStore } from "../../src/services/artifact/in-memory-artifact-store.js";
import { InMemoryMemoryStore } from "../../src/services/memory/in-memory-memory-store.js";
import { defineTool } from "../../src/tools/define-tool.js";
import { createToolset } from "../../src/tools/toolset.js";
import { agentFixture } from "./agent-fixture.js";
import { toolContext } from "./tool-test-support.js";

describe("defineTool JSON Schemas", () => {
  it("converts each zod schema once: tools built from one schema share its JSON Schema", () => {
    const input = z.object({
      name: z.string().min(1).describe("A name."),
      count: z.number().int().optional(),
    });
    const make = () =>
      defineTool({ name: "t", description: "d", input, run: async () => ({ content: "ok" }) });
    const first = make();
    const second = make();
    expect(second.inputSchema).toBe(first.inputSchema);
    expect(first.inputSchema).toEqual(z.toJSONSchema(input, { io: "input" }));
    const other = defineTool({
      name: "u",
      description: "d",
      input: z.object({ name: z.string() }),
      run: async () => ({ content: "ok" }),
    });
    expect(other.inputSchema).not.toBe(first.inputSchema);
    expect(other.inputSchema).toMatchObject({ required: ["name"] });
  });

  it("gives every run's toolset the same specs for the built-ins, and still validates each call", async () => {
    const options = {
      agent: agentFixture(),
      scope: scopeOf("assistant"),
      memory: new InMemoryMemoryStore(),
      artifacts: new InMemoryArtifactStore(),
    };
    const one = createToolset(options);
    const two = createToolset(options);
    expect(two.specs).toEqual(one.specs);
    for (const [index, spec] of one.specs.entries())
      expect(two.specs[index]?.inputSchema).toBe(spec.inputSchema);
    const write = two.tools.get("memory_write");
    const bad = await write?.execute({ text: "", section: "nope" }, toolContext(scopeOf("assistant")));
    expect(bad).toMatchObject({ isError: true, details: { code: "BAD_REQUEST" } });
  });
});
