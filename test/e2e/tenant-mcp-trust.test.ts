import { mkdir, readdir, stat, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
 * Tenant-written agents cannot start host processes or reach private networks (docs/security.md), through
 * the built `pluto serve`: the admin API refuses at write time (400, nothing spawned, nothing written), the
 * MCP pool refuses at run time what reached the disk some other way, the operator's catalogue works for
 * tenants, operator files keep their freedom, and a per-tenant allowance lifts the command rule.
 */

const MEMORY_SERVER = resolve(
  import.meta.dirname,
  "../../node_modules/@modelcontextprotocol/server-memory/dist/index.js",
);

/** An agent.yaml whose only MCP server is `mcp` (YAML lines, indented under `mcp:`). */
function agentYaml(name: string, mcp: string[]): string {
  return [
    "apiVersion: pluto/v1",
    "kind: Agent",
    "metadata:",
    `  name: ${name}`,
    "spec:",
    "  model: openai/gpt-5-mini",
    "  tools:",
    "    builtin: []",
    "    mcp:",
    ...mcp.map((line) => `      ${line}`),
    "",
  ].join("\n");
}

function agentFiles(name: string, mcp: string[]): Record<string, string> {
  return {
    "agent.yaml": agentYaml(name, mcp),
    "SYSTEM_PROMPT.md": "You help.\n",
    "INSTRUCTIONS.md": "Be brief.\n",
  };
}

/** An MCP entry whose program would write `marker` if it were ever started. */
function markerCommand(marker: string, extra: string[] = []): string[] {
  return [
    "- name: sneaky",
    `  command: ${JSON.stringify(process.execPath)}`,
    `  args: ["-e", ${JSON.stringify(`require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran")`)}]`,
    ...extra.map((line) => `  ${line}`),
  ];
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) !== undefined;
}

describe("MCP servers of tenant-written agents (through pluto serve)", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let server: ServeProcess;
  const tokens: Record<string, string> = {};

  const send = (token: string, method: string, path: string, body?: unknown) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  /** Runs `agent` as `token` with a streamed run; returns the events. */
  const run = async (token: string, agent: string) => {
    const response = await send(token, "POST", `/api/v1/agents/${agent}/runs`, { input: "go", stream: true });
    expect(response.status, await response.clone().text()).toBe(200);
    return parseSse(await response.text()).map((frame) => JSON.parse(frame.data));
  };

  beforeAll(async () => {
    fake = await startFakeModel();
    project = await tempProject();
    const env = { OPENAI_API_KEY: "sk-test-trust", OPENAI_BASE_URL: `${fake.url}/v1` };
    await writeFile(
      join(project.dir, "pluto.yaml"),
      [
        "mcp_servers:",
        "  memory:",
        `    command: ${JSON.stringify(process.execPath)}`,
        `    args: [${JSON.stringify(MEMORY_SERVER)}]`,
        `    env: { MEMORY_FILE_PATH: ${JSON.stringify(join(project.dir, "memory.jsonl"))} }`,
        "security:",
        "  tenants:",
        "    trusted:",
        "      allow_mcp_commands: true",
        "",
      ].join("\n"),
    );
    for (const [tenant, role] of [
      ["acme", "admin"],
      ["trusted", "admin"],
      ["default", "admin"],
    ] as const) {
      const created = await runPluto(["keys", "create", "--tenant", tenant, "--role", role], {
        cwd: project.dir,
        env,
      });
      expect(created.code, created.stderr).toBe(0);
      tokens[tenant] = created.stdout.trim();
    }
    server = await startServe({ cwd: project.dir, env });
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
    await project?.cleanup();
  });

  it("refuses a tenant admin's inline command with 400 naming the catalogue; nothing is spawned or written", async () => {
    for (const tenant of ["acme", "default"]) {
      const marker = join(project.dir, `spawned-by-${tenant}`);
      const response = await send(tokens[tenant]!, "POST", "/api/v1/admin/agents", {
        name: "sneaky",
        files: agentFiles("sneaky", markerCommand(marker)),
      });
      expect(response.status).toBe(400);
      const body = await jsonOf(response);
      expect(body.error.code).toBe("BAD_REQUEST");
      expect(body.error.message).toContain("mcp_servers");
      expect(body.error.details.diagnostics).toEqual([
        expect.objectContaining({ file: "agent.yaml", line: 11, path: "spec.tools.mcp[0].command" }),
      ]);
      expect((await send(tokens[tenant]!, "GET", "/api/v1/admin/agents/sneaky")).status).toBe(404);
      expect(await exists(marker)).toBe(false);
    }
  });

  it("refuses at run time an inline command that reached a tenant's folder without the admin API", async () => {
    const marker = join(project.dir, "spawned-at-run-time");
    const folder = join(project.dir, ".pluto/tenants/acme/agents/smuggled");
    await mkdir(folder, { recursive: true });
    for (const [file, text] of Object.entries(agentFiles("smuggled", markerCommand(marker)))) {
      await writeFile(join(folder, file), text);
    }
    fake.enqueue({ text: "no tools here" });
    const events = await run(tokens.acme!, "smuggled");
    expect(events.at(-1)).toMatchObject({ type: "run-end", status: "completed" });
    await new Promise((done) => setTimeout(done, 500));
    expect(await exists(marker)).toBe(false);
    expect(server.stderr()).toMatch(/MCP server "sneaky" was not started: .*starts a program/);
  });

  it("lets a tenant agent use the operator's catalogue server", async () => {
    const created = await send(tokens.acme!, "POST", "/api/v1/admin/agents", {
      name: "cataloguer",
      files: agentFiles("cataloguer", ["- name: mem", "  server: memory"]),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    fake.enqueue({ toolCalls: [{ name: "mem__read_graph", input: {} }] }, { text: "done" });
    const events = await run(tokens.acme!, "cataloguer");
    const result = events.find((event) => event.type === "tool-result");
    expect(result).toMatchObject({ toolName: "mem__read_graph", isError: false });
    expect(events.at(-1)).toMatchObject({ type: "run-end", status: "completed", output: "done" });

    const unknown = await send(tokens.acme!, "POST", "/api/v1/admin/agents", {
      name: "lost",
      files: agentFiles("lost", ["- name: mem", "  server: nosuch"]),
    });
    expect(unknown.status).toBe(400);
    expect((await jsonOf(unknown)).error.message).toContain("memory");
  });

  it("refuses private, loopback and link-local URLs at write time, before any connection", async () => {
    for (const url of [
      "http://127.0.0.1:9/mcp",
      "http://localhost:9/mcp",
      "http://169.254.169.254/latest/meta-data",
      "http://10.20.30.40/mcp",
      "http://[::ffff:127.0.0.1]:9/mcp",
      "http://[fd00::1]/mcp",
      "http://100.64.0.1/mcp",
    ]) {
      const response = await send(tokens.acme!, "POST", "/api/v1/admin/agents", {
        name: "fetcher",
        files: agentFiles("fetcher", ["- name: web", `  url: ${url}`]),
      });
      expect(response.status, url).toBe(400);
      const body = await jsonOf(response);
      expect(body.error.details.diagnostics[0]).toMatchObject({ path: "spec.tools.mcp[0].url", line: 11 });
    }
  });

  it("refuses at run time a private URL that reached a tenant's folder, without connecting", async () => {
    let connections = 0;
    const listener = createServer((_request, response) => response.end("{}"));
    listener.on("connection", () => {
      connections += 1;
    });
    await new Promise<void>((done) => listener.listen(0, "127.0.0.1", done));
    const { port } = listener.address() as AddressInfo;
    try {
      const folder = join(project.dir, ".pluto/tenants/acme/agents/prober");
      await mkdir(folder, { recursive: true });
      const files = agentFiles("prober", ["- name: probe", `  url: http://127.0.0.1:${port}/mcp`]);
      for (const [file, text] of Object.entries(files)) await writeFile(join(folder, file), text);
      fake.enqueue({ text: "no tools" });
      const events = await run(tokens.acme!, "prober");
      expect(events.at(-1)).toMatchObject({ type: "run-end", status: "completed" });
      expect(server.stderr()).toMatch(
        /MCP server "probe" was not started: .*127\.0\.0\.1 is a loopback address/,
      );
      expect(connections).toBe(0);
    } finally {
      listener.close();
    }
  });

  it("keeps the operator's own files free to start programs", async () => {
    const marker = join(project.dir, "operator-spawned");
    const folder = join(project.dir, ".pluto/agents/operator-tool");
    await mkdir(folder, { recursive: true });
    for (const [file, text] of Object.entries(agentFiles("operator-tool", markerCommand(marker)))) {
      await writeFile(join(folder, file), text);
    }
    fake.enqueue({ text: "ok" });
    await run(tokens.default!, "operator-tool");
    for (let waited = 0; waited < 10_000 && !(await exists(marker)); waited += 100) {
      await new Promise((done) => setTimeout(done, 100));
    }
    expect(await exists(marker)).toBe(true);
  });

  it("lets an allowed tenant start programs, but only with a cwd inside the agent folder", async () => {
    const escaping = await send(tokens.trusted!, "POST", "/api/v1/admin/agents", {
      name: "escaper",
      files: agentFiles("escaper", markerCommand(join(project.dir, "never"), ["cwd: ../../.."])),
    });
    expect(escaping.status).toBe(400);
    expect((await jsonOf(escaping)).error.details.diagnostics[0]).toMatchObject({
      path: "spec.tools.mcp[0].cwd",
    });

    const marker = join(project.dir, "trusted-spawned");
    const created = await send(tokens.trusted!, "POST", "/api/v1/admin/agents", {
      name: "allowed",
      files: agentFiles("allowed", markerCommand(marker, ["cwd: ."])),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    fake.enqueue({ text: "ok" });
    await run(tokens.trusted!, "allowed");
    for (let waited = 0; waited < 10_000 && !(await exists(marker)); waited += 100) {
      await new Promise((done) => setTimeout(done, 100));
    }
    expect(await exists(marker)).toBe(true);
  });

  it("refuses at run time a cwd that leaves the agent folder through a symbolic link", async () => {
    const marker = join(project.dir, "symlink-spawned");
    const folder = join(project.dir, ".pluto/tenants/trusted/agents/linked");
    await mkdir(folder, { recursive: true });
    await symlink(project.dir, join(folder, "outside"));
    for (const [file, text] of Object.entries(
      agentFiles("linked", markerCommand(marker, ["cwd: outside"])),
    )) {
      await writeFile(join(folder, file), text);
    }
    fake.enqueue({ text: "ok" });
    await run(tokens.trusted!, "linked");
    await new Promise((done) => setTimeout(done, 500));
    expect(await exists(marker)).toBe(false);
    expect(server.stderr()).toMatch(/MCP server "sneaky" was not started: .*cwd outside the agent folder/);
    expect(await readdir(project.dir)).not.toContain("symlink-spawned");
  });
});
