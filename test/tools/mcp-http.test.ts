import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { McpHttpServerSpec } from "../../src/agents/agent-definition.js";
import { scopeOf } from "../../src/core/scope.js";
import { type ConnectedMcpServers, connectMcpServers } from "../../src/tools/mcp/connect-mcp-servers.js";
import type { McpProgressEvent } from "../../src/tools/mcp/mcp-remote-tool.js";
import type { McpToolDetails } from "../../src/tools/mcp/mcp-result.js";
import type { Tool } from "../../src/tools/tool.js";
import { freePort, startEverythingServer, toolContext } from "./tool-test-support.js";

const scope = scopeOf("assistant");
const clientInfo = { name: "pluto-test", version: "0.0.0" };

function httpSpec(name: string, url: string, timeoutMs: number): McpHttpServerSpec {
  return { name, transport: "http", url, headers: { "X-Pluto-Test": "1" }, timeoutMs };
}

function findTool(connected: ConnectedMcpServers, name: string): Tool {
  const found = connected.tools.find((candidate) => candidate.name === name);
  if (found === undefined)
    throw new Error(`no tool ${name}; have ${connected.tools.map((t) => t.name).join(", ")}`);
  return found;
}

describe("server-everything over Streamable HTTP", () => {
  let server: Awaited<ReturnType<typeof startEverythingServer>>;
  let connected: ConnectedMcpServers;
  let strict: ConnectedMcpServers;
  const progress: McpProgressEvent[] = [];

  beforeAll(async () => {
    server = await startEverythingServer("streamableHttp");
    const url = `http://127.0.0.1:${server.port}/mcp`;
    [connected, strict] = await Promise.all([
      connectMcpServers([httpSpec("everything", url, 2000)], {
        clientInfo,
        onProgress: (event) => progress.push(event),
      }),
      connectMcpServers([httpSpec("slow", url, 2000)], { clientInfo }),
    ]);
  });

  afterAll(async () => {
    await connected?.close();
    await strict?.close();
    await server?.stop();
  });

  it("connects with Streamable HTTP and lists prefixed tools", () => {
    expect(connected.failures).toEqual([]);
    expect(connected.servers).toEqual([
      { name: "everything", transport: "streamable-http", tools: expect.any(Number) },
    ]);
    const names = connected.tools.map((tool) => tool.name);
    expect(names).toContain("everything__echo");
    expect(names).toContain("everything__trigger-long-running-operation");
  });

  it("calls echo", async () => {
    const output = await findTool(connected, "everything__echo").execute(
      { message: "hi there" },
      toolContext(scope),
    );
    expect(output).toMatchObject({ content: "Echo: hi there" });
    expect(output.isError).toBeUndefined();
  });

  it("keeps a long-running call alive while it reports progress (resetTimeoutOnProgress)", async () => {
    // 6 steps of 1 s: 6 s in total, far beyond the 2 s timeout, but progress arrives every second.
    // (The timeout also bounds the handshake, so it stays large enough for a loaded CI machine.)
    const output = await findTool(connected, "everything__trigger-long-running-operation").execute(
      { duration: 6, steps: 6 },
      { ...toolContext(scope), toolCallId: "long-1" },
    );
    expect(output.isError).toBeUndefined();
    expect(output.content).toContain("Long running operation completed");
    const details = output.details as McpToolDetails;
    expect(details.progress).toMatchObject({ notifications: 6, progress: 6, total: 6 });
    expect(progress.filter((event) => event.toolCallId === "long-1")).toHaveLength(6);
    expect(progress[0]).toMatchObject({ server: "everything", tool: "trigger-long-running-operation" });
  });

  it("reports a timeout as a tool error when no progress arrives in time", async () => {
    const output = await findTool(strict, "slow__trigger-long-running-operation").execute(
      { duration: 5, steps: 1 },
      toolContext(scope),
    );
    expect(output.isError).toBe(true);
    expect(output.content).toContain("timed out after 2000 ms");
    // The connection still works afterwards.
    const echo = await findTool(strict, "slow__echo").execute({ message: "still here" }, toolContext(scope));
    expect(echo.content).toBe("Echo: still here");
  });

  it("summarises images and keeps structured content in details", async () => {
    const image = await findTool(connected, "everything__get-tiny-image").execute({}, toolContext(scope));
    expect(image.content).toMatch(/\[image image\/png \d+ bytes\]/);
    const raw = (image.details as McpToolDetails).content;
    expect(raw.some((block) => block.type === "image")).toBe(true);

    const structured = await findTool(connected, "everything__get-structured-content").execute(
      { location: "New York" },
      toolContext(scope),
    );
    expect(structured.isError).toBeUndefined();
    expect((structured.details as McpToolDetails).structuredContent).toMatchObject({
      temperature: expect.any(Number),
    });
  });

  it("returns invalid arguments as a tool error", async () => {
    const output = await findTool(connected, "everything__get-sum").execute(
      { a: "one", b: 2 },
      toolContext(scope),
    );
    expect(output.isError).toBe(true);
    expect(output.content.length).toBeGreaterThan(0);
  });

  it("aborts a call when the run's signal aborts", async () => {
    const controller = new AbortController();
    const call = findTool(connected, "everything__trigger-long-running-operation").execute(
      { duration: 5, steps: 50 },
      toolContext(scope, controller.signal),
    );
    setTimeout(() => controller.abort(new Error("run aborted")), 200);
    await expect(call).rejects.toThrow();
  });
});

describe("HTTP fallback and failures", () => {
  it("falls back to the legacy SSE transport when Streamable HTTP answers 4xx", async () => {
    const server = await startEverythingServer("sse");
    const logs: string[] = [];
    const connected = await connectMcpServers(
      [httpSpec("legacy", `http://127.0.0.1:${server.port}/sse`, 5_000)],
      { clientInfo, log: (level, message) => logs.push(`${level}: ${message}`) },
    );
    try {
      expect(connected.failures).toEqual([]);
      expect(connected.servers[0]?.transport).toBe("sse");
      expect(logs.some((line) => line.includes("trying the SSE transport"))).toBe(true);
      const echo = await findTool(connected, "legacy__echo").execute(
        { message: "over sse" },
        toolContext(scope),
      );
      expect(echo.content).toBe("Echo: over sse");
    } finally {
      await connected.close();
      await server.stop();
    }
  });

  it("reports an unreachable server and a bad URL while a working one connects", async () => {
    const server = await startEverythingServer("streamableHttp");
    const closedPort = await freePort();
    const connected = await connectMcpServers(
      [
        httpSpec("down", `http://127.0.0.1:${closedPort}/mcp`, 2_000),
        httpSpec("bad", "not a url", 2_000),
        httpSpec("up", `http://127.0.0.1:${server.port}/mcp`, 5_000),
      ],
      { clientInfo },
    );
    try {
      expect(connected.servers.map((entry) => entry.name)).toEqual(["up"]);
      expect(connected.failures.map((failure) => failure.server)).toEqual(["down", "bad"]);
      expect(connected.failures[0]?.message).toContain('MCP server "down" failed to start');
      expect(connected.failures[0]?.message).toContain("ECONNREFUSED");
      expect(connected.failures[1]?.message).toContain("is not a valid URL");
      const echo = await findTool(connected, "up__echo").execute({ message: "ok" }, toolContext(scope));
      expect(echo.content).toBe("Echo: ok");
    } finally {
      await connected.close();
      await server.stop();
    }
  });
});
