import { describe, expect, it } from "vitest";
import { scopeOf } from "../../src/core/scope.js";
import { InMemoryArtifactStore } from "../../src/services/artifact/in-memory-artifact-store.js";
import { InMemoryMemoryStore } from "../../src/services/memory/in-memory-memory-store.js";
import type { Tool } from "../../src/tools/tool.js";
import { createToolset } from "../../src/tools/toolset.js";
import { corpusPath } from "../support/corpus.js";
import { agentFixture } from "./agent-fixture.js";
import { toolContext } from "./tool-test-support.js";

const scope = scopeOf("assistant", "acme");
const skill = {
  name: "mcp-builder",
  description: "Build MCP servers.",
  path: corpusPath("skills/mcp-builder/SKILL.md"),
};

function remoteTool(name: string, text: string): Tool {
  return {
    name,
    description: `remote ${name}`,
    inputSchema: { type: "object", properties: {} },
    execute: async () => ({ content: text }),
  };
}

describe("createToolset", () => {
  it("builds every listed built-in plus MCP tools, built-ins first", () => {
    const toolset = createToolset({
      agent: agentFixture({ skills: [skill] }),
      scope,
      memory: new InMemoryMemoryStore(),
      artifacts: new InMemoryArtifactStore(),
      mcp: { tools: [remoteTool("fs__list_directory", "listing")] },
    });
    expect(toolset.specs.map((spec) => spec.name)).toEqual([
      "memory_write",
      "memory_search",
      "read_skill",
      "artifact_write",
      "artifact_read",
      "fs__list_directory",
    ]);
    expect([...toolset.tools.keys()]).toEqual(toolset.specs.map((spec) => spec.name));
    for (const spec of toolset.specs) {
      expect(spec.description.length).toBeGreaterThan(0);
      expect(spec.inputSchema).toMatchObject({ type: "object" });
    }
    expect(toolset.diagnostics).toEqual([]);
  });

  it("honours the builtins list, memory.enabled and an empty skills index", () => {
    const toolset = createToolset({
      agent: agentFixture({
        memory: { enabled: false },
        tools: { builtins: ["memory_write", "memory_search", "read_skill", "artifact_read"], mcpServers: [] },
      }),
      scope,
      memory: new InMemoryMemoryStore(),
      artifacts: new InMemoryArtifactStore(),
    });
    expect([...toolset.tools.keys()]).toEqual(["artifact_read"]);
    expect(toolset.diagnostics.map((diagnostic) => `${diagnostic.kind}:${diagnostic.tool}`)).toEqual([
      "omitted:memory_write",
      "omitted:memory_search",
      "omitted:read_skill",
    ]);
    expect(toolset.diagnostics[0]?.message).toContain("spec.memory.enabled: false");

    const none = createToolset({
      agent: agentFixture({ tools: { builtins: [], mcpServers: [] } }),
      scope,
      memory: new InMemoryMemoryStore(),
      artifacts: new InMemoryArtifactStore(),
    });
    expect(none.specs).toEqual([]);
  });

  it("reports name collisions and keeps the first tool", async () => {
    const toolset = createToolset({
      agent: agentFixture({ tools: { builtins: [], mcpServers: [] } }),
      scope,
      memory: new InMemoryMemoryStore(),
      artifacts: new InMemoryArtifactStore(),
      mcp: {
        tools: [remoteTool("a__b", "first"), remoteTool("a__b", "second"), remoteTool("c__d", "other")],
      },
    });
    expect([...toolset.tools.keys()]).toEqual(["a__b", "c__d"]);
    expect(toolset.diagnostics).toEqual([
      { kind: "collision", tool: "a__b", message: expect.stringContaining('Two tools are named "a__b"') },
    ]);
    expect((await toolset.tools.get("a__b")?.execute({}, toolContext(scope)))?.content).toBe("first");
  });

  it("pins the toolset's scope and limits artifact_read to maxToolResultChars", async () => {
    const memory = new InMemoryMemoryStore();
    const artifacts = new InMemoryArtifactStore();
    const toolset = createToolset({
      agent: agentFixture({
        limits: { maxSteps: 20, maxRunSeconds: 600, maxToolResultChars: 500, toolTimeoutSeconds: 60 },
      }),
      scope,
      memory,
      artifacts,
      now: () => new Date("2026-01-02T03:04:05Z"),
    });
    const otherScope = scopeOf("intruder");
    await toolset.tools
      .get("memory_write")
      ?.execute({ text: "pinned", section: "fact" }, toolContext(otherScope));
    expect(await memory.list(scope)).toEqual(["2026-01-02"]);
    expect(await memory.list(otherScope)).toEqual([]);

    await artifacts.put(scope, "big.txt", "z".repeat(2000));
    const read = await toolset.tools
      .get("artifact_read")
      ?.execute({ name: "big.txt" }, toolContext(otherScope));
    expect(read?.content.startsWith("z".repeat(500))).toBe(true);
    expect(read?.content).toContain("Call artifact_read with offset 500 for more.");
  });
});
