import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { StreamStep } from "../../src/llm/model-step.js";
import { EventBus } from "../../src/runs/event-bus.js";
import { RunManager } from "../../src/runs/run-manager.js";
import { createApp } from "../../src/server/app.js";
import { InMemoryArtifactStore } from "../../src/services/artifact/in-memory-artifact-store.js";
import { InMemoryApiKeyStore } from "../../src/services/auth/in-memory-api-key-store.js";
import { InMemoryMemoryStore } from "../../src/services/memory/in-memory-memory-store.js";
import { InMemorySessionStore } from "../../src/services/session/in-memory-session-store.js";
import { InMemoryTaskStore } from "../../src/services/task/in-memory-task-store.js";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import {
  jsonOf,
  parseSse,
  runPluto,
  type ServeProcess,
  startServe,
  tempProject,
} from "../support/pluto-process.js";

/**
 * Tenant isolation through the built binary (issue "Standard APIs and tenants", item 7): keys of tenants
 * `a` and `b` made with `pluto keys create`, agents made through the admin API, state made by `a` on
 * every stateful route family, then every mounted route tried by `b` with `a`'s ids: 404 (403 on admin
 * routes for a member), and `a`'s state byte-for-byte the same afterwards. The routes come from the app
 * itself (`createApp(...).routes`), so a new route without an isolation check fails this file.
 */

/** `app.use` middleware entries of `app.routes` (Hono lists them as method ALL). */
const MIDDLEWARE = new Set(["ALL /*", "ALL /v1/*", "ALL /mcp/*", "ALL /api/v1/admin/*"]);

/** Routes that hold no tenant state, so there is no other tenant's id to try, with the reason. */
const NO_TENANT_STATE: Record<string, string> = {
  "GET /healthz": "process health",
  "GET /readyz": "process readiness",
  "GET /openapi.json": "the API description, the same for everyone",
  "GET /docs": "the API docs page",
};

/** Every route `pluto serve` mounts, as "METHOD /path" (Hono syntax), from the app it builds. */
function mountedRoutes(): string[] {
  const agents = {
    get: async (): Promise<never> => {
      throw new Error("not used: only the route table is read");
    },
    list: async () => [],
  };
  const unusedStep: StreamStep = async () => {
    throw new Error("not used: only the route table is read");
  };
  const sessions = new InMemorySessionStore();
  const artifacts = new InMemoryArtifactStore();
  const runs = new RunManager({
    agents,
    sessions,
    memory: new InMemoryMemoryStore(),
    artifacts,
    bus: new EventBus(),
    streamStepFor: () => unusedStep,
    toolsFor: async () => ({ tools: new Map(), specs: [] }),
  });
  // The same groups `pluto serve` mounts: tasks, artifacts, keys and agent folders all present.
  const app = createApp({
    agents,
    runs,
    sessions,
    artifacts,
    tasks: new InMemoryTaskStore(),
    apiKeys: new InMemoryApiKeyStore(),
    agentFolders: { directoryOf: () => tmpdir(), invalidate: () => {}, providerNames: [] },
    maxBodyBytes: 1024 * 1024,
    ready: () => true,
  });
  const keys = app.routes.map((route) => `${route.method} ${route.path}`);
  return [...new Set(keys)].filter((key) => !MIDDLEWARE.has(key));
}

const ROUTES = mountedRoutes();

/** sha256 of every file under `dir`, by relative path. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(dir, path)] = createHash("sha256")
      .update(await readFile(path))
      .digest("hex");
  }
  return files;
}

function agentFiles(name: string, description: string): Record<string, string> {
  return {
    "agent.yaml": [
      "apiVersion: pluto/v1",
      "kind: Agent",
      "metadata:",
      `  name: ${name}`,
      `  description: ${description}`,
      "spec:",
      "  model: openai/gpt-5-mini",
      "  system_prompt: SYSTEM_PROMPT.md",
      "  instructions: INSTRUCTIONS.md",
      "",
    ].join("\n"),
    "SYSTEM_PROMPT.md": `You are ${name}.\n`,
    "INSTRUCTIONS.md": "Answer briefly.\n",
  };
}

/** A server message of Pluto's WebSocket protocol (src/server/websocket/websocket-protocol.ts). */
interface SocketMessage {
  type: string;
  id?: number | string;
  error?: { code: string; message: string };
}

/** What tenant `a` owns, by id. */
interface TenantAState {
  agent: string;
  nativeSession: string;
  nativeRun: string;
  chatSession: string;
  mcpSession: string;
  artifactUri: string;
  taskId: string;
  stepId: string;
  artifactId: string;
  a2aTaskId: string;
  adminKeyId: string;
  memberKeyId: string;
}

describe("tenant isolation through pluto serve", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let server: ServeProcess;
  const tokens = { a: "", b: "", bMember: "" };
  const a = {} as TenantAState;
  let tenantADir: string;
  /** `a`'s state as `a` reads it over the API, and its files, after setup. */
  let before: { api: unknown; files: Record<string, string> };

  const request = (token: string, path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${token}`);
    return fetch(`${server.url}${path}`, { ...init, headers });
  };
  const send = (
    token: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    request(token, path, {
      method,
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  /** Asserts the documented refusal: `status` with Pluto's error format (and `code` when given). */
  async function refused(response: Response, status: number, code?: string): Promise<void> {
    const text = await response.text();
    expect(response.status, `${response.url}: ${text}`).toBe(status);
    const body = JSON.parse(text) as { error: { code: string; message: string } };
    expect(body.error.message).toEqual(expect.any(String));
    if (code !== undefined) expect(body.error.code).toBe(code);
    // A refusal never echoes what it protects.
    expect(text).not.toContain("secret of a");
  }
  const mcpClient = async (token: string, agent: string): Promise<Client> => {
    const client = new Client({ name: "e2e-isolation", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp/${agent}`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    return client;
  };
  const a2aJson = (token: string, agent: string, method: string, params: unknown) =>
    send(
      token,
      "POST",
      `/a2a/${agent}/jsonrpc`,
      { jsonrpc: "2.0", id: 1, method, params },
      { "a2a-version": "1.0" },
    );

  /**
   * Opens `GET /api/v1/ws` with `token`, sends `messages` (each with a numeric `id`), and resolves with
   * the server's messages once every id was answered (or after 5 s).
   */
  function socketExchange(
    token: string,
    messages: ({ id: number } & Record<string, unknown>)[],
  ): Promise<SocketMessage[]> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${server.url.replace(/^http/, "ws")}/api/v1/ws`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const received: SocketMessage[] = [];
      const finish = () => {
        clearTimeout(timer);
        socket.close();
        resolve(received);
      };
      const timer = setTimeout(finish, 5_000);
      socket.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.on("open", () => {
        for (const message of messages) socket.send(JSON.stringify(message));
      });
      socket.on("message", (data) => {
        received.push(JSON.parse(String(data)) as SocketMessage);
        const answered = new Set(received.map((message) => message.id));
        if (messages.every((message) => answered.has(message.id))) finish();
      });
    });
  }

  /** Everything of tenant `a`, read back by `a` (run ids and times included: nothing may move). */
  async function readAsA(): Promise<unknown> {
    const get = async (path: string) => {
      const response = await request(tokens.a, path);
      expect(response.status, path).toBe(200);
      return response.headers.get("content-type")?.startsWith("application/json")
        ? jsonOf(response)
        : Buffer.from(await response.arrayBuffer()).toString("base64");
    };
    const tasks = `/ap/v1/agent/tasks/${a.taskId}`;
    const mcp = await mcpClient(tokens.a, a.agent);
    try {
      return {
        agents: await get("/api/v1/agents"),
        agentFiles: await get(`/api/v1/admin/agents/${a.agent}`),
        keys: await get("/api/v1/admin/keys"),
        native: await get(`/api/v1/sessions/${a.nativeSession}/events`),
        chat: await get(`/api/v1/sessions/${a.chatSession}/events`),
        mcpSession: await get(`/api/v1/sessions/${a.mcpSession}/events`),
        task: await get(tasks),
        steps: await get(`${tasks}/steps`),
        artifacts: await get(`${tasks}/artifacts`),
        artifactBytes: await get(`${tasks}/artifacts/${a.artifactId}`),
        a2aTask: await jsonOf(await a2aJson(tokens.a, a.agent, "GetTask", { id: a.a2aTaskId })),
        resources: await mcp.listResources(),
        resource: await mcp.readResource({ uri: a.artifactUri }),
      };
    } finally {
      await mcp.close();
    }
  }

  beforeAll(async () => {
    fake = await startFakeModel();
    project = await tempProject();
    const env = { OPENAI_API_KEY: "sk-test-isolation", OPENAI_BASE_URL: `${fake.url}/v1` };
    const createKey = async (tenant: string, role: string) => {
      const created = await runPluto(["keys", "create", "--tenant", tenant, "--role", role], {
        cwd: project.dir,
        env,
      });
      expect(created.code, created.stderr).toBe(0);
      const token = created.stdout.trim();
      expect(token).toMatch(/^pluto_[0-9a-f]{12}_\S+$/);
      return token;
    };
    tokens.a = await createKey("a", "admin");
    tokens.b = await createKey("b", "admin");
    tokens.bMember = await createKey("b", "member");
    server = await startServe({ cwd: project.dir, env });
    tenantADir = join(project.dir, ".pluto/tenants/a");

    // Agents through the admin API.
    a.agent = "alpha-agent";
    const putA = await send(tokens.a, "PUT", `/api/v1/admin/agents/${a.agent}`, {
      files: agentFiles(a.agent, "Agent of tenant a."),
    });
    expect(putA.status, await putA.clone().text()).toBe(201);
    const putB = await send(tokens.b, "PUT", "/api/v1/admin/agents/beta-agent", {
      files: agentFiles("beta-agent", "Agent of tenant b."),
    });
    expect(putB.status).toBe(201);

    // A native run and its session.
    const run = await jsonOf(
      await send(tokens.a, "POST", `/api/v1/agents/${a.agent}/runs`, {
        input: "native secret of a",
        session_id: "a-native",
      }),
    );
    expect(run).toMatchObject({ status: "completed", session_id: "a-native" });
    a.nativeSession = run.session_id;
    a.nativeRun = run.run_id;

    // An OpenAI chat session.
    const chat = await send(tokens.a, "POST", "/v1/chat/completions", {
      model: a.agent,
      user: "alice",
      messages: [{ role: "user", content: "chat secret of a" }],
    });
    expect(chat.status).toBe(200);
    a.chatSession = chat.headers.get("x-pluto-session-id") ?? "";
    expect(a.chatSession).toBe(`${a.agent}.alice`);

    // An Agent Protocol task with a step and an uploaded artifact.
    const task = await jsonOf(
      await send(tokens.a, "POST", "/ap/v1/agent/tasks", { input: "task secret of a" }),
    );
    a.taskId = task.task_id;
    const step = await jsonOf(await send(tokens.a, "POST", `/ap/v1/agent/tasks/${a.taskId}/steps`));
    expect(step).toMatchObject({ status: "completed", output: "task secret of a" });
    a.stepId = step.step_id;
    const form = new FormData();
    form.append("file", new Blob(["uploaded secret of a"]), "a.txt");
    const uploaded = await request(tokens.a, `/ap/v1/agent/tasks/${a.taskId}/artifacts`, {
      method: "POST",
      body: form,
    });
    expect(uploaded.status).toBe(200);
    a.artifactId = (await jsonOf(uploaded)).artifact_id;

    // An A2A task (v1.0 JSON-RPC).
    const a2a = await jsonOf(
      await a2aJson(tokens.a, a.agent, "SendMessage", {
        message: { role: "ROLE_USER", messageId: "a-m1", parts: [{ text: "a2a secret of a" }] },
      }),
    );
    a.a2aTaskId = a2a.result?.task?.id;
    expect(a.a2aTaskId, JSON.stringify(a2a)).toEqual(expect.any(String));

    // MCP: a run whose tool writes an artifact, which the agent's MCP server offers as a resource.
    fake.enqueue(
      {
        toolCalls: [{ name: "artifact_write", input: { name: "notes/a.md", content: "mcp secret of a\n" } }],
      },
      { text: "noted" },
    );
    const mcp = await mcpClient(tokens.a, a.agent);
    const result = (await mcp.callTool({
      name: "send_message",
      arguments: { message: "write the secret of a" },
    })) as CallToolResult;
    await mcp.close();
    expect(result.isError).toBeFalsy();
    a.mcpSession = (result.structuredContent as { session_id: string }).session_id;
    a.artifactUri = `pluto-artifact://${a.agent}/notes/a.md`;

    // Keys: the CLI's admin key and a member key made through the admin API.
    a.adminKeyId = /^pluto_([0-9a-f]{12})_/.exec(tokens.a)?.[1] ?? "";
    const member = await jsonOf(
      await send(tokens.a, "POST", "/api/v1/admin/keys", { role: "member", name: "a member" }),
    );
    a.memberKeyId = member.id;

    before = { api: await readAsA(), files: await snapshot(tenantADir) };
  }, 90_000);

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
    expect(server?.stderr() ?? "").not.toMatch(/^error:/m);
    await fake?.close();
    await project?.cleanup();
  });

  it("keeps tenant a's files under its own folder", () => {
    expect(Object.keys(before.files).some((file) => file.startsWith(`sessions/${a.agent}/`))).toBe(true);
    expect(Object.keys(before.files).some((file) => file.startsWith("tasks/"))).toBe(true);
    expect(Object.keys(before.files).some((file) => file.startsWith(`artifacts/${a.agent}/`))).toBe(true);
  });

  it("does not let tenant b abort tenant a's running run", async () => {
    fake.enqueue({ text: "slow answer of a", delayMs: 1_500 });
    const running = send(tokens.a, "POST", `/api/v1/agents/${a.agent}/runs`, {
      input: "slow",
      session_id: "a-slow",
      stream: true,
    });
    const response = await running;
    const runId = response.headers.get("x-pluto-run-id") ?? "";
    expect(runId).toMatch(/^run_/);
    await refused(await send(tokens.b, "POST", `/api/v1/runs/${runId}/abort`), 404, "RUN_NOT_FOUND");
    await refused(await send(tokens.bMember, "POST", `/api/v1/runs/${runId}/abort`), 404, "RUN_NOT_FOUND");
    const frames = parseSse(await response.text());
    expect(JSON.parse(frames.at(-1)?.data ?? "{}")).toMatchObject({ type: "run-end", status: "completed" });
    // Done before the snapshot comparison: this run legitimately added to a's state.
    before = { api: await readAsA(), files: await snapshot(tenantADir) };
  });

  /**
   * One check per mounted route: tenant b (admin key, and member key where roles differ) tries
   * tenant a's ids. Keys are `app.routes` entries; every mounted route must have one.
   */
  const checks: Record<string, () => Promise<void>> = {
    // Native API.
    "GET /api/v1/agents": async () => {
      const listed = await jsonOf(await request(tokens.b, "/api/v1/agents"));
      expect(listed.agents.map((agent: { name: string }) => agent.name)).toEqual(["beta-agent"]);
    },
    "GET /api/v1/agents/:agent": async () => {
      await refused(await request(tokens.b, `/api/v1/agents/${a.agent}`), 404, "AGENT_NOT_FOUND");
    },
    "POST /api/v1/agents/:agent/runs": async () => {
      await refused(
        await send(tokens.b, "POST", `/api/v1/agents/${a.agent}/runs`, { input: "hi" }),
        404,
        "AGENT_NOT_FOUND",
      );
      await refused(
        await send(tokens.b, "POST", `/api/v1/agents/${a.agent}/runs`, {
          input: "hi",
          session_id: a.nativeSession,
        }),
        404,
        "AGENT_NOT_FOUND",
      );
      // a's session ids with b's own agent: see "reuses of a's session ids" below.
    },
    "GET /api/v1/sessions/:session/events": async () => {
      for (const session of [a.nativeSession, a.chatSession, a.mcpSession, a.taskId, "a-slow"]) {
        await refused(
          await request(tokens.b, `/api/v1/sessions/${session}/events`),
          404,
          "SESSION_NOT_FOUND",
        );
        await refused(
          await request(tokens.bMember, `/api/v1/sessions/${session}/events`, {
            headers: { accept: "text/event-stream" },
          }),
          404,
          "SESSION_NOT_FOUND",
        );
      }
    },
    "GET /api/v1/sessions/:session/approvals": async () => {
      for (const session of [a.nativeSession, a.chatSession, a.taskId]) {
        await refused(
          await request(tokens.b, `/api/v1/sessions/${session}/approvals`),
          404,
          "SESSION_NOT_FOUND",
        );
      }
    },
    "POST /api/v1/sessions/:session/approvals/:tool_call_id": async () => {
      for (const session of [a.nativeSession, a.chatSession]) {
        await refused(
          await send(tokens.bMember, "POST", `/api/v1/sessions/${session}/approvals/call_1`, {
            decision: "approve",
          }),
          404,
          "SESSION_NOT_FOUND",
        );
      }
    },
    "POST /api/v1/runs/:run/abort": async () => {
      // The active-run case is its own test above; a finished run of a is just as unknown to b.
      await refused(await send(tokens.b, "POST", `/api/v1/runs/${a.nativeRun}/abort`), 404, "RUN_NOT_FOUND");
    },

    // Admin API: 403 for b's member, 404 (or 403 for another tenant named outright) for b's admin.
    "GET /api/v1/admin/agents": async () => {
      await refused(await request(tokens.bMember, "/api/v1/admin/agents"), 403, "FORBIDDEN");
      const listed = await jsonOf(await request(tokens.b, "/api/v1/admin/agents"));
      expect(listed.agents.map((agent: { name: string }) => agent.name)).toEqual(["beta-agent"]);
    },
    "GET /api/v1/admin/agents/:name": async () => {
      await refused(await request(tokens.bMember, `/api/v1/admin/agents/${a.agent}`), 403, "FORBIDDEN");
      await refused(await request(tokens.b, `/api/v1/admin/agents/${a.agent}`), 404, "AGENT_NOT_FOUND");
    },
    "POST /api/v1/admin/agents": async () => {
      const body = { name: a.agent, files: agentFiles(a.agent, "Agent of tenant b.") };
      await refused(await send(tokens.bMember, "POST", "/api/v1/admin/agents", body), 403, "FORBIDDEN");
      // Not "exists": b's namespace has no such agent, so b creates its own; then removes it again.
      const created = await send(tokens.b, "POST", "/api/v1/admin/agents", body);
      expect(created.status).toBe(201);
      expect((await send(tokens.b, "DELETE", `/api/v1/admin/agents/${a.agent}`)).status).toBe(204);
    },
    "PUT /api/v1/admin/agents/:name": async () => {
      const body = { files: agentFiles(a.agent, "Agent of tenant b.") };
      await refused(
        await send(tokens.bMember, "PUT", `/api/v1/admin/agents/${a.agent}`, body),
        403,
        "FORBIDDEN",
      );
      const created = await send(tokens.b, "PUT", `/api/v1/admin/agents/${a.agent}`, body);
      expect(created.status).toBe(201);
      expect(await jsonOf(created)).toMatchObject({ created: true });
      expect((await send(tokens.b, "DELETE", `/api/v1/admin/agents/${a.agent}`)).status).toBe(204);
    },
    "DELETE /api/v1/admin/agents/:name": async () => {
      await refused(
        await send(tokens.bMember, "DELETE", `/api/v1/admin/agents/${a.agent}`),
        403,
        "FORBIDDEN",
      );
      await refused(
        await send(tokens.b, "DELETE", `/api/v1/admin/agents/${a.agent}`),
        404,
        "AGENT_NOT_FOUND",
      );
    },
    "POST /api/v1/admin/keys": async () => {
      await refused(
        await send(tokens.bMember, "POST", "/api/v1/admin/keys", { role: "member" }),
        403,
        "FORBIDDEN",
      );
      await refused(
        await send(tokens.b, "POST", "/api/v1/admin/keys", { role: "admin", tenant: "a" }),
        403,
        "FORBIDDEN",
      );
    },
    "GET /api/v1/admin/keys": async () => {
      await refused(await request(tokens.bMember, "/api/v1/admin/keys"), 403, "FORBIDDEN");
      const listed = await jsonOf(await request(tokens.b, "/api/v1/admin/keys?kind=all"));
      expect(listed.keys.map((key: { tenant: string }) => key.tenant)).not.toContain("a");
      expect(JSON.stringify(listed)).not.toContain(a.memberKeyId);
      await refused(await request(tokens.b, "/api/v1/admin/keys?tenant=a"), 403, "FORBIDDEN");
      await refused(await request(tokens.b, "/api/v1/admin/keys?tenant=*"), 403, "FORBIDDEN");
    },
    "DELETE /api/v1/admin/keys/:id": async () => {
      for (const id of [a.adminKeyId, a.memberKeyId]) {
        await refused(await send(tokens.bMember, "DELETE", `/api/v1/admin/keys/${id}`), 403, "FORBIDDEN");
        await refused(await send(tokens.b, "DELETE", `/api/v1/admin/keys/${id}`), 404, "NOT_FOUND");
        await refused(await send(tokens.b, "DELETE", `/api/v1/admin/keys/${id}?tenant=a`), 403, "FORBIDDEN");
      }
      // a's key still works.
      expect((await request(tokens.a, "/api/v1/agents")).status).toBe(200);
    },
    "POST /api/v1/admin/login-links": async () => {
      await refused(
        await send(tokens.bMember, "POST", "/api/v1/admin/login-links", { role: "admin" }),
        403,
        "FORBIDDEN",
      );
      // b's link signs a browser into b, which then sees none of a's things.
      const link = await jsonOf(await send(tokens.b, "POST", "/api/v1/admin/login-links", { role: "admin" }));
      const login = await fetch(`${server.url}/login?token=${new URL(link.url).searchParams.get("token")}`, {
        redirect: "manual",
      });
      expect(login.status).toBe(303);
      const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
      expect(cookie).toMatch(/^pluto_session=/);
      const viaCookie = await fetch(`${server.url}/api/v1/agents/${a.agent}`, { headers: { cookie } });
      await refused(viaCookie, 404, "AGENT_NOT_FOUND");
      await refused(
        await fetch(`${server.url}/ap/v1/agent/tasks/${a.taskId}`, { headers: { cookie } }),
        404,
        "NOT_FOUND",
      );
    },
    "GET /login": async () => {
      // Covered with b's own link above; a's keys are no login tokens.
      const response = await fetch(`${server.url}/login?token=${encodeURIComponent(tokens.a)}`, {
        redirect: "manual",
      });
      expect(response.status).toBe(401);
      expect(response.headers.get("set-cookie")).toBeNull();
    },

    "GET /api/v1/ws": async () => {
      // Over one socket b asks for a's sessions and runs by id: every answer is a not-found error.
      const messages = await socketExchange(tokens.b, [
        { type: "subscribe", id: 1, session_id: a.nativeSession },
        { type: "subscribe", id: 2, session_id: a.chatSession, after: 0 },
        { type: "run", id: 3, agent: a.agent, input: "b asks", session_id: a.nativeSession },
        { type: "abort", id: 4, run_id: a.nativeRun },
      ]);
      const codes = Object.fromEntries(
        messages.map((message) => [
          message.id,
          message.type === "error" ? message.error?.code : message.type,
        ]),
      );
      expect(codes).toEqual({
        1: "SESSION_NOT_FOUND",
        2: "SESSION_NOT_FOUND",
        3: "AGENT_NOT_FOUND",
        4: "RUN_NOT_FOUND",
      });
      expect(JSON.stringify(messages)).not.toContain("secret of a");
    },

    // OpenAI-compatible API.
    "GET /v1/models": async () => {
      const listed = await jsonOf(await request(tokens.b, "/v1/models"));
      expect(listed.data.map((model: { id: string }) => model.id)).toEqual(["beta-agent"]);
    },
    "GET /v1/models/:model": async () => {
      await refused(await request(tokens.b, `/v1/models/${a.agent}`), 404, "AGENT_NOT_FOUND");
    },
    "POST /v1/chat/completions": async () => {
      const messages = [{ role: "user", content: "b asks" }];
      await refused(
        await send(tokens.b, "POST", "/v1/chat/completions", { model: a.agent, user: "alice", messages }),
        404,
        "AGENT_NOT_FOUND",
      );
      await refused(
        await send(
          tokens.b,
          "POST",
          "/v1/chat/completions",
          { model: a.agent, messages },
          { "x-pluto-session-id": a.chatSession },
        ),
        404,
        "AGENT_NOT_FOUND",
      );
    },

    // MCP.
    "POST /mcp/:agent": async () => {
      const connect = await send(
        tokens.b,
        "POST",
        `/mcp/${a.agent}`,
        {
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: {
            protocolVersion: "2025-06-18",
            capabilities: {},
            clientInfo: { name: "b", version: "1" },
          },
        },
        { accept: "application/json, text/event-stream" },
      );
      await refused(connect, 404, "AGENT_NOT_FOUND");
      const client = new Client({ name: "e2e-isolation-b", version: "1.0.0" });
      await expect(
        client.connect(
          new StreamableHTTPClientTransport(new URL(`${server.url}/mcp/${a.agent}`), {
            requestInit: { headers: { authorization: `Bearer ${tokens.b}` } },
          }),
        ),
      ).rejects.toThrow(/AGENT_NOT_FOUND/);
      // b's own agent's server lists none of a's resources and refuses a's URI.
      const own = await mcpClient(tokens.b, "beta-agent");
      try {
        const { resources } = await own.listResources();
        expect(JSON.stringify(resources)).not.toContain(a.agent);
        await expect(own.readResource({ uri: a.artifactUri })).rejects.toThrow();
      } finally {
        await own.close();
      }
    },
    "GET /mcp/:agent": async () => {
      // Stateless servers answer 405 to every agent name alike: nothing tells b that a's agent exists.
      const theirs = await request(tokens.b, `/mcp/${a.agent}`);
      const nobody = await request(tokens.b, "/mcp/no-such-agent");
      expect([theirs.status, nobody.status]).toEqual([405, 405]);
      expect(await theirs.text()).toBe(await nobody.text());
    },
    "DELETE /mcp/:agent": async () => {
      const theirs = await send(tokens.b, "DELETE", `/mcp/${a.agent}`);
      const nobody = await send(tokens.b, "DELETE", "/mcp/no-such-agent");
      expect([theirs.status, nobody.status]).toEqual([405, 405]);
      expect(await theirs.text()).toBe(await nobody.text());
    },

    // A2A.
    "GET /.well-known/agent-card.json": async () => {
      // Public cards describe the default tenant (which has no agents here), whoever asks.
      const card = await request(tokens.b, "/.well-known/agent-card.json");
      expect(await card.text()).not.toContain(a.agent);
    },
    "GET /.well-known/agent.json": async () => {
      const card = await request(tokens.b, "/.well-known/agent.json");
      expect(await card.text()).not.toContain(a.agent);
    },
    "GET /a2a/:agent/.well-known/agent-card.json": async () => {
      await refused(
        await request(tokens.b, `/a2a/${a.agent}/.well-known/agent-card.json`),
        404,
        "AGENT_NOT_FOUND",
      );
    },
    "GET /a2a/:agent/.well-known/agent.json": async () => {
      await refused(
        await request(tokens.b, `/a2a/${a.agent}/.well-known/agent.json`),
        404,
        "AGENT_NOT_FOUND",
      );
    },
    "POST /a2a/:agent/jsonrpc": async () => {
      await refused(await a2aJson(tokens.b, a.agent, "GetTask", { id: a.a2aTaskId }), 404, "AGENT_NOT_FOUND");
      // Through b's own agent, a's task id is the protocol's "task not found" (-32001) for every method.
      for (const [method, params] of [
        ["GetTask", { id: a.a2aTaskId }],
        ["CancelTask", { id: a.a2aTaskId }],
        [
          "SendMessage",
          {
            message: {
              role: "ROLE_USER",
              messageId: "b-m1",
              taskId: a.a2aTaskId,
              parts: [{ text: "b asks" }],
            },
          },
        ],
      ] as const) {
        const body = await jsonOf(await a2aJson(tokens.b, "beta-agent", method, params));
        expect(body, method).toMatchObject({ error: { code: -32001 } });
      }
      const legacy = await send(tokens.b, "POST", "/a2a/beta-agent/jsonrpc", {
        jsonrpc: "2.0",
        id: 2,
        method: "tasks/get",
        params: { id: a.a2aTaskId },
      });
      expect(await jsonOf(legacy)).toMatchObject({ error: { code: -32001 } });
      const listed = await jsonOf(await a2aJson(tokens.b, "beta-agent", "ListTasks", {}));
      expect(JSON.stringify(listed)).not.toContain(a.a2aTaskId);
    },
    "ALL /a2a/:agent/rest/*": async () => {
      await refused(
        await request(tokens.b, `/a2a/${a.agent}/rest/tasks/${a.a2aTaskId}`),
        404,
        "AGENT_NOT_FOUND",
      );
      const rest = `/a2a/beta-agent/rest/tasks/${a.a2aTaskId}`;
      expect((await request(tokens.b, rest)).status).toBe(404);
      expect((await send(tokens.b, "POST", `${rest}:cancel`, {})).status).toBe(404);
      expect((await request(tokens.b, `${rest}:subscribe`)).status).toBe(404);
      const listed = await request(tokens.b, "/a2a/beta-agent/rest/tasks");
      expect(listed.status).toBe(200);
      expect(await listed.text()).not.toContain(a.a2aTaskId);
    },
  };

  // Agent Protocol, at both mount points.
  for (const prefix of ["/ap/v1", "/api/v1"]) {
    const task = () => `${prefix}/agent/tasks/${a.taskId}`;
    Object.assign(checks, {
      [`POST ${prefix}/agent/tasks`]: async () => {
        await refused(
          await send(tokens.b, "POST", `${prefix}/agent/tasks`, { input: "b" }, { "x-pluto-agent": a.agent }),
          404,
          "AGENT_NOT_FOUND",
        );
        await refused(
          await send(tokens.b, "POST", `${prefix}/agent/tasks`, {
            input: "b",
            additional_input: { agent: a.agent },
          }),
          404,
          "AGENT_NOT_FOUND",
        );
      },
      [`GET ${prefix}/agent/tasks`]: async () => {
        const listed = await jsonOf(await request(tokens.b, `${prefix}/agent/tasks?page_size=100`));
        expect(listed.tasks).toEqual([]);
        expect(listed.pagination.total_items).toBe(0);
      },
      [`GET ${prefix}/agent/tasks/:task_id`]: async () => {
        await refused(await request(tokens.b, task()), 404, "NOT_FOUND");
        await refused(await request(tokens.bMember, task()), 404, "NOT_FOUND");
      },
      [`POST ${prefix}/agent/tasks/:task_id/steps`]: async () => {
        await refused(await send(tokens.b, "POST", `${task()}/steps`, { input: "b" }), 404, "NOT_FOUND");
        await refused(await send(tokens.bMember, "POST", `${task()}/steps`), 404, "NOT_FOUND");
      },
      [`GET ${prefix}/agent/tasks/:task_id/steps`]: async () => {
        await refused(await request(tokens.b, `${task()}/steps`), 404, "NOT_FOUND");
      },
      [`GET ${prefix}/agent/tasks/:task_id/steps/:step_id`]: async () => {
        await refused(await request(tokens.b, `${task()}/steps/${a.stepId}`), 404, "NOT_FOUND");
      },
      [`GET ${prefix}/agent/tasks/:task_id/artifacts`]: async () => {
        await refused(await request(tokens.b, `${task()}/artifacts`), 404, "NOT_FOUND");
      },
      [`POST ${prefix}/agent/tasks/:task_id/artifacts`]: async () => {
        const form = new FormData();
        form.append("file", new Blob(["from b"]), "a.txt");
        await refused(
          await request(tokens.b, `${task()}/artifacts`, { method: "POST", body: form }),
          404,
          "NOT_FOUND",
        );
      },
      [`GET ${prefix}/agent/tasks/:task_id/artifacts/:artifact_id`]: async () => {
        await refused(await request(tokens.b, `${task()}/artifacts/${a.artifactId}`), 404, "NOT_FOUND");
      },
    });
  }

  it("has an isolation check for every mounted route", () => {
    expect(ROUTES.length).toBeGreaterThan(40);
    const unchecked = ROUTES.filter((route) => !(route in checks) && !(route in NO_TENANT_STATE));
    expect(unchecked, "add an isolation check for each of these routes").toEqual([]);
    const stale = Object.keys(checks).filter((route) => !ROUTES.includes(route));
    expect(stale, "checks for routes the app no longer mounts").toEqual([]);
  });

  it.each(ROUTES.filter((route) => route in checks))(
    "%s: tenant b cannot reach tenant a's state",
    async (route) => {
      await checks[route]?.();
    },
  );

  it("reuses of a's session ids by b's own agent make sessions of b that hold none of a's history", async () => {
    const sees = () => JSON.stringify(fake.requests.at(-1)?.body);
    const run = await jsonOf(
      await send(tokens.b, "POST", "/api/v1/agents/beta-agent/runs", {
        input: "b asks",
        session_id: a.nativeSession,
      }),
    );
    expect(run).toMatchObject({ status: "completed", session_id: a.nativeSession, output: "b asks" });
    expect(sees()).not.toContain("secret of a");
    const chat = await send(
      tokens.b,
      "POST",
      "/v1/chat/completions",
      { model: "beta-agent", messages: [{ role: "user", content: "b chats" }] },
      { "x-pluto-session-id": a.chatSession },
    );
    expect(chat.status).toBe(200);
    expect(sees()).not.toContain("secret of a");
    const mcp = await mcpClient(tokens.b, "beta-agent");
    try {
      const answer = (await mcp.callTool({
        name: "send_message",
        arguments: { message: "b calls", session_id: a.mcpSession },
      })) as CallToolResult;
      expect(answer.isError).toBeFalsy();
      expect(sees()).not.toContain("secret of a");
    } finally {
      await mcp.close();
    }
    // What b reads under those ids is its own session of its own agent.
    for (const session of [a.nativeSession, a.chatSession, a.mcpSession]) {
      const events = await jsonOf(await request(tokens.b, `/api/v1/sessions/${session}/events`));
      expect(events.agent, session).toBe("beta-agent");
      expect(JSON.stringify(events), session).not.toContain("secret of a");
    }
  });

  it("leaves tenant a's state exactly as it was", async () => {
    expect(await snapshot(tenantADir)).toEqual(before.files);
    expect(await readAsA()).toEqual(before.api);
  });
});
