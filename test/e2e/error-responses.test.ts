import { mkdir, realpath, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { runPluto, type ServeProcess, startServe, tempProject } from "../support/pluto-process.js";

/** Malformed percent-encoding: a cut-off UTF-8 sequence ("%E0%A4" needs one more byte). */
const MALFORMED = "%E0%A4%A";

describe("pluto serve: error responses name agents and sessions, never server paths", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let serve: ServeProcess;
  let serverPaths: string[];

  beforeAll(async () => {
    fake = await startFakeModel();
    project = await tempProject();
    serverPaths = [...new Set([project.dir, await realpath(project.dir)])];
    const env = { OPENAI_API_KEY: "sk-test-e2e", OPENAI_BASE_URL: `${fake.url}/v1` };
    const init = await runPluto(["init", "demo"], { cwd: project.dir, env });
    expect(init.code, init.stderr).toBe(0);
    const data = join(project.dir, ".pluto");
    // A broken session log, a broken task file and an invalid agent, as a crash or a hand edit leaves them.
    await mkdir(join(data, "sessions", "demo"), { recursive: true });
    await writeFile(join(data, "sessions", "demo", "broken.jsonl"), "{not json\n{also not json\n");
    await mkdir(join(data, "tasks", "agent-protocol"), { recursive: true });
    await writeFile(join(data, "tasks", "agent-protocol", "broken-task.json"), "{not json");
    await mkdir(join(data, "agents", "invalid"), { recursive: true });
    await writeFile(join(data, "agents", "invalid", "agent.yaml"), "apiVersion: pluto/v1\nkind: Agent\n");
    serve = await startServe({ cwd: project.dir, env });
  });
  afterAll(async () => {
    await serve?.stop();
    await fake?.close();
    await project?.cleanup();
  });

  async function call(method: string, path: string, body?: unknown) {
    const response = await fetch(serve.url + path, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    const text = await response.text();
    return { status: response.status, text, json: JSON.parse(text) as { error: Record<string, unknown> } };
  }

  it("answers malformed percent-encoding in A2A REST task ids with 400, not 500", async () => {
    for (const path of [
      `/a2a/demo/rest/tasks/${MALFORMED}`,
      `/a2a/demo/rest/tasks/${MALFORMED}:cancel`,
      `/a2a/demo/rest/tenant-label/tasks/${MALFORMED}`,
    ]) {
      const { status, json } = await call(path.endsWith(":cancel") ? "POST" : "GET", path);
      expect(status, path).toBe(400);
      expect(json.error, path).toMatchObject({ status: "INVALID_ARGUMENT" });
      expect(String(json.error.message), path).toContain("not valid percent-encoded UTF-8");
    }
  });

  it("answers malformed percent-encoding in every other path parameter with a 4xx in Pluto's shape", async () => {
    const cases: [string, string, unknown?][] = [
      ["GET", `/api/v1/agents/${MALFORMED}`],
      ["POST", `/api/v1/agents/${MALFORMED}/runs`, { input: "hi" }],
      ["GET", `/api/v1/sessions/${MALFORMED}/events`],
      ["GET", `/api/v1/runs/${MALFORMED}`],
      ["POST", `/api/v1/runs/${MALFORMED}/abort`],
      ["GET", `/a2a/${MALFORMED}/.well-known/agent-card.json`],
      ["POST", `/a2a/${MALFORMED}/jsonrpc`, {}],
      ["GET", `/ap/v1/agent/tasks/${MALFORMED}`],
      ["GET", `/ap/v1/agent/tasks/${MALFORMED}/steps/${MALFORMED}`],
      ["POST", `/mcp/${MALFORMED}`, {}],
    ];
    for (const [method, path, body] of cases) {
      const { status, json } = await call(method, path, body);
      expect([400, 404], `${method} ${path}`).toContain(status);
      expect(typeof json.error.code, `${method} ${path}`).toBe("string");
      expect(typeof json.error.message, `${method} ${path}`).toBe("string");
    }
  });

  it("keeps the data directory's path out of every error body, public agent cards included", async () => {
    const cases: [string, string, unknown?][] = [
      ["GET", "/api/v1/agents/nope"],
      ["GET", "/api/v1/agents/invalid"],
      ["POST", "/api/v1/agents/nope/runs", { input: "hi" }],
      ["POST", "/api/v1/agents/invalid/runs", { input: "hi" }],
      ["GET", "/a2a/nope/.well-known/agent-card.json"],
      ["GET", "/a2a/nope/.well-known/agent.json"],
      ["GET", "/a2a/invalid/.well-known/agent-card.json"],
      ["POST", "/a2a/nope/jsonrpc", { jsonrpc: "2.0", id: 1, method: "tasks/get", params: { id: "x" } }],
      ["GET", "/api/v1/sessions/broken/events"],
      ["GET", "/ap/v1/agent/tasks/broken-task"],
      ["POST", "/v1/chat/completions", { model: "nope", messages: [{ role: "user", content: "hi" }] }],
      ["POST", "/v1/chat/completions", { model: "invalid", messages: [{ role: "user", content: "hi" }] }],
      ["POST", "/mcp/nope", {}],
    ];
    const bodies: string[] = [];
    for (const [method, path, body] of cases) {
      const { status, text } = await call(method, path, body);
      expect(status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      bodies.push(text);
      for (const serverPath of serverPaths) expect(text, `${method} ${path}`).not.toContain(serverPath);
      expect(text, `${method} ${path}`).not.toContain("/.pluto/");
    }
    // The messages still say which agent, session or task is the problem.
    expect(bodies[0]).toContain('Agent \\"nope\\" not found');
    expect(bodies[1]).toContain("INSTRUCTIONS.md");
    expect(bodies[8]).toContain('Session \\"broken\\" of agent \\"demo\\"');
    expect(bodies[9]).toContain('Task \\"broken-task\\"');
  });
});
