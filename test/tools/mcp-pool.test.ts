import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { McpStdioServerSpec } from "../../src/agents/agent-definition.js";
import { scopeOf } from "../../src/core/scope.js";
import { InMemoryArtifactStore } from "../../src/services/artifact/in-memory-artifact-store.js";
import { InMemoryMemoryStore } from "../../src/services/memory/in-memory-memory-store.js";
import { McpPool } from "../../src/tools/mcp/mcp-pool.js";
import { createToolset } from "../../src/tools/toolset.js";
import { agentFixture } from "./agent-fixture.js";
import { referenceServer, removeDir, tempDir, toolContext } from "./tool-test-support.js";

const scope = scopeOf("assistant");
const operator = { tenant: "default", trust: "operator" } as const;

function memoryServer(root: string, name = "memory", extraArgs: string[] = []): McpStdioServerSpec {
  return {
    name,
    transport: "stdio",
    command: process.execPath,
    args: [referenceServer("server-memory"), ...extraArgs],
    env: { MEMORY_FILE_PATH: join(root, `${name}.jsonl`) },
    timeoutMs: 10_000,
  };
}

const missing: McpStdioServerSpec = {
  name: "missing",
  transport: "stdio",
  command: "pluto-no-such-mcp-server-command",
  args: [],
  env: {},
  timeoutMs: 5_000,
};

describe("McpPool", () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir("mcp-pool");
  });
  afterAll(async () => {
    await removeDir(root);
  });

  it("shares live connections between runs and feeds the toolset", async () => {
    let clock = 0;
    const logs: string[] = [];
    const pool = new McpPool({
      now: () => clock,
      log: (message, level) => logs.push(`${level}: ${message}`),
    });
    const agent = agentFixture({
      directory: join(root, "agent-a"),
      tools: { builtins: ["memory_search"], mcpServers: [memoryServer(root), missing] },
    });
    try {
      const [first, concurrent] = await Promise.all([
        pool.connect(agent, operator),
        pool.connect(agent, operator),
      ]);
      expect(first.servers).toEqual([{ name: "memory", transport: "stdio", tools: expect.any(Number) }]);
      expect(first.failures.map((failure) => failure.server)).toEqual(["missing"]);
      expect(concurrent.tools).toEqual(first.tools);
      expect(logs.filter((line) => line.startsWith("error:"))).toHaveLength(1);

      const toolset = createToolset({
        agent,
        scope,
        memory: new InMemoryMemoryStore(),
        artifacts: new InMemoryArtifactStore(),
        mcp: first,
      });
      expect(toolset.specs[0]?.name).toBe("memory_search");
      const create = toolset.tools.get("memory__create_entities");
      await create?.execute(
        { entities: [{ name: "Ada", entityType: "person", observations: ["likes tea"] }] },
        toolContext(scope),
      );
      const graph = await toolset.tools.get("memory__read_graph")?.execute({}, toolContext(scope));
      expect(graph?.content).toContain("likes tea");

      const again = await pool.connect(agent, operator);
      expect(again.tools[0]).toBe(first.tools[0]);
      expect(logs.filter((line) => line.startsWith("error:"))).toHaveLength(1);

      clock = 31_000;
      await pool.connect(agent, operator);
      expect(logs.filter((line) => line.startsWith("error:"))).toHaveLength(2);
    } finally {
      await pool.close();
    }
    await expect(pool.connect(agent, operator)).rejects.toThrow("The MCP pool is closed");
  });

  it("reconnects when the spec changes or the server exits, and closes servers no longer listed", async () => {
    const pool = new McpPool();
    const directory = join(root, "agent-b");
    const exitsSoon: McpStdioServerSpec = {
      name: "shortlived",
      transport: "stdio",
      command: process.execPath,
      args: [
        "-e",
        `import(${JSON.stringify(referenceServer("server-memory"))}); setTimeout(() => process.exit(0), 700);`,
      ],
      env: { MEMORY_FILE_PATH: join(root, "short.jsonl") },
      timeoutMs: 10_000,
    };
    try {
      const first = await pool.connect(
        agentFixture({ directory, tools: { builtins: [], mcpServers: [exitsSoon] } }),
        operator,
      );
      expect(first.servers).toHaveLength(1);
      const firstTool = first.tools[0];
      await new Promise((done) => setTimeout(done, 1_200));
      const dead = await firstTool?.execute({}, toolContext(scope));
      expect(dead?.isError).toBe(true);
      const second = await pool.connect(
        agentFixture({ directory, tools: { builtins: [], mcpServers: [exitsSoon] } }),
        operator,
      );
      expect(second.servers).toHaveLength(1);
      expect(second.tools[0]).not.toBe(firstTool);

      const spec = memoryServer(root, "mem2");
      const third = await pool.connect(
        agentFixture({ directory, tools: { builtins: [], mcpServers: [spec] } }),
        operator,
      );
      const changed = await pool.connect(
        agentFixture({ directory, tools: { builtins: [], mcpServers: [{ ...spec, timeoutMs: 9_000 }] } }),
        operator,
      );
      expect(changed.tools[0]).not.toBe(third.tools[0]);
      const removed = await pool.connect(
        agentFixture({ directory, tools: { builtins: [], mcpServers: [] } }),
        operator,
      );
      expect(removed.tools).toEqual([]);
      await new Promise((done) => setTimeout(done, 100));
      const closedCall = await changed.tools
        .find((tool) => tool.name === "mem2__read_graph")
        ?.execute({}, toolContext(scope));
      expect(closedCall?.isError).toBe(true);
    } finally {
      await pool.close();
    }
  });
});
