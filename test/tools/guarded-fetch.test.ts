import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGuardedFetch, findNetworkRefusal } from "../../src/tools/mcp/guarded-fetch.js";
import { McpPool } from "../../src/tools/mcp/mcp-pool.js";
import { createNetworkPolicy, type NetworkPolicy } from "../../src/tools/mcp/network-policy.js";
import { agentFixture } from "./agent-fixture.js";
import { freePort, referenceServer } from "./tool-test-support.js";

/** A real HTTP server on `host` that counts the TCP connections it accepts. */
async function countingServer(
  host: string,
  handler: (path: string) => { status: number; headers?: Record<string, string>; body?: string },
): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const server: Server = createServer((request, response) => {
    const answer = handler(request.url ?? "/");
    response.writeHead(answer.status, answer.headers).end(answer.body ?? "");
  });
  server.on("connection", () => {
    connections += 1;
  });
  await new Promise<void>((done) => server.listen(0, host, done));
  const { port } = server.address() as { port: number };
  return {
    url: `http://${host}:${port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

async function refusalOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  const refusal = findNetworkRefusal(error);
  expect(refusal, `expected a network refusal, got ${String(error)}`).toBeDefined();
  return refusal?.message ?? "";
}

describe("createGuardedFetch", () => {
  it("checks the addresses a name resolves to when connecting, not the name", async () => {
    const target = await countingServer("127.0.0.1", () => ({ status: 200, body: "secret" }));
    try {
      const real = createNetworkPolicy({ allow: [], deny: [] });
      // A name the name check cannot judge (as a rebinding DNS name would be): only the lookup stops it.
      const namesPass: NetworkPolicy = { hostRefusal: () => undefined, addressRefusal: real.addressRefusal };
      const guarded = createGuardedFetch(namesPass);
      const port = new URL(target.url).port;
      const message = await refusalOf(guarded(`http://localhost:${port}/`));
      expect(message).toMatch(/localhost \((127\.0\.0\.1|::1)\) is a loopback address/);
      expect(target.connections()).toBe(0);
    } finally {
      await target.close();
    }
  });

  it("re-checks every redirect hop: an allowed origin cannot redirect to a loopback address", async () => {
    const hidden = await countingServer("127.0.0.2", () => ({ status: 200, body: "internal" }));
    const front = await countingServer("127.0.0.1", (path) =>
      path === "/same"
        ? { status: 302, headers: { location: "/ok" } }
        : path === "/ok"
          ? { status: 200, body: "fine" }
          : { status: 307, headers: { location: `${hidden.url}/admin` } },
    );
    try {
      const guarded = createGuardedFetch(createNetworkPolicy({ allow: ["127.0.0.1/32"], deny: [] }));
      const followed = await guarded(`${front.url}/same`);
      expect(await followed.text()).toBe("fine");
      expect(followed.url).toBe(`${front.url}/ok`);

      const message = await refusalOf(guarded(`${front.url}/away`, { method: "POST", body: "{}" }));
      expect(message).toContain("127.0.0.2 is a loopback address");
      expect(hidden.connections()).toBe(0);
      const manual = await guarded(`${front.url}/away`, { redirect: "manual" });
      expect(manual.status).toBe(307);
      expect(hidden.connections()).toBe(0);
    } finally {
      await front.close();
      await hidden.close();
    }
  });

  it("refuses IP literals and names on the deny list without connecting", async () => {
    const guarded = createGuardedFetch(createNetworkPolicy({ allow: [], deny: ["*.blocked.example"] }));
    expect(await refusalOf(guarded("http://169.254.169.254/latest/meta-data"))).toContain("link-local");
    expect(await refusalOf(guarded("http://[::ffff:10.0.0.1]/"))).toContain("private");
    expect(await refusalOf(guarded("https://api.blocked.example/"))).toContain("security.network.deny");
  });
});

describe("tenant-trust URL servers in the MCP pool", () => {
  let everything: ChildProcess;
  let url: string;
  beforeAll(async () => {
    const port = await freePort();
    everything = spawn(process.execPath, [referenceServer("server-everything"), "streamableHttp"], {
      env: { ...process.env, PORT: String(port) },
      stdio: "ignore",
    });
    url = `http://127.0.0.1:${port}/mcp`;
    for (let waited = 0; waited < 15_000; waited += 100) {
      if (
        await fetch(url).then(
          () => true,
          () => false,
        )
      )
        break;
      await new Promise((done) => setTimeout(done, 100));
    }
  });
  afterAll(() => {
    everything?.kill();
  });

  const agent = () =>
    agentFixture({
      directory: "/nonexistent/agent",
      tools: {
        builtins: [],
        mcpServers: [{ name: "web", transport: "http", url, headers: {}, timeoutMs: 10_000 }],
      },
    });
  const policy = (allow: string[]) => ({
    catalog: {},
    commandTenants: new Set<string>(),
    network: createNetworkPolicy({ allow, deny: [] }),
  });

  it("connects through the guarded fetch when the operator allows the address", async () => {
    const pool = new McpPool({ policy: policy(["127.0.0.1"]) });
    try {
      const connected = await pool.connect(agent(), { tenant: "acme", trust: "tenant" });
      expect(connected.failures).toEqual([]);
      expect(connected.servers).toEqual([
        { name: "web", transport: "streamable-http", tools: expect.any(Number) },
      ]);
      expect(connected.tools.length).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  });

  it("refuses the loopback server for a tenant and allows it for the operator", async () => {
    const pool = new McpPool({ policy: policy([]) });
    try {
      const tenant = await pool.connect(agent(), { tenant: "acme", trust: "tenant" });
      expect(tenant.servers).toEqual([]);
      expect(tenant.failures[0]?.message).toContain("127.0.0.1 is a loopback address");
      const operator = await pool.connect(agent(), { tenant: "default", trust: "operator" });
      expect(operator.failures).toEqual([]);
      expect(operator.tools.length).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  });
});
