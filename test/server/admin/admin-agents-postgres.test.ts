import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TenantAgents } from "../../../src/agents/tenant-agents.js";
import type { StreamStep } from "../../../src/llm/model-step.js";
import { EventBus } from "../../../src/runs/event-bus.js";
import { RunManager } from "../../../src/runs/run-manager.js";
import { createApp } from "../../../src/server/app.js";
import { AgentFolderSync } from "../../../src/services/agents/agent-folder-sync.js";
import { InMemoryArtifactStore } from "../../../src/services/artifact/in-memory-artifact-store.js";
import type { ApiKeyRole } from "../../../src/services/auth/api-key-store.js";
import { createApiKey } from "../../../src/services/auth/api-keys.js";
import { InMemoryApiKeyStore } from "../../../src/services/auth/in-memory-api-key-store.js";
import { InMemoryMemoryStore } from "../../../src/services/memory/in-memory-memory-store.js";
import { PostgresAgentStore } from "../../../src/services/postgres/postgres-agent-store.js";
import { PostgresPools } from "../../../src/services/postgres/postgres-pools.js";
import { InMemorySessionStore } from "../../../src/services/session/in-memory-session-store.js";
import { createTestSchema, type PostgresTestSchema } from "../../services/postgres/postgres-fixture.js";
import { TcpProxy } from "../../services/postgres/tcp-proxy.js";
import { scriptedStream } from "../../support/scripted-step.js";
import { postgresUrlOrSkip } from "../../support/services.js";
import { agentFiles, expectError, withToken } from "./admin-harness.js";

const url = await postgresUrlOrSkip();
const ADMIN = "/api/v1/admin";

/**
 * One `pluto serve` worker of complex mode, in process: its own PostgreSQL pool (or one through a proxy),
 * its own agents cache folder, `TenantAgents` fed by `AgentFolderSync`, and the admin API writing to the
 * shared `PostgresAgentStore`. Every run answers from a scripted model that records its requests.
 */
function createWorker(options: {
  databaseUrl: string;
  schema: string;
  root: string;
  label: string;
  apiKeys: InMemoryApiKeyStore;
  connectionTimeoutMs?: number;
}) {
  const pools = new PostgresPools({ max: 4, connectionTimeoutMs: options.connectionTimeoutMs ?? 5000 });
  const store = new PostgresAgentStore({ pool: pools.get(options.databaseUrl), schema: options.schema });
  const logs: string[] = [];
  const agents = new TenantAgents({
    agentsDir: path.join(options.root, options.label, "agents"),
    dataDir: path.join(options.root, options.label),
    providerNames: [],
    source: new AgentFolderSync({
      store,
      cacheDir: path.join(options.root, options.label, "agents-cache"),
      log: (level, message) => logs.push(`${level}: ${message}`),
    }),
  });
  const model = scriptedStream();
  const streamStep: StreamStep = (request) => {
    model.push({ text: "ok" });
    return model.streamStep(request);
  };
  const runs = new RunManager({
    agents,
    sessions: new InMemorySessionStore(),
    memory: new InMemoryMemoryStore(),
    artifacts: new InMemoryArtifactStore(),
    bus: new EventBus(),
    streamStepFor: () => streamStep,
    toolsFor: async () => ({ tools: new Map(), specs: [] }),
  });
  const unexpected: unknown[] = [];
  const app = createApp({
    agents,
    agentFolders: agents,
    agentStore: store,
    runs,
    sessions: new InMemorySessionStore(),
    apiKeys: options.apiKeys,
    maxBodyBytes: 8 * 1024 * 1024,
    ready: () => true,
    onUnexpectedError: (error) => unexpected.push(error),
  });
  return { app, agents, store, model, logs, unexpected, close: () => pools.close() };
}

/** Polls `check` every 50 ms until it returns true; fails after `timeoutMs`. @returns the milliseconds it took. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 2500): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not true within ${timeoutMs} ms`);
    await sleep(50);
  }
  return Date.now() - started;
}

describe.skipIf(url === undefined)("admin API with agents in PostgreSQL (two workers)", () => {
  let fixture: PostgresTestSchema;
  let root: string;
  const apiKeys = new InMemoryApiKeyStore();
  const tokens: Record<"acmeAdmin" | "acmeMember" | "betaAdmin", string> = {
    acmeAdmin: "",
    acmeMember: "",
    betaAdmin: "",
  };
  let workerA: ReturnType<typeof createWorker>;
  let workerB: ReturnType<typeof createWorker>;

  beforeAll(async () => {
    fixture = await createTestSchema(url ?? "", "admin_agents");
    root = await mkdtemp(path.join(os.tmpdir(), "pluto-admin-pg-"));
    const key = async (tenant: string, role: ApiKeyRole) =>
      (await createApiKey(apiKeys, { tenant, role, name: `${tenant}-${role}` })).token;
    tokens.acmeAdmin = await key("acme", "admin");
    tokens.acmeMember = await key("acme", "member");
    tokens.betaAdmin = await key("beta", "admin");
    const common = { databaseUrl: fixture.url, schema: fixture.schema, root, apiKeys };
    workerA = createWorker({ ...common, label: "a" });
    workerB = createWorker({ ...common, label: "b" });
  });
  afterAll(async () => {
    await workerA?.close();
    await workerB?.close();
    await fixture?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  const description = async (worker: ReturnType<typeof createWorker>, name: string, token: string) => {
    const response = await worker.app.request(`/api/v1/agents/${name}`, withToken(token));
    return response.status === 200
      ? ((await response.json()) as { description: string }).description
      : undefined;
  };
  const run = async (worker: ReturnType<typeof createWorker>, name: string) => {
    const response = await worker.app.request(
      `/api/v1/agents/${name}/runs`,
      withToken(tokens.acmeMember, { method: "POST", body: { input: "hi" } }),
    );
    expect(response.status).toBe(200);
    return worker.model.requests.at(-1)?.system ?? "";
  };

  it("refuses an agent whose MCP server starts a program; the store stays without it", async () => {
    const files = agentFiles("shell");
    files["agent.yaml"] +=
      "  tools:\n    mcp:\n      - name: sh\n        command: sh\n        args: [-c, id]\n";
    const refused = await workerA.app.request(
      `${ADMIN}/agents/shell`,
      withToken(tokens.acmeAdmin, { method: "PUT", body: { files } }),
    );
    await expectError(refused, 400, "BAD_REQUEST");
    expect(await workerA.store.get("acme", "shell")).toBeUndefined();
  });

  it("a PUT on worker A is served by worker B within about a second, runs included; delete too", async () => {
    // B looks first, so it has checked (and cached the absence) before A writes.
    expect(await description(workerB, "helper", tokens.acmeMember)).toBeUndefined();
    const created = await workerA.app.request(
      `${ADMIN}/agents/helper`,
      withToken(tokens.acmeAdmin, { method: "PUT", body: { files: agentFiles("helper", "First version.") } }),
    );
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ name: "helper", created: true, diagnostics: [] });
    // The writing worker sees its own write at once.
    expect(await description(workerA, "helper", tokens.acmeMember)).toBe("First version.");
    const seenAfter = await eventually(
      async () => (await description(workerB, "helper", tokens.acmeMember)) === "First version.",
    );
    expect(seenAfter).toBeLessThan(2500);
    expect(await run(workerB, "helper")).toContain("You are helper.");

    const replacement = {
      ...agentFiles("helper", "Second version."),
      "SYSTEM_PROMPT.md": "You are helper, version two.\n",
    };
    const replaced = await workerA.app.request(
      `${ADMIN}/agents/helper`,
      withToken(tokens.acmeAdmin, { method: "PUT", body: { files: replacement } }),
    );
    expect(replaced.status).toBe(200);
    expect(await replaced.json()).toEqual({ name: "helper", created: false, diagnostics: [] });
    await eventually(async () => (await run(workerB, "helper")).includes("version two"));

    // The admin read on B comes from the store: exactly the files A wrote.
    const read = await workerB.app.request(`${ADMIN}/agents/helper`, withToken(tokens.acmeAdmin));
    expect(await read.json()).toEqual({
      name: "helper",
      valid: true,
      diagnostics: [],
      files: replacement,
      omitted: [],
    });
    const list = await workerB.app.request(`${ADMIN}/agents`, withToken(tokens.acmeAdmin));
    expect(await list.json()).toEqual({
      agents: [{ name: "helper", description: "Second version.", valid: true }],
    });

    const deleted = await workerA.app.request(
      `${ADMIN}/agents/helper`,
      withToken(tokens.acmeAdmin, { method: "DELETE" }),
    );
    expect(deleted.status).toBe(204);
    await expectError(
      await workerA.app.request("/api/v1/agents/helper", withToken(tokens.acmeMember)),
      404,
      "AGENT_NOT_FOUND",
    );
    await eventually(async () => (await description(workerB, "helper", tokens.acmeMember)) === undefined);
    await expectError(
      await workerB.app.request("/api/v1/agents/helper", withToken(tokens.acmeMember)),
      404,
      "AGENT_NOT_FOUND",
    );
    await expectError(
      await workerB.app.request(`${ADMIN}/agents/helper`, withToken(tokens.acmeAdmin, { method: "DELETE" })),
      404,
      "AGENT_NOT_FOUND",
    );
    expect(await workerA.store.version("acme", "helper")).toBeUndefined();
    expect(workerA.unexpected).toEqual([]);
    expect(workerB.unexpected).toEqual([]);
  });

  it("POST creates once across workers; invalid agents are refused with nothing stored", async () => {
    const body = { name: "creator", files: agentFiles("creator") };
    const first = await workerA.app.request(
      `${ADMIN}/agents`,
      withToken(tokens.acmeAdmin, { method: "POST", body }),
    );
    expect(first.status).toBe(201);
    const again = await expectError(
      await workerB.app.request(`${ADMIN}/agents`, withToken(tokens.acmeAdmin, { method: "POST", body })),
      400,
      "BAD_REQUEST",
    );
    expect(again.details).toMatchObject({ agent: "creator", exists: true });

    const invalid = {
      ...agentFiles("broken"),
      "agent.yaml": "apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: broken\nspec:\n  model: nope\n",
    };
    const refused = await expectError(
      await workerA.app.request(
        `${ADMIN}/agents/broken`,
        withToken(tokens.acmeAdmin, { method: "PUT", body: { files: invalid } }),
      ),
      422,
      "AGENT_INVALID",
    );
    expect(JSON.stringify(refused.details)).not.toContain(root);
    expect(await workerA.store.version("acme", "broken")).toBeUndefined();
    // No staging folder is left behind.
    const cache = await readdir(workerA.agents.directoryOf("acme"));
    expect(cache.filter((name) => name.startsWith(".staging-"))).toEqual([]);
  });

  it("keeps tenants apart: beta never sees, reads, replaces or deletes acme's agent", async () => {
    const put = await workerA.app.request(
      `${ADMIN}/agents/secret`,
      withToken(tokens.acmeAdmin, { method: "PUT", body: { files: agentFiles("secret", "Acme only.") } }),
    );
    expect(put.status).toBe(201);
    for (const worker of [workerA, workerB]) {
      await expectError(
        await worker.app.request("/api/v1/agents/secret", withToken(tokens.betaAdmin)),
        404,
        "AGENT_NOT_FOUND",
      );
      await expectError(
        await worker.app.request(`${ADMIN}/agents/secret`, withToken(tokens.betaAdmin)),
        404,
        "AGENT_NOT_FOUND",
      );
      await expectError(
        await worker.app.request(`${ADMIN}/agents/secret`, withToken(tokens.betaAdmin, { method: "DELETE" })),
        404,
        "AGENT_NOT_FOUND",
      );
      const list = await worker.app.request(`${ADMIN}/agents`, withToken(tokens.betaAdmin));
      expect(await list.json()).toEqual({ agents: [] });
    }
    // beta's own agent of the same name is a different agent.
    const own = await workerB.app.request(
      `${ADMIN}/agents/secret`,
      withToken(tokens.betaAdmin, { method: "PUT", body: { files: agentFiles("secret", "Beta's.") } }),
    );
    expect(own.status).toBe(201);
    // A checked beta's "secret" a moment ago (absent), so it notices the new agent within about a second.
    await eventually(async () => (await description(workerA, "secret", tokens.betaAdmin)) === "Beta's.");
    expect(await description(workerA, "secret", tokens.acmeMember)).toBe("Acme only.");
    const members = await workerA.app.request(`${ADMIN}/agents/secret`, withToken(tokens.acmeMember));
    await expectError(members, 403, "FORBIDDEN");
  });

  it("refuses hostile names and paths, storing and writing nothing", async () => {
    for (const name of ["..%2Fx", "%2E%2E", "a%00b", ".hidden", "x".repeat(200)]) {
      const response = await workerA.app.request(
        `${ADMIN}/agents/${name}`,
        withToken(tokens.acmeAdmin, { method: "PUT", body: { files: agentFiles("x") } }),
      );
      expect([400, 404]).toContain(response.status);
      expect(((await response.json()) as { error: { code: string } }).error.code).toMatch(
        /INVALID_NAME|NOT_FOUND/,
      );
    }
    for (const file of [
      "../agent.yaml",
      "/etc/passwd",
      "skills/../../x.md",
      "a\\b",
      "skills/a\u0000b/SKILL.md",
    ]) {
      const response = await workerA.app.request(
        `${ADMIN}/agents/hostile`,
        withToken(tokens.acmeAdmin, {
          method: "PUT",
          body: { files: { ...agentFiles("hostile"), [file]: "x" } },
        }),
      );
      expect(response.status).toBe(400);
    }
    const body = { name: "../escape", files: agentFiles("escape") };
    await expectError(
      await workerA.app.request(`${ADMIN}/agents`, withToken(tokens.acmeAdmin, { method: "POST", body })),
      400,
      "INVALID_NAME",
    );
    expect(await workerA.store.version("acme", "hostile")).toBeUndefined();
    expect((await workerA.store.list("acme")).agents.map((entry) => entry.name)).not.toContain("hostile");
    expect((await readdir(root)).sort()).toEqual(["a", "b"]);
  });
});

describe.skipIf(url === undefined)("admin API with agents in PostgreSQL: server unreachable", () => {
  let fixture: PostgresTestSchema;
  let root: string;
  let proxy: TcpProxy;
  let worker: ReturnType<typeof createWorker>;
  const apiKeys = new InMemoryApiKeyStore();
  let admin = "";
  let member = "";

  beforeAll(async () => {
    fixture = await createTestSchema(url ?? "", "admin_agents_outage");
    root = await mkdtemp(path.join(os.tmpdir(), "pluto-admin-pg-outage-"));
    const target = new URL(fixture.url);
    proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await proxy.start();
    const proxied = new URL(fixture.url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(proxy.port);
    admin = (await createApiKey(apiKeys, { tenant: "acme", role: "admin", name: "admin" })).token;
    member = (await createApiKey(apiKeys, { tenant: "acme", role: "member", name: "member" })).token;
    worker = createWorker({
      databaseUrl: proxied.toString(),
      schema: fixture.schema,
      root,
      label: "w",
      apiKeys,
      connectionTimeoutMs: 1000,
    });
  });
  afterAll(async () => {
    await proxy?.stop();
    await worker?.close();
    await fixture?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it("cached agents keep loading and running; writes and uncached agents get BACKEND_UNAVAILABLE", async () => {
    for (const name of ["cached", "uncached"]) {
      const response = await worker.app.request(
        `${ADMIN}/agents/${name}`,
        withToken(admin, { method: "PUT", body: { files: agentFiles(name, `Agent ${name}.`) } }),
      );
      expect(response.status).toBe(201);
    }
    const direct = new PostgresAgentStore({ pool: fixture.pool, schema: fixture.schema });
    expect(await worker.app.request("/api/v1/agents/cached", withToken(member))).toHaveProperty(
      "status",
      200,
    );

    await proxy.stop();
    await sleep(1100);
    const cached = await worker.app.request("/api/v1/agents/cached", withToken(member));
    expect(cached.status).toBe(200);
    const runResponse = await worker.app.request(
      "/api/v1/agents/cached/runs",
      withToken(member, { method: "POST", body: { input: "hi" } }),
    );
    expect(runResponse.status).toBe(200);

    const uncached = await expectError(
      await worker.app.request("/api/v1/agents/uncached", withToken(member)),
      503,
      "BACKEND_UNAVAILABLE",
    );
    expect(uncached.message).toContain("PostgreSQL is unreachable");
    expect(uncached.message).toContain("Check that the server is running");
    const write = await expectError(
      await worker.app.request(
        `${ADMIN}/agents/cached`,
        withToken(admin, { method: "PUT", body: { files: agentFiles("cached", "Changed.") } }),
      ),
      503,
      "BACKEND_UNAVAILABLE",
    );
    expect(write.message).toContain("PostgreSQL is unreachable");
    expect((await direct.get("acme", "cached"))?.files["agent.yaml"]).toContain("Agent cached.");
    expect(worker.logs.filter((line) => line.startsWith("warn: Agent store unreachable"))).toHaveLength(1);
    expect(worker.unexpected).toEqual([]);

    await proxy.start();
    await direct.put("acme", "cached", agentFiles("cached", "After the outage."));
    await eventually(async () => (await description(worker, "cached")) === "After the outage.", 4000);
    expect(await description(worker, "uncached")).toBe("Agent uncached.");
  });

  const description = async (target: ReturnType<typeof createWorker>, name: string) => {
    const response = await target.app.request(`/api/v1/agents/${name}`, withToken(member));
    return response.status === 200
      ? ((await response.json()) as { description: string }).description
      : undefined;
  };
});
