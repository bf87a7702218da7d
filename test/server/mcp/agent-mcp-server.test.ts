import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult, Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { PlutoError } from "../../../src/core/errors.js";
import { scopeOf } from "../../../src/core/scope.js";
import { agentFixture } from "../../support/agent-fixture.js";
import { scriptedStream } from "../../support/scripted-step.js";
import { type ListeningAppOptions, startListeningApp } from "../openai/listening-app.js";
import { parseSse } from "../server-harness.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(
    open
      .splice(0)
      .reverse()
      .map((item) => item.close()),
  );
});

async function start(options: ListeningAppOptions) {
  const app = await startListeningApp(options);
  open.push(app);
  return app;
}

async function connect(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "pluto-test", version: "0.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  open.push(client);
  return client;
}

function text(result: CallToolResult): string {
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

describe("each agent as an MCP server over Streamable HTTP", () => {
  it("describes the agent and lists the send_message tool", async () => {
    const { url } = await start({
      streamStep: scriptedStream().streamStep,
      agents: [agentFixture({ description: "Answers questions about the weather." })],
    });
    const client = await connect(`${url}/mcp/test-agent`);
    expect(client.getServerVersion()).toMatchObject({ name: "pluto-test-agent", version: "1.0.0" });
    expect(client.getInstructions()).toBe("Answers questions about the weather.");
    expect(client.getServerCapabilities()).toMatchObject({ tools: {}, resources: {} });
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(["send_message", "decide_approval"]);
    const tool = tools.find((candidate) => candidate.name === "send_message")!;
    expect(tool.description).toContain("Answers questions about the weather.");
    expect(tool.inputSchema).toMatchObject({
      type: "object",
      properties: { message: { type: "string" }, session_id: { type: "string" } },
      required: ["message"],
    });
    expect(tool.outputSchema?.required).toEqual(
      expect.arrayContaining(["session_id", "run_id", "status", "usage"]),
    );
  });

  it("sends a message, answers with the agent's text, and continues the session via session_id", async () => {
    const script = scriptedStream([{ text: ["Sunny", " today."] }, { text: "Rain tomorrow." }]);
    const { url, sessions } = await start({ streamStep: script.streamStep });
    const client = await connect(`${url}/mcp/test-agent`);
    const first = (await client.callTool({
      name: "send_message",
      arguments: { message: "Weather?" },
    })) as CallToolResult;
    expect(first.isError).toBeFalsy();
    expect(text(first)).toBe("Sunny today.");
    const structured = first.structuredContent as { session_id: string; run_id: string; status: string };
    expect(structured).toEqual({
      session_id: expect.stringMatching(/^ses_/),
      run_id: expect.stringMatching(/^run_/),
      status: "completed",
      usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
    });

    const second = (await client.callTool({
      name: "send_message",
      arguments: { message: "And tomorrow?", session_id: structured.session_id },
    })) as CallToolResult;
    expect(text(second)).toBe("Rain tomorrow.");
    expect((second.structuredContent as { session_id: string }).session_id).toBe(structured.session_id);
    expect(script.requests[1]?.messages).toEqual([
      { role: "user", text: "Weather?" },
      { role: "assistant", text: "Sunny today.", toolCalls: [] },
      { role: "user", text: "And tomorrow?" },
    ]);
    const log = await sessions.read({
      tenant: "default",
      agent: "test-agent",
      session: structured.session_id,
    });
    expect(log.filter((event) => event.type === "run-end")).toHaveLength(2);
  });

  it("sends answer chunks as progress notifications when the client asks", async () => {
    const { url } = await start({ streamStep: scriptedStream([{ text: ["a", "b", "c"] }]).streamStep });
    const client = await connect(`${url}/mcp/test-agent`);
    const progress: Progress[] = [];
    const result = (await client.callTool({ name: "send_message", arguments: { message: "go" } }, undefined, {
      onprogress: (update) => progress.push(update),
    })) as CallToolResult;
    expect(text(result)).toBe("abc");
    expect(progress).toEqual([
      { progress: 1, message: "a" },
      { progress: 2, message: "b" },
      { progress: 3, message: "c" },
    ]);
  });

  it("returns a failed run as an isError result naming the code", async () => {
    const script = scriptedStream([
      { errorBeforeStream: new PlutoError("MODEL_ERROR", "The provider is down.") },
    ]);
    const { url } = await start({ streamStep: script.streamStep });
    const client = await connect(`${url}/mcp/test-agent`);
    const result = (await client.callTool({
      name: "send_message",
      arguments: { message: "hi" },
    })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(text(result)).toBe("The agent's run failed (MODEL_ERROR): The provider is down.");
    expect(result.structuredContent).toMatchObject({
      status: "failed",
      error: { code: "MODEL_ERROR", message: "The provider is down." },
    });
  });

  it("refuses hostile and foreign session ids and bad arguments without running the agent", async () => {
    const script = scriptedStream([{ text: "other's" }]);
    const { url } = await start({
      streamStep: script.streamStep,
      agents: [agentFixture(), agentFixture({ name: "other" })],
    });
    const other = await connect(`${url}/mcp/other`);
    const owned = (await other.callTool({
      name: "send_message",
      arguments: { message: "x" },
    })) as CallToolResult;
    const ownedSession = (owned.structuredContent as { session_id: string }).session_id;
    const client = await connect(`${url}/mcp/test-agent`);
    const attempts: [Record<string, unknown>, RegExp][] = [
      [{ message: "x", session_id: "../../etc" }, /^INVALID_NAME: /],
      [{ message: "x", session_id: "a\u0000b" }, /^INVALID_NAME: /],
      [{ message: "x", session_id: ownedSession }, /^SESSION_CONFLICT: .*belongs to agent "other"/],
      [{ message: "   " }, /^BAD_REQUEST: /],
      [{ message: "" }, /message/],
      [{ message: 42 }, /message/],
      [{}, /message/],
      [{ message: "x".repeat(200_001) }, /message/],
    ];
    for (const [args, expected] of attempts) {
      const result = await client
        .callTool({ name: "send_message", arguments: args })
        .catch((error: unknown) => ({ isError: true, content: [{ type: "text", text: String(error) }] }));
      expect(result.isError, JSON.stringify(args).slice(0, 80)).toBe(true);
      expect(text(result as CallToolResult)).toMatch(expected);
    }
    expect(script.requests).toHaveLength(1);
  });
});

describe("artifacts as MCP resources", () => {
  it("lists and reads an agent's artifacts as pluto-artifact:// resources (text and blob)", async () => {
    const app = await start({
      streamStep: scriptedStream().streamStep,
      agents: [agentFixture(), agentFixture({ name: "other" })],
    });
    const scope = scopeOf("test-agent");
    await app.artifacts.put(scope, "reports/q1.md", "# Q1\nrevenue up", { mediaType: "text/markdown" });
    await app.artifacts.put(scope, "data.json", '{"a":1}', { mediaType: "application/json" });
    await app.artifacts.put(scope, "logo.png", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255]), {
      mediaType: "image/png",
    });
    await app.artifacts.put(scopeOf("other"), "secret.txt", "not yours", { mediaType: "text/plain" });
    const client = await connect(`${app.url}/mcp/test-agent`);
    const { resources, nextCursor } = await client.listResources();
    expect(nextCursor).toBeUndefined();
    expect(resources).toEqual([
      {
        uri: "pluto-artifact://test-agent/data.json",
        name: "data.json",
        mimeType: "application/json",
        size: 7,
        annotations: { lastModified: expect.any(String) },
      },
      expect.objectContaining({
        uri: "pluto-artifact://test-agent/logo.png",
        mimeType: "image/png",
        size: 6,
      }),
      expect.objectContaining({ uri: "pluto-artifact://test-agent/reports/q1.md", name: "reports/q1.md" }),
    ]);
    const markdown = await client.readResource({ uri: "pluto-artifact://test-agent/reports/q1.md" });
    expect(markdown.contents).toEqual([
      {
        uri: "pluto-artifact://test-agent/reports/q1.md",
        mimeType: "text/markdown",
        text: "# Q1\nrevenue up",
      },
    ]);
    const png = await client.readResource({ uri: "pluto-artifact://test-agent/logo.png" });
    expect(png.contents).toEqual([
      { uri: "pluto-artifact://test-agent/logo.png", mimeType: "image/png", blob: "iVBORwD/" },
    ]);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates).toEqual([
      expect.objectContaining({ uriTemplate: "pluto-artifact://test-agent/{+name}", name: "artifact" }),
    ]);
  });

  it("pages long lists with a cursor", async () => {
    const app = await start({ streamStep: scriptedStream().streamStep });
    const scope = scopeOf("test-agent");
    for (let index = 0; index < 501; index++) {
      await app.artifacts.put(scope, `notes/n${String(index).padStart(4, "0")}.txt`, "x", {
        mediaType: "text/plain",
      });
    }
    const client = await connect(`${app.url}/mcp/test-agent`);
    const first = await client.listResources();
    expect(first.resources).toHaveLength(500);
    expect(first.nextCursor).toBe("notes/n0499.txt");
    const second = await client.listResources({ cursor: first.nextCursor });
    expect(second.resources.map((resource) => resource.name)).toEqual(["notes/n0500.txt"]);
    expect(second.nextCursor).toBeUndefined();
  });

  it("refuses missing, foreign and hostile resource URIs with clear errors", async () => {
    const app = await start({
      streamStep: scriptedStream().streamStep,
      agents: [agentFixture(), agentFixture({ name: "other" })],
    });
    await app.artifacts.put(scopeOf("other"), "secret.txt", "not yours", { mediaType: "text/plain" });
    await app.artifacts.put(scopeOf("test-agent"), "ok.txt", "fine", { mediaType: "text/plain" });
    const client = await connect(`${app.url}/mcp/test-agent`);
    const read = (uri: string) => client.readResource({ uri }).catch((error: unknown) => error);
    expect(await read("pluto-artifact://test-agent/missing.txt")).toMatchObject({
      code: -32002,
      message: expect.stringContaining('no artifact "missing.txt"'),
    });
    expect(await read("pluto-artifact://other/secret.txt")).toMatchObject({
      code: -32602,
      message: expect.stringContaining("read it from that agent's MCP server"),
    });
    for (const uri of [
      "pluto-artifact://test-agent/../other/secret.txt",
      "pluto-artifact://test-agent/%2e%2e/other/secret.txt",
      "pluto-artifact://test-agent//etc/passwd",
      "pluto-artifact://test-agent/a\u0000b",
      "pluto-artifact://test-agent/",
      "file:///etc/passwd",
    ]) {
      const error = await read(uri);
      expect(error, uri).toMatchObject({ code: -32602 });
    }
    expect((await client.readResource({ uri: "pluto-artifact://test-agent/ok.txt" })).contents).toHaveLength(
      1,
    );
  });

  it("offers no resources when the app has no artifact store", async () => {
    const { url } = await start({ streamStep: scriptedStream().streamStep, withArtifacts: false });
    const client = await connect(`${url}/mcp/test-agent`);
    expect(client.getServerCapabilities()?.resources).toBeUndefined();
    await expect(client.listResources()).rejects.toThrow(/Method not found/);
  });
});

describe("MCP routes: unknown agents, methods, auth and hostile requests", () => {
  it("answers an unknown agent with 404 AGENT_NOT_FOUND before any MCP handshake", async () => {
    const { url, catalog } = await start({ streamStep: scriptedStream().streamStep });
    const error = await connect(`${url}/mcp/nobody`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StreamableHTTPError);
    expect((error as StreamableHTTPError).code).toBe(404);
    expect((error as Error).message).toContain("AGENT_NOT_FOUND");
    expect((error as Error).message).toContain('No agent named \\"nobody\\"');
    const hostile = await fetch(`${url}/mcp/..%2F..%2Fetc`, { method: "POST" });
    expect(hostile.status).toBe(400);
    expect(((await hostile.json()) as { error: { code: string } }).error.code).toBe("INVALID_NAME");
    expect(catalog.requested).toEqual(["nobody"]);
  });

  it("answers a raw tools/call without initialize, as docs/api-mcp.md shows with curl", async () => {
    const { url } = await start({ streamStep: scriptedStream([{ text: "Hi!" }]).streamStep });
    const response = await fetch(`${url}/mcp/test-agent`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-06-18",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "send_message", arguments: { message: "Hello" } },
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("mcp-session-id")).toBeNull();
    const frames = parseSse(await response.text());
    const message = JSON.parse(frames.at(-1)?.data ?? "") as { id: number; result: CallToolResult };
    expect(message.id).toBe(1);
    expect(message.result.content).toEqual([{ type: "text", text: "Hi!" }]);
    expect(message.result.structuredContent).toMatchObject({ status: "completed" });
  });

  it("answers GET and DELETE with 405 (stateless server)", async () => {
    const { url } = await start({ streamStep: scriptedStream().streamStep });
    for (const method of ["GET", "DELETE"]) {
      const response = await fetch(`${url}/mcp/test-agent`, {
        method,
        headers: { accept: "text/event-stream" },
      });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("POST");
    }
  });

  it("refuses malformed JSON-RPC, wrong content types and oversized bodies", async () => {
    const script = scriptedStream();
    const { url } = await start({ streamStep: script.streamStep, maxBodyBytes: 4096 });
    const post = (body: string, contentType = "application/json") =>
      fetch(`${url}/mcp/test-agent`, {
        method: "POST",
        headers: { "content-type": contentType, accept: "application/json, text/event-stream" },
        body,
      });
    const malformed = await post('{"jsonrpc": "2.0", "method": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32700 } });
    const notRpc = await post('{"hello": "world"}');
    expect(notRpc.status).toBe(400);
    expect((await post("{}", "text/plain")).status).toBe(415);
    const big = await post(
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "x", params: { pad: "x".repeat(5000) } }),
    );
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(script.requests).toHaveLength(0);
  });

  it("needs the bearer token when one is configured", async () => {
    const { url } = await start({
      streamStep: scriptedStream([{ text: "ok" }]).streamStep,
      authToken: "s3cret",
    });
    const refused = await connect(`${url}/mcp/test-agent`).catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(Error);
    expect(String(refused)).toMatch(/401|Unauthorized/i);
    const client = await connect(`${url}/mcp/test-agent`, { authorization: "Bearer s3cret" });
    const result = (await client.callTool({
      name: "send_message",
      arguments: { message: "hi" },
    })) as CallToolResult;
    expect(text(result)).toBe("ok");
  });

  it("refuses a Host that is not this server's (DNS rebinding)", async () => {
    const { app } = await start({ streamStep: scriptedStream().streamStep });
    const response = await app.request("http://attacker.example/mcp/test-agent", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: "{}",
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("HOST_NOT_ALLOWED");
  });
});
