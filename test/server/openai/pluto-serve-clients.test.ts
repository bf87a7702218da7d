import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, startFakeModel } from "../../support/fake-model/fake-model.js";
import { runPluto, type ServeProcess, startServe, tempProject } from "../../support/pluto-process.js";

/** The unmodified `openai` and MCP SDK clients against the real `pluto serve` binary and the fake model. */
describe("pluto serve with the openai client and the MCP SDK client", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let server: ServeProcess;

  beforeAll(async () => {
    fake = await startFakeModel();
    project = await tempProject();
    const env = { OPENAI_API_KEY: "sk-test-standard-apis", OPENAI_BASE_URL: `${fake.url}/v1` };
    const init = await runPluto(["init", "demo"], { cwd: project.dir, env });
    expect(init.code, init.stderr).toBe(0);
    server = await startServe({ cwd: project.dir, env });
  }, 60_000);
  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
    await fake?.close();
    await project?.cleanup();
  });

  it("answers chat completions (JSON and streaming) and lists the agent as a model", async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused-without-a-token" });
    expect((await client.models.list()).data.map((model) => model.id)).toContain("demo");
    fake.enqueue({ text: "json from demo" }, { text: ["stream", "ed"] });
    const completion = await client.chat.completions.create({
      model: "demo",
      user: "e2e-user",
      messages: [{ role: "user", content: "hello" }],
    });
    expect(completion.choices[0]?.message.content).toBe("json from demo");
    const stream = await client.chat.completions.create({
      model: "demo",
      user: "e2e-user",
      messages: [{ role: "user", content: "again" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe("streamed");
    expect(usage?.total_tokens).toBeGreaterThan(0);
    // The second turn ran in the same session: the model saw the first exchange.
    expect(JSON.stringify(fake.requests.at(-1)?.body)).toContain("json from demo");
  });

  it("serves the agent over MCP Streamable HTTP", async () => {
    const client = new Client({ name: "e2e", version: "0.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp/demo`)));
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual([
        "send_message",
        "decide_approval",
      ]);
      fake.enqueue({ text: "mcp answer" });
      const result = (await client.callTool({
        name: "send_message",
        arguments: { message: "from mcp" },
      })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      expect(result.content).toEqual([{ type: "text", text: "mcp answer" }]);
      expect(result.structuredContent).toMatchObject({ status: "completed" });
    } finally {
      await client.close();
    }
  });
});
