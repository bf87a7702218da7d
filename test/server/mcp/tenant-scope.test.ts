import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Hono, type MiddlewareHandler } from "hono";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { PlutoError } from "../../../src/core/errors.js";
import { scopeOf } from "../../../src/core/scope.js";
import { mcpRoutes } from "../../../src/server/mcp/mcp-routes.js";
import { openaiRoutes } from "../../../src/server/openai/openai-routes.js";
import { type RunningServer, startServer } from "../../../src/server/start-server.js";
import { createRunHarness } from "../../runs/run-harness.js";
import { scriptedStream } from "../../support/scripted-step.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(
    open
      .splice(0)
      .reverse()
      .map((item) => item.close()),
  );
});

/** A test authenticator: the tenant comes from the key (`Bearer key-<tenant>`), as real API keys do. */
const tenantFromKey: MiddlewareHandler = async (context, next) => {
  const match = /^Bearer key-([a-z]+)$/.exec(context.req.header("authorization") ?? "");
  if (match?.[1] === undefined)
    throw new PlutoError("UNAUTHORIZED", "Send Authorization: Bearer key-<tenant>.");
  context.set("identity" as never, { tenant: match[1], role: "member" } as never);
  await next();
};

async function start() {
  const harness = createRunHarness({
    streamStep: scriptedStream([{ text: "for acme" }, { text: "mcp acme" }]).streamStep,
  });
  const app = new Hono();
  const options = {
    agents: harness.catalog,
    runs: harness.runs,
    artifacts: harness.artifacts,
    maxBodyBytes: 65_536,
    auth: tenantFromKey,
  };
  app.route("/v1", openaiRoutes(options));
  app.route("/mcp", mcpRoutes(options));
  app.onError((error, context) =>
    context.json({ error: { code: (error as PlutoError).code, message: error.message } }, 401),
  );
  const server: RunningServer = await startServer(app, { host: "127.0.0.1", port: 0 });
  open.push(server);
  return { ...harness, url: server.url };
}

describe("the caller's tenant scopes the OpenAI and MCP routes", () => {
  it("runs chat completions in the tenant of the key", async () => {
    const { url, sessions } = await start();
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "key-acme" });
    const { data, response } = await client.chat.completions
      .create({ model: "test-agent", user: "bob", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("for acme");
    const session = response.headers.get("x-pluto-session-id") ?? "";
    expect(await sessions.info({ tenant: "acme", agent: "test-agent", session })).toBeDefined();
    expect(await sessions.info({ tenant: "default", agent: "test-agent", session })).toBeUndefined();
    const anonymous = new OpenAI({ baseURL: `${url}/v1`, apiKey: "nope", maxRetries: 0 });
    await expect(anonymous.models.list()).rejects.toMatchObject({ status: 401 });
  });

  it("serves only the tenant's artifacts and sessions over MCP", async () => {
    const { url, artifacts, sessions } = await start();
    await artifacts.put(scopeOf("test-agent", "acme"), "acme-plan.md", "ours", {
      mediaType: "text/markdown",
    });
    await artifacts.put(scopeOf("test-agent"), "default-secret.md", "not theirs", {
      mediaType: "text/markdown",
    });
    const client = new Client({ name: "t", version: "0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp/test-agent`), {
        requestInit: { headers: { authorization: "Bearer key-acme" } },
      }),
    );
    open.push(client);
    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.name)).toEqual(["acme-plan.md"]);
    await expect(
      client.readResource({ uri: "pluto-artifact://test-agent/default-secret.md" }),
    ).rejects.toMatchObject({
      code: -32002,
    });
    const result = await client.callTool({ name: "send_message", arguments: { message: "hi" } });
    const { session_id } = result.structuredContent as { session_id: string };
    expect(await sessions.info({ tenant: "acme", agent: "test-agent", session: session_id })).toBeDefined();
  });
});
