import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createOpenApiDocument } from "../../../src/server/openapi/openapi-document.js";
import { scriptedStream } from "../../support/scripted-step.js";
import { jsonPost } from "../server-harness.js";
import { createFullApp, expectDocumented, type OpenApiDocumentShape } from "./openapi-harness.js";

const TOKEN = "openapi-test-token";

describe("/openapi.json and /docs", () => {
  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((full) => full.close()));
  });
  const open = async (options: Parameters<typeof createFullApp>[0]) => {
    const full = await createFullApp(options);
    opened.push(full);
    return full;
  };

  it.each([
    ["server.auth.token", { authToken: TOKEN }],
    ["tenant API keys", { withKey: true }],
  ])("are reachable without a credential when auth is on (%s)", async (_mode, options) => {
    const { app } = await open(options);
    expect((await app.request("/api/v1/agents")).status).toBe(401);
    const spec = await app.request("/openapi.json");
    expect(spec.status).toBe(200);
    expect(spec.headers.get("content-type")).toMatch(/^application\/json/);
    expect(((await spec.json()) as { openapi: string }).openapi).toBe("3.1.0");
    const docs = await app.request("/docs");
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await docs.text();
    expect(html).toContain("SwaggerUIBundle");
    expect(html).toMatch(/url: ?['"]\/openapi\.json['"]/);
  });

  it("serves the built document, built once and kept", async () => {
    const { app } = await open({ authToken: TOKEN });
    const first = await (await app.request("/openapi.json")).text();
    const second = await (await app.request("/openapi.json")).text();
    expect(second).toBe(first);
    expect(JSON.parse(first)).toEqual(createOpenApiDocument());
    expect((JSON.parse(first) as OpenApiDocumentShape).servers).toEqual([
      { url: "/", description: "This Pluto server" },
    ]);
  });

  it("lists the configured public URL as the server", async () => {
    const { app } = await open({ publicUrl: "https://agents.acme.test/" });
    const document = (await (await app.request("/openapi.json")).json()) as OpenApiDocumentShape;
    expect(document.servers[0]?.url).toBe("https://agents.acme.test");
  });

  it("opens only the exact public paths: neighbours and traversal still need a credential", async () => {
    const { app } = await open({ authToken: TOKEN });
    for (const path of [
      "/docs/../api/v1/agents",
      "/openapi.json/../api/v1/agents",
      "/docs/extra",
      "/openapi.jsonx",
      "/api/v1/openapi.json",
      "/docs%2F..%2Fapi%2Fv1%2Fagents",
    ]) {
      const response = await app.request(path);
      expect(response.status, path).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("UNAUTHORIZED");
    }
    // With the credential the unknown neighbours are plain 404s in the error format.
    const unknown = await app.request("/docs/extra", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
  });

  it("refuses other methods with the error format and ignores query strings and bodies", async () => {
    const { app } = await open({ authToken: TOKEN });
    // Public paths skip authentication whatever the method; no other method is served there.
    const post = await app.request("/openapi.json", jsonPost({ openapi: "9.9.9" }));
    expect(post.status).toBe(404);
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    const authed = await app.request(
      "/openapi.json",
      jsonPost({ openapi: "9.9.9" }, { authorization: `Bearer ${TOKEN}` }),
    );
    expect(authed.status).toBe(404);
    const withQuery = await app.request("/openapi.json?token=x&version=../../etc/passwd%00");
    expect(withQuery.status).toBe(200);
    expect(((await withQuery.json()) as { openapi: string }).openapi).toBe("3.1.0");
  });
});

describe("real answers match the document", () => {
  let full: Awaited<ReturnType<typeof createFullApp>>;
  let document: OpenApiDocumentShape;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const get = (path: string) => full.app.request(path, { headers: auth });
  const post = (path: string, body: unknown) => full.app.request(path, jsonPost(body, auth));

  beforeAll(async () => {
    const script = scriptedStream(Array.from({ length: 20 }, () => ({ text: "Answer." })));
    full = await createFullApp({ authToken: TOKEN, streamStep: script.streamStep });
    document = createOpenApiDocument() as unknown as OpenApiDocumentShape;
  });
  afterAll(() => full.close());

  it("native API: health, agents, a run, its session, errors", async () => {
    await expectDocumented(document, "GET", "/healthz", await full.app.request("/healthz"));
    await expectDocumented(document, "GET", "/readyz", await full.app.request("/readyz"));
    await expectDocumented(document, "GET", "/api/v1/agents", await get("/api/v1/agents"));
    await expectDocumented(document, "GET", "/api/v1/agents/{agent}", await get("/api/v1/agents/demo"));
    const run = (await expectDocumented(
      document,
      "POST",
      "/api/v1/agents/{agent}/runs",
      await post("/api/v1/agents/demo/runs", { input: "Hello" }),
    )) as { session_id: string; output: string };
    expect(run.output).toBe("Answer.");
    const events = (await expectDocumented(
      document,
      "GET",
      "/api/v1/sessions/{session}/events",
      await get(`/api/v1/sessions/${run.session_id}/events`),
    )) as { events: { type: string }[] };
    expect(events.events.map((event) => event.type)).toContain("run-end");
    await expectDocumented(
      document,
      "POST",
      "/api/v1/runs/{run}/abort",
      await post("/api/v1/runs/run_nope/abort", {}),
    );
    await expectDocumented(
      document,
      "POST",
      "/api/v1/agents/{agent}/runs",
      await post("/api/v1/agents/demo/runs", { input: "" }),
    );
    await expectDocumented(document, "GET", "/api/v1/agents/{agent}", await get("/api/v1/agents/..%2Fetc"));
    await expectDocumented(document, "GET", "/api/v1/agents", await full.app.request("/api/v1/agents"));
  });

  it("OpenAI-compatible API: models, a completion, an error", async () => {
    await expectDocumented(document, "GET", "/v1/models", await get("/v1/models"));
    await expectDocumented(document, "GET", "/v1/models/{model}", await get("/v1/models/demo"));
    await expectDocumented(document, "GET", "/v1/models/{model}", await get("/v1/models/missing"));
    const completion = (await expectDocumented(
      document,
      "POST",
      "/v1/chat/completions",
      await post("/v1/chat/completions", { model: "demo", messages: [{ role: "user", content: "Hi" }] }),
    )) as { choices: { message: { content: string } }[] };
    expect(completion.choices[0]?.message.content).toBe("Answer.");
    await expectDocumented(
      document,
      "POST",
      "/v1/chat/completions",
      await post("/v1/chat/completions", { model: "demo" }),
    );
  });

  it("Agent Protocol: a task, a step, lists, a missing task", async () => {
    const task = (await expectDocumented(
      document,
      "POST",
      "/ap/v1/agent/tasks",
      await post("/ap/v1/agent/tasks", { input: "Do it", additional_input: { agent: "demo" } }),
    )) as { task_id: string };
    await expectDocumented(
      document,
      "POST",
      "/ap/v1/agent/tasks/{task_id}/steps",
      await post(`/ap/v1/agent/tasks/${task.task_id}/steps`, {}),
    );
    await expectDocumented(
      document,
      "GET",
      "/api/v1/agent/tasks",
      await get("/api/v1/agent/tasks?page_size=1"),
    );
    await expectDocumented(
      document,
      "GET",
      "/ap/v1/agent/tasks/{task_id}/steps",
      await get(`/ap/v1/agent/tasks/${task.task_id}/steps`),
    );
    await expectDocumented(
      document,
      "GET",
      "/ap/v1/agent/tasks/{task_id}/artifacts",
      await get(`/ap/v1/agent/tasks/${task.task_id}/artifacts`),
    );
    await expectDocumented(
      document,
      "GET",
      "/ap/v1/agent/tasks/{task_id}",
      await get("/ap/v1/agent/tasks/no-such-task"),
    );
  });

  it("admin API, A2A card and MCP", async () => {
    await expectDocumented(document, "GET", "/api/v1/admin/agents", await get("/api/v1/admin/agents"));
    await expectDocumented(
      document,
      "GET",
      "/api/v1/admin/agents/{name}",
      await get("/api/v1/admin/agents/demo"),
    );
    await expectDocumented(
      document,
      "POST",
      "/api/v1/admin/keys",
      await post("/api/v1/admin/keys", { role: "member", name: "ci" }),
    );
    await expectDocumented(document, "GET", "/api/v1/admin/keys", await get("/api/v1/admin/keys"));
    await expectDocumented(
      document,
      "POST",
      "/api/v1/admin/keys",
      await post("/api/v1/admin/keys", { role: "root" }),
    );
    await expectDocumented(
      document,
      "GET",
      "/.well-known/agent-card.json",
      await full.app.request("/.well-known/agent-card.json"),
    );
    await expectDocumented(
      document,
      "GET",
      "/a2a/{agent}/.well-known/agent.json",
      await full.app.request("/a2a/demo/.well-known/agent.json"),
    );
    await expectDocumented(document, "GET", "/mcp/{agent}", await get("/mcp/demo"));
  });
});
