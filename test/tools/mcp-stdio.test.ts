import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { McpServerSpec } from "../../src/agents/agent-definition.js";
import { scopeOf } from "../../src/core/scope.js";
import { type ConnectedMcpServers, connectMcpServers } from "../../src/tools/mcp/connect-mcp-servers.js";
import type { Tool } from "../../src/tools/tool.js";
import { referenceServer, removeDir, tempDir, toolContext } from "./tool-test-support.js";

const scope = scopeOf("assistant");
const clientInfo = { name: "pluto-test", version: "0.0.0" };

describe("connectMcpServers over stdio with the reference servers", () => {
  let root: string;
  let allowed: string;
  let connected: ConnectedMcpServers;
  const logs: string[] = [];

  beforeAll(async () => {
    root = await tempDir("mcp-stdio");
    allowed = join(root, "allowed");
    await mkdir(join(allowed, "notes"), { recursive: true });
    await writeFile(join(allowed, "hello.txt"), "Hello from Pluto\n");
    await writeFile(join(root, "secret.txt"), "outside the allowed directory\n");
    const specs: McpServerSpec[] = [
      {
        name: "fs",
        transport: "stdio",
        command: process.execPath,
        args: [referenceServer("server-filesystem"), allowed],
        env: {},
        timeoutMs: 10_000,
      },
      {
        name: "broken",
        transport: "stdio",
        command: process.execPath,
        args: ["-e", "console.error('fatal: missing API_KEY'); process.exit(1)"],
        env: {},
        timeoutMs: 10_000,
      },
      {
        name: "missing",
        transport: "stdio",
        command: "pluto-no-such-mcp-server-command",
        args: [],
        env: {},
        timeoutMs: 10_000,
      },
      {
        name: "memory",
        transport: "stdio",
        command: process.execPath,
        args: [referenceServer("server-memory")],
        env: { MEMORY_FILE_PATH: join(root, "memory.jsonl") },
        cwd: root,
        timeoutMs: 10_000,
      },
    ];
    connected = await connectMcpServers(specs, {
      clientInfo,
      log: (level, message) => logs.push(`${level}: ${message}`),
    });
  });

  afterAll(async () => {
    await connected?.close();
    await removeDir(root);
  });

  function tool(name: string): Tool {
    const found = connected.tools.find((candidate) => candidate.name === name);
    if (found === undefined)
      throw new Error(`no tool ${name}; have ${connected.tools.map((t) => t.name).join(", ")}`);
    return found;
  }

  it("reports the failing servers and keeps the working ones", () => {
    expect(connected.servers.map((server) => server.name)).toEqual(["fs", "memory"]);
    expect(connected.failures.map((failure) => failure.server)).toEqual(["broken", "missing"]);
    const broken = connected.failures[0]?.message ?? "";
    expect(broken).toContain('MCP server "broken" failed to start');
    expect(broken).toContain("exited before completing the MCP handshake");
    expect(broken).toContain("fatal: missing API_KEY");
    const missing = connected.failures[1]?.message ?? "";
    expect(missing).toContain('"pluto-no-such-mcp-server-command" was not found');
    expect(logs.some((line) => line.startsWith("error:") && line.includes("broken"))).toBe(true);
  });

  it("prefixes tool names with the server name", () => {
    const names = connected.tools.map((candidate) => candidate.name);
    expect(names).toContain("fs__list_directory");
    expect(names).toContain("fs__read_text_file");
    expect(names).toContain("memory__create_entities");
    expect(names).toContain("memory__read_graph");
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(tool("fs__read_text_file").inputSchema).toMatchObject({ type: "object" });
  });

  it("lists and reads files in the allowed directory", async () => {
    const listing = await tool("fs__list_directory").execute({ path: allowed }, toolContext(scope));
    expect(listing.isError).toBeUndefined();
    expect(listing.content).toContain("[FILE] hello.txt");
    expect(listing.content).toContain("[DIR] notes");
    expect(listing.details).toMatchObject({ server: "fs", tool: "list_directory" });

    const file = await tool("fs__read_text_file").execute(
      { path: join(allowed, "hello.txt") },
      toolContext(scope),
    );
    expect(file.isError).toBeUndefined();
    expect(file.content).toContain("Hello from Pluto");
  });

  it("turns an isError result (path outside the allowed dirs) into a tool error", async () => {
    const output = await tool("fs__read_text_file").execute(
      { path: join(root, "secret.txt") },
      toolContext(scope),
    );
    expect(output.isError).toBe(true);
    expect(output.content).toMatch(/access denied|outside allowed/i);
    expect(output.content).not.toContain("outside the allowed directory\n");
  });

  it("reports hostile input the server rejects as a tool error", async () => {
    const traversal = await tool("fs__read_text_file").execute(
      { path: `${allowed}/../secret.txt` },
      toolContext(scope),
    );
    expect(traversal.isError).toBe(true);
    const nul = await tool("fs__read_text_file").execute(
      { path: `${allowed}/hello.txt\0.png` },
      toolContext(scope),
    );
    expect(nul.isError).toBe(true);
    const wrongType = await tool("fs__read_text_file").execute({ path: 42 }, toolContext(scope));
    expect(wrongType.isError).toBe(true);
    const notObject = await tool("fs__read_text_file").execute(["a"], toolContext(scope));
    expect(notObject).toMatchObject({
      isError: true,
      content: expect.stringContaining("must be a JSON object"),
    });
  });

  it("creates entities in the memory server and reads them back", async () => {
    const created = await tool("memory__create_entities").execute(
      {
        entities: [{ name: "Pluto", entityType: "project", observations: ["runs agents defined as files"] }],
      },
      toolContext(scope),
    );
    expect(created.isError).toBeUndefined();
    const graph = await tool("memory__read_graph").execute({}, toolContext(scope));
    expect(graph.isError).toBeUndefined();
    expect(graph.content).toContain("runs agents defined as files");
    expect(graph.details).toMatchObject({ server: "memory", tool: "read_graph" });
  });

  it("rethrows when the run's signal is aborted", async () => {
    const controller = new AbortController();
    controller.abort(new Error("run aborted"));
    await expect(
      tool("memory__read_graph").execute({}, toolContext(scope, controller.signal)),
    ).rejects.toThrow();
  });
});

describe("connectMcpServers handshake limits", () => {
  it("fails a server that never answers initialize within min(timeoutMs, 15 s)", async () => {
    const started = Date.now();
    const connected = await connectMcpServers(
      [
        {
          name: "silent",
          transport: "stdio",
          command: process.execPath,
          args: ["-e", "setInterval(() => {}, 1000)"],
          env: {},
          timeoutMs: 400,
        },
      ],
      { clientInfo },
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(connected.tools).toEqual([]);
    expect(connected.failures).toHaveLength(1);
    expect(connected.failures[0]?.message).toContain("did not complete the MCP handshake within 400 ms");
    await connected.close();
  });

  it("reports a duplicate server name and an empty spec list cleanly", async () => {
    const spec: McpServerSpec = {
      name: "twice",
      transport: "stdio",
      command: "pluto-no-such-mcp-server-command",
      args: [],
      env: {},
      timeoutMs: 1_000,
    };
    const duplicate = await connectMcpServers([spec, spec], { clientInfo });
    expect(duplicate.failures).toHaveLength(2);
    expect(duplicate.failures[1]?.message).toContain('MCP server name "twice" is used twice');
    await duplicate.close();

    const empty = await connectMcpServers([], { clientInfo });
    expect(empty).toMatchObject({ tools: [], failures: [], servers: [] });
    await empty.close();
    await empty.close();
  });
});
