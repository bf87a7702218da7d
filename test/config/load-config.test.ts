// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about the literal ${VAR} syntax
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import type { Diagnostic } from "../../src/core/diagnostic.js";
import { isPlutoError, type PlutoError } from "../../src/core/errors.js";

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), "pluto-config-"));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function writeConfig(text: string, file = "pluto.yaml"): Promise<string> {
  const full = path.join(cwd, file);
  await mkdir(path.dirname(full), { recursive: true });
  await writeFile(full, text);
  return full;
}

async function configError(env: Record<string, string> = {}, file?: string): Promise<PlutoError> {
  const error = await loadConfig({ cwd, env, ...(file === undefined ? {} : { file }) }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!isPlutoError(error, "CONFIG_INVALID"))
    throw new Error(`expected CONFIG_INVALID, got ${String(error)}`);
  return error;
}

function diagnosticsOf(error: PlutoError): Diagnostic[] {
  return (error.details as { diagnostics: Diagnostic[] }).diagnostics;
}

describe("loadConfig defaults", () => {
  it("uses every default when there is no config file", async () => {
    const config = await loadConfig({ cwd, env: {} });
    expect(config).toEqual({
      dataDir: path.join(cwd, ".pluto"),
      agentsDir: path.join(cwd, ".pluto", "agents"),
      services: {
        session: { backend: "filesystem", fsync: "batch" },
        memory: { backend: "filesystem" },
        artifacts: { backend: "filesystem" },
        coordination: { backend: "local" },
        agents: { backend: "filesystem" },
        tasks: { backend: "filesystem" },
        keys: { backend: "filesystem", maxLoginLinksPerTenant: 100 },
        jobs: { backend: "filesystem" },
        timeoutMs: 30_000,
      },
      providers: {},
      server: {
        host: "127.0.0.1",
        port: 7400,
        auth: {},
        maxBodyBytes: 1_048_576,
        allowedHosts: [],
        timeouts: { headersMs: 10_000, requestMs: 120_000, keepAliveMs: 5_000, maxConnections: 20_000 },
        limits: { streams: 10_000, slowReaderTimeoutMs: 30_000 },
      },
      mcpServers: {},
      security: { network: { allow: [], deny: [] }, tenants: {} },
      jobs: { concurrency: 2, pollIntervalMs: 500, leaseMs: 30_000 },
      retry: { maxRetries: 3, maxDelayMs: 8000 },
      policy: { default: "allow" },
    });
    expect(config.file).toBeUndefined();
  });

  it("an empty or comment-only pluto.yaml also gives the defaults", async () => {
    const file = await writeConfig("# nothing yet\n");
    const config = await loadConfig({ cwd, env: {} });
    expect(config.file).toBe(file);
    expect(config.server.port).toBe(7400);
  });

  it("finds .pluto/pluto.yaml when ./pluto.yaml is absent, and prefers ./pluto.yaml", async () => {
    const hidden = await writeConfig("server: { port: 1 }\n", ".pluto/pluto.yaml");
    expect((await loadConfig({ cwd, env: {} })).file).toBe(hidden);
    // data_dir defaults to <cwd>/.pluto, which here is the config file's own folder
    expect((await loadConfig({ cwd, env: {} })).dataDir).toBe(path.join(cwd, ".pluto"));
    const top = await writeConfig("server: { port: 2 }\n");
    const config = await loadConfig({ cwd, env: {} });
    expect(config.file).toBe(top);
    expect(config.server.port).toBe(2);
  });

  it("resolves every key of a full file", async () => {
    await writeConfig(`
data_dir: state
agents_dir: ../shared-agents
services:
  session: { backend: postgres, url: "postgres://pluto@db:5432/pluto", schema: agents, pool_max: 4 }
  memory: { backend: postgres, url: "postgres://pluto@db:5432/pluto" }
  artifacts: { backend: s3, bucket: pluto-artifacts, endpoint: "http://127.0.0.1:9000", force_path_style: true }
  coordination: { backend: redis, url: "redis://cache:6379", lease_ttl_ms: 5000 }
  agents: { backend: postgres, url: "postgres://pluto@db:5432/pluto", schema: defs, pool_max: 3 }
  tasks: { backend: postgres, url: "postgres://pluto@db:5432/tasks" }
  keys: { max_login_links_per_tenant: 5 }
  jobs: { backend: postgres, url: "postgres://pluto@db:5432/jobs", schema: work, pool_max: 2 }
  timeout_seconds: 12
providers:
  openai: { api_key: sk-1, api: chat }
  anthropic: {}
  local:
    type: openai-compatible
    base_url: http://127.0.0.1:8080/v1
    headers: { X-Team: core }
  work:
    type: openrouter
    api_key: or-1
server:
  host: 0.0.0.0
  port: 8080
  auth: { token: secret-token }
  max_body_bytes: 2048
  public_url: https://pluto.example.test/
  default_agent: assistant
  allowed_hosts: [pluto.internal, "*.agents.example.test"]
  timeouts: { headers_ms: 5000, request_ms: 0, keep_alive_ms: 65000, max_connections: 500 }
  limits: { requests_per_minute: 600, concurrent_runs_per_tenant: 8, streams: 500, streams_per_tenant: 50, slow_reader_timeout_ms: 5000 }
retry: { max_retries: 0, max_delay_ms: 100 }
policy: { default: ask }
jobs: { concurrency: 0, poll_interval_ms: 250, lease_ms: 5000 }
`);
    const config = await loadConfig({ cwd, env: {} });
    expect(config).toEqual({
      file: path.join(cwd, "pluto.yaml"),
      dataDir: path.join(cwd, "state"),
      agentsDir: path.resolve(cwd, "../shared-agents"),
      services: {
        session: { backend: "postgres", url: "postgres://pluto@db:5432/pluto", schema: "agents", poolMax: 4 },
        memory: { backend: "postgres", url: "postgres://pluto@db:5432/pluto", schema: "pluto", poolMax: 10 },
        artifacts: {
          backend: "s3",
          bucket: "pluto-artifacts",
          endpoint: "http://127.0.0.1:9000",
          region: "us-east-1",
          prefix: "",
          forcePathStyle: true,
        },
        coordination: { backend: "redis", url: "redis://cache:6379", prefix: "pluto", leaseTtlMs: 5000 },
        agents: { backend: "postgres", url: "postgres://pluto@db:5432/pluto", schema: "defs", poolMax: 3 },
        tasks: { backend: "postgres", url: "postgres://pluto@db:5432/tasks", schema: "pluto", poolMax: 10 },
        keys: {
          backend: "postgres",
          url: "postgres://pluto@db:5432/pluto",
          schema: "agents",
          poolMax: 4,
          maxLoginLinksPerTenant: 5,
        },
        jobs: { backend: "postgres", url: "postgres://pluto@db:5432/jobs", schema: "work", poolMax: 2 },
        timeoutMs: 12_000,
      },
      providers: {
        openai: { type: "openai", apiKey: "sk-1", api: "chat", headers: {} },
        anthropic: { type: "anthropic", headers: {} },
        local: {
          type: "openai-compatible",
          baseUrl: "http://127.0.0.1:8080/v1",
          headers: { "X-Team": "core" },
        },
        work: { type: "openrouter", apiKey: "or-1", headers: {} },
      },
      server: {
        host: "0.0.0.0",
        port: 8080,
        auth: { token: "secret-token" },
        maxBodyBytes: 2048,
        publicUrl: "https://pluto.example.test",
        defaultAgent: "assistant",
        allowedHosts: ["pluto.internal", "*.agents.example.test"],
        timeouts: { headersMs: 5000, requestMs: 0, keepAliveMs: 65_000, maxConnections: 500 },
        limits: {
          requestsPerMinute: 600,
          concurrentRunsPerTenant: 8,
          streams: 500,
          streamsPerTenant: 50,
          slowReaderTimeoutMs: 5000,
        },
      },
      mcpServers: {},
      security: { network: { allow: [], deny: [] }, tenants: {} },
      jobs: { concurrency: 0, pollIntervalMs: 250, leaseMs: 5000 },
      retry: { maxRetries: 0, maxDelayMs: 100 },
      policy: { default: "ask" },
    });
  });

  it("relative data_dir resolves against the config file's folder, not cwd", async () => {
    const file = await writeConfig("data_dir: ./data\n", "etc/pluto/pluto.yaml");
    const config = await loadConfig({ cwd, env: {}, file: "etc/pluto/pluto.yaml" });
    expect(config.file).toBe(file);
    expect(config.dataDir).toBe(path.join(cwd, "etc/pluto/data"));
    expect(config.agentsDir).toBe(path.join(cwd, "etc/pluto/data/agents"));
  });

  it("absolute data_dir and ~ are kept or expanded", async () => {
    await writeConfig("data_dir: /var/lib/pluto\nagents_dir: ~/agents\n");
    const config = await loadConfig({ cwd, env: { HOME: "/home/u" } });
    expect(config.dataDir).toBe("/var/lib/pluto");
    expect(config.agentsDir).toBe("/home/u/agents");
  });
});

describe("loadConfig interpolation", () => {
  it("expands ${VAR}, ${VAR:-default} and the $${ escape, re-typing plain values", async () => {
    await writeConfig(`
data_dir: \${STATE:-/srv/pluto}
providers:
  openai: { api_key: "\${OPENAI_API_KEY}" }
  local: { type: openai-compatible, base_url: "http://\${HOST:-localhost}:\${LPORT}/v1" }
server:
  port: \${PORT:-7400}
  host: "\${BIND:-127.0.0.1}"
  auth: { token: "$\${not-a-var}" }
`);
    const config = await loadConfig({ cwd, env: { OPENAI_API_KEY: "sk-env", LPORT: "9000", PORT: "8123" } });
    expect(config.dataDir).toBe("/srv/pluto");
    expect(config.providers.openai?.apiKey).toBe("sk-env");
    expect(config.providers.local?.baseUrl).toBe("http://localhost:9000/v1");
    expect(config.server.port).toBe(8123);
    expect(config.server.host).toBe("127.0.0.1");
    expect(config.server.auth.token).toBe("${not-a-var}");
  });

  it("a plain value that expands to nothing leaves the key unset", async () => {
    await writeConfig("server:\n  auth:\n    token: ${PLUTO_TOKEN:-}\n");
    expect((await loadConfig({ cwd, env: {} })).server.auth).toEqual({});
    expect((await loadConfig({ cwd, env: { PLUTO_TOKEN: "t0k3n" } })).server.auth).toEqual({
      token: "t0k3n",
    });
  });

  it("a missing variable names the variable, the key path and file:line", async () => {
    const file = await writeConfig("providers:\n  openai:\n    api_key: ${OPENAI_API_KEY}\n");
    const error = await configError();
    expect(error.message).toContain(
      `${file}:3:14: Environment variable OPENAI_API_KEY is not set (used by providers.openai.api_key).`,
    );
    expect(diagnosticsOf(error)[0]).toMatchObject({
      file,
      line: 3,
      column: 14,
      path: "providers.openai.api_key",
    });
    expect(diagnosticsOf(error)[0]?.fix).toContain("${OPENAI_API_KEY:-value}");
  });

  it("a number that is not a number after expansion is a schema error at the same line", async () => {
    await writeConfig("server:\n  port: ${PORT}\n");
    const error = await configError({ PORT: "http" });
    expect(diagnosticsOf(error)[0]).toMatchObject({ line: 2, path: "server.port" });
  });

  it("malformed references are errors", async () => {
    await writeConfig('data_dir: "${1BAD}"\nagents_dir: "${UNCLOSED"\n');
    const error = await configError();
    expect(diagnosticsOf(error).map((diagnostic) => diagnostic.line)).toEqual([1, 2]);
  });
});

describe("loadConfig errors", () => {
  it("unknown key names the key, file and line, and suggests the closest", async () => {
    const file = await writeConfig("server:\n  port: 7401\n  max_body_byte: 10\n");
    const error = await configError();
    const [diagnostic] = diagnosticsOf(error);
    expect(diagnostic).toMatchObject({
      file,
      line: 3,
      column: 3,
      message: 'Unknown key "max_body_byte" in server.',
    });
    expect(diagnostic?.fix).toContain('Did you mean "max_body_bytes"?');
    expect(error.message).toContain(`${file}:3:3: Unknown key "max_body_byte" in server.`);
  });

  it("camelCase keys point to their snake_case spelling", async () => {
    await writeConfig("dataDir: x\n");
    expect(diagnosticsOf(await configError())[0]?.fix).toContain('Did you mean "data_dir"?');
  });

  it("unknown backend says which backends this version has", async () => {
    const file = await writeConfig(
      "services:\n  memory:\n    backend: redis\n    url: ${REDIS_URL:-redis://x}\n",
    );
    const diagnostics = diagnosticsOf(await configError());
    const backend = diagnostics.find((diagnostic) => diagnostic.path === "services.memory.backend");
    expect(backend).toMatchObject({ file, line: 3, column: 14 });
    expect(backend?.message).toContain("available in this version of Pluto are filesystem, memory, postgres");
    expect(backend?.fix).toContain('Use one of "filesystem", "memory", "postgres"');
  });

  it("a backend without its required key, or with another backend's key, is refused", async () => {
    const file = await writeConfig(
      "services:\n  memory:\n    backend: postgres\n  artifacts:\n    backend: filesystem\n    bucket: my-bucket\n",
    );
    const diagnostics = diagnosticsOf(await configError());
    expect(diagnostics.find((diagnostic) => diagnostic.path === "services.memory")).toMatchObject({
      file,
      message: expect.stringContaining('needs "url"'),
    });
    expect(diagnostics.find((diagnostic) => diagnostic.path === "services.artifacts.bucket")).toMatchObject({
      file,
      line: 6,
      message: expect.stringContaining("does not apply to the filesystem backend"),
    });
  });

  it("the seed's Switching Modes example works verbatim", async () => {
    await writeConfig("services:\n  memory: { backend: postgres, url: ${DATABASE_URL} }\n");
    const config = await loadConfig({ cwd, env: { DATABASE_URL: "postgres://root@127.0.0.1:5432/test" } });
    expect(config.services.memory).toEqual({
      backend: "postgres",
      url: "postgres://root@127.0.0.1:5432/test",
      schema: "pluto",
      poolMax: 10,
    });
  });

  it("services.agents: filesystem by default, postgres with its url, nothing else", async () => {
    await writeConfig("services:\n  agents: { backend: postgres, url: ${DATABASE_URL} }\n");
    const config = await loadConfig({ cwd, env: { DATABASE_URL: "postgres://root@127.0.0.1:5432/test" } });
    expect(config.services.agents).toEqual({
      backend: "postgres",
      url: "postgres://root@127.0.0.1:5432/test",
      schema: "pluto",
      poolMax: 10,
    });
    const file = await writeConfig(
      "services:\n  agents:\n    backend: postgres\n  session:\n    backend: filesystem\n",
    );
    const missing = diagnosticsOf(await configError());
    expect(missing.find((diagnostic) => diagnostic.path === "services.agents")).toMatchObject({
      file,
      message: expect.stringContaining('the postgres backend needs "url"'),
    });
    await writeConfig("services:\n  agents:\n    backend: filesystem\n    schema: defs\n");
    const extra = diagnosticsOf(await configError());
    expect(extra.find((diagnostic) => diagnostic.path === "services.agents.schema")).toMatchObject({
      line: 4,
      message: expect.stringContaining("does not apply to the filesystem backend"),
    });
    await writeConfig("services:\n  agents: { backend: redis, url: redis://x }\n");
    const unknown = diagnosticsOf(await configError());
    expect(unknown.find((diagnostic) => diagnostic.path === "services.agents.backend")?.message).toContain(
      "available in this version of Pluto are filesystem, postgres",
    );
  });

  it("services.jobs: filesystem, memory or postgres with its url, refusing other keys", async () => {
    await writeConfig("services:\n  jobs: { backend: postgres, url: ${DATABASE_URL}, schema: work }\n");
    const config = await loadConfig({ cwd, env: { DATABASE_URL: "postgres://root@127.0.0.1:5432/test" } });
    expect(config.services.jobs).toEqual({
      backend: "postgres",
      url: "postgres://root@127.0.0.1:5432/test",
      schema: "work",
      poolMax: 10,
    });
    const file = await writeConfig("services:\n  jobs:\n    backend: postgres\n");
    expect(
      diagnosticsOf(await configError()).find((diagnostic) => diagnostic.path === "services.jobs"),
    ).toMatchObject({
      file,
      message: expect.stringContaining('the postgres backend needs "url"'),
    });
    await writeConfig("services:\n  jobs:\n    backend: memory\n    url: postgres://x\n");
    expect(
      diagnosticsOf(await configError()).find((diagnostic) => diagnostic.path === "services.jobs.url"),
    ).toMatchObject({
      line: 4,
      message: expect.stringContaining("does not apply to the memory backend"),
    });
    await writeConfig("services:\n  jobs: { backend: redis }\n");
    const unknown = diagnosticsOf(await configError());
    expect(unknown.find((diagnostic) => diagnostic.path === "services.jobs.backend")?.message).toContain(
      "available in this version of Pluto are filesystem, memory, postgres",
    );
  });

  it("with coordination: redis, tasks, keys and jobs left in per-worker files are refused with file, line and fix", async () => {
    const file = await writeConfig(
      [
        "services:",
        "  session: { backend: redis, url: redis://cache:6379 }",
        "  coordination:",
        "    backend: redis",
        "    url: redis://cache:6379",
        "",
      ].join("\n"),
    );
    const diagnostics = diagnosticsOf(await configError());
    const shared = diagnostics.filter((diagnostic) => diagnostic.path === "services.coordination.backend");
    expect(shared).toHaveLength(3);
    expect(shared[0]).toMatchObject({
      file,
      line: 4,
      message: expect.stringContaining("protocol tasks in filesystem"),
    });
    expect(shared[1]?.message).toContain(
      "API keys and login links in filesystem would be separate in every worker",
    );
    expect(shared[1]?.fix).toContain("keys: { backend: postgres");
    expect(shared[2]?.message).toContain("durable jobs in filesystem would be separate in every worker");
    expect(shared[2]?.fix).toContain("jobs: { backend: postgres");

    // An explicit per-worker choice is refused at its own line; postgres is accepted.
    await writeConfig(
      [
        "services:",
        "  session: { backend: redis, url: redis://cache:6379 }",
        "  coordination: { backend: redis, url: redis://cache:6379 }",
        "  tasks: { backend: postgres, url: postgres://db/pluto }",
        "  jobs: { backend: postgres, url: postgres://db/pluto }",
        "  keys:",
        "    backend: memory",
        "",
      ].join("\n"),
    );
    const explicit = diagnosticsOf(await configError());
    expect(explicit).toHaveLength(1);
    expect(explicit[0]).toMatchObject({ path: "services.keys.backend", line: 7 });
    await writeConfig(
      [
        "services:",
        "  session: { backend: redis, url: redis://cache:6379 }",
        "  coordination: { backend: redis, url: redis://cache:6379 }",
        "  tasks: { backend: postgres, url: postgres://db/pluto }",
        "  keys: { backend: postgres, url: postgres://db/pluto, schema: auth }",
        "  jobs: { backend: postgres, url: postgres://db/pluto }",
        "",
      ].join("\n"),
    );
    const config = await loadConfig({ cwd, env: {} });
    expect(config.services.keys).toEqual({
      backend: "postgres",
      url: "postgres://db/pluto",
      schema: "auth",
      poolMax: 10,
      maxLoginLinksPerTenant: 100,
    });
  });

  it("with coordination: redis, jobs follow a postgres session and are refused in files or memory at their own line", async () => {
    const sharedSession = [
      "services:",
      "  session: { backend: postgres, url: postgres://db/pluto, schema: shared }",
      "  coordination: { backend: redis, url: redis://cache:6379 }",
    ];
    await writeConfig([...sharedSession, ""].join("\n"));
    const followed = await loadConfig({ cwd, env: {} });
    expect(followed.services.jobs).toEqual({
      backend: "postgres",
      url: "postgres://db/pluto",
      schema: "shared",
      poolMax: 10,
    });
    for (const backend of ["filesystem", "memory"]) {
      const file = await writeConfig([...sharedSession, "  jobs:", `    backend: ${backend}`, ""].join("\n"));
      const diagnostics = diagnosticsOf(await configError());
      expect(diagnostics).toHaveLength(1);
      expect(diagnostics[0]).toMatchObject({
        file,
        path: "services.jobs.backend",
        line: 5,
        message: expect.stringContaining(`durable jobs in ${backend} would be separate in every worker`),
        fix: expect.stringContaining("jobs: { backend: postgres"),
      });
    }
    // Without redis coordination one process owns the data directory, so files stay allowed.
    await writeConfig(
      "services:\n  session: { backend: postgres, url: postgres://db/pluto }\n  jobs: { backend: filesystem }\n",
    );
    expect((await loadConfig({ cwd, env: {} })).services.jobs).toEqual({ backend: "filesystem" });
  });

  it("tasks, keys and jobs follow a postgres or memory session by default; a url needs an explicit backend", async () => {
    await writeConfig("services:\n  session: { backend: memory }\n");
    const memory = await loadConfig({ cwd, env: {} });
    expect(memory.services.tasks).toEqual({ backend: "memory" });
    expect(memory.services.keys).toEqual({ backend: "memory", maxLoginLinksPerTenant: 100 });
    expect(memory.services.jobs).toEqual({ backend: "memory" });
    await writeConfig("services:\n  keys:\n    url: postgres://db/pluto\n  timeout_seconds: 0\n");
    const diagnostics = diagnosticsOf(await configError());
    expect(diagnostics.find((diagnostic) => diagnostic.path === "services.keys.url")).toMatchObject({
      line: 3,
      message: expect.stringContaining("needs an explicit backend"),
    });
    expect(diagnostics.find((diagnostic) => diagnostic.path === "services.timeout_seconds")).toMatchObject({
      line: 4,
    });
  });

  it("server.allowed_hosts takes host names, not URLs or ports; timeouts are bounded", async () => {
    await writeConfig(
      "server:\n  allowed_hosts:\n    - pluto.example.com\n    - https://pluto.example.com\n  timeouts: { headers_ms: 5 }\n",
    );
    const diagnostics = diagnosticsOf(await configError());
    expect(diagnostics.find((diagnostic) => diagnostic.path === "server.allowed_hosts[1]")).toMatchObject({
      line: 4,
    });
    expect(
      diagnostics.find((diagnostic) => diagnostic.path === "server.allowed_hosts[1]")?.message,
    ).toContain("without scheme or port");
    expect(diagnostics.find((diagnostic) => diagnostic.path === "server.timeouts.headers_ms")).toMatchObject({
      line: 5,
    });
  });

  it("bad fsync value", async () => {
    await writeConfig("services:\n  session: { fsync: sometimes }\n");
    const [diagnostic] = diagnosticsOf(await configError());
    expect(diagnostic).toMatchObject({ line: 2, path: "services.session.fsync" });
    expect(diagnostic?.fix).toContain('"always", "batch", "never"');
  });

  it("providers: custom names need a type, openai-compatible needs base_url, api only for openai types", async () => {
    await writeConfig(`providers:
  mine: { api_key: k }
  compat: { type: openai-compatible }
  anthropic: { api: chat }
  "bad/name": { type: openai }
`);
    const diagnostics = diagnosticsOf(await configError());
    const byPath = (keyPath: string) => diagnostics.find((diagnostic) => diagnostic.path === keyPath);
    expect(byPath("providers.mine")).toMatchObject({ line: 2 });
    expect(byPath("providers.mine")?.fix).toContain("type: openai-compatible");
    expect(byPath("providers.compat")?.fix).toContain("base_url");
    expect(byPath("providers.anthropic.api")).toMatchObject({ line: 4 });
    expect(diagnostics.some((diagnostic) => diagnostic.message.includes("bad/name"))).toBe(true);
  });

  it("collects every problem before failing", async () => {
    await writeConfig(`server:
  port: 70000
  hots: x
retry: { max_retries: -1 }
services: { artifacts: { backend: s3 } }
providers:
  openai: { api_key: "\${MISSING}" }
policy: { default: sometimes }
`);
    const error = await configError();
    expect(diagnosticsOf(error).map((diagnostic) => diagnostic.line)).toEqual([2, 3, 4, 5, 7, 8]);
    expect(error.message).toMatch(/has 6 problems/);
    expect(diagnosticsOf(error).at(-1)?.fix).toMatch(/allow.*deny.*ask/);
  });

  it("jobs settings out of range name the key, the line and the range", async () => {
    await writeConfig("jobs:\n  concurrency: 1000\n  poll_interval_ms: 1\n  lease_ms: 10\n  workers: 3\n");
    const diagnostics = diagnosticsOf(await configError());
    expect(diagnostics.map((diagnostic) => diagnostic.line).sort()).toEqual([2, 3, 4, 5]);
    expect(diagnostics.find((diagnostic) => diagnostic.line === 2)?.message).toContain("256");
  });

  it("YAML syntax errors carry their line", async () => {
    await writeConfig("server:\n  port: 1\n  port: 2\n");
    expect(diagnosticsOf(await configError())[0]).toMatchObject({ line: 3 });
  });

  it("a top level that is not a mapping", async () => {
    await writeConfig("- a\n- b\n");
    expect(diagnosticsOf(await configError())[0]?.message).toContain("must be a mapping");
  });

  it("an explicit file that does not exist", async () => {
    const error = await configError({}, "nope.yaml");
    expect(error.message).toContain(`${path.join(cwd, "nope.yaml")} cannot be opened: not found`);
  });

  it("an oversized file is refused", async () => {
    await writeConfig(`# ${"x".repeat(1024 * 1024 + 10)}\n`);
    expect((await configError()).message).toContain("larger than 1024 KiB");
  });
});

describe("docs/configuration.md", () => {
  it("mcp_servers and security: resolved, and every mistake named with its line", async () => {
    await writeConfig(
      "mcp_servers:\n  files:\n    command: npx\n    args: [x]\n    cwd: tools\n    tenants: [acme]\n  web:\n    url: https://mcp.example.com/mcp\n    timeout_seconds: 5\nsecurity:\n  network:\n    allow: [10.20.0.0/16, mcp.corp.example]\n  tenants:\n    acme:\n      allow_mcp_commands: true\n",
    );
    const config = await loadConfig({ cwd, env: {} });
    expect(config.mcpServers).toEqual({
      files: {
        name: "files",
        transport: "stdio",
        command: "npx",
        args: ["x"],
        env: {},
        cwd: path.join(cwd, "tools"),
        timeoutMs: 60_000,
        tenants: ["acme"],
      },
      web: {
        name: "web",
        transport: "http",
        url: "https://mcp.example.com/mcp",
        headers: {},
        timeoutMs: 5000,
      },
    });
    expect(config.security).toEqual({
      network: { allow: ["10.20.0.0/16", "mcp.corp.example"], deny: [] },
      tenants: { acme: { allowMcpCommands: true } },
    });

    const file = await writeConfig(
      "mcp_servers:\n  both:\n    command: x\n    url: https://a.example/\n  web:\n    url: https://a.example/\n    cwd: /tmp\nsecurity:\n  network:\n    deny: [10.0.0.0/33]\n  tenants:\n    acme:\n      allow_commands: true\n",
    );
    const diagnostics = diagnosticsOf(await configError());
    expect(diagnostics.find((diagnostic) => diagnostic.path === "mcp_servers.both")).toMatchObject({
      file,
      line: 3,
      message: expect.stringContaining('has both "command" and "url"'),
    });
    expect(diagnostics.find((diagnostic) => diagnostic.path === "mcp_servers.web.cwd")).toMatchObject({
      line: 7,
    });
    expect(diagnostics.find((diagnostic) => diagnostic.path === "security.network.deny[0]")).toMatchObject({
      line: 10,
      message: expect.stringContaining("CIDR"),
    });
    expect(
      diagnostics.find((diagnostic) => diagnostic.path?.startsWith("security.tenants.acme")),
    ).toMatchObject({
      line: 13,
    });
  });

  it("its complete example loads", async () => {
    const docs = await readFile(path.resolve(import.meta.dirname, "../../docs/configuration.md"), "utf8");
    const example = /## A complete example\n\n```yaml\n([\s\S]*?)```/.exec(docs)?.[1];
    expect(example).toBeDefined();
    await writeConfig(example ?? "");
    const config = await loadConfig({ cwd, env: { ANTHROPIC_API_KEY: "k" } });
    expect(config.dataDir).toBe(path.join(cwd, "state"));
    expect(config.providers.anthropic).toEqual({ type: "anthropic", apiKey: "k", headers: {} });
    expect(config.server.auth).toEqual({});
  });
});
