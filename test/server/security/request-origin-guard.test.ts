import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/server/app.js";
import { InMemoryTaskStore } from "../../../src/services/task/in-memory-task-store.js";
import { createRunHarness } from "../../runs/run-harness.js";
import { scriptedStream } from "../../support/scripted-step.js";

/**
 * The request-origin guard (src/server/security/request-origin-guard.ts) holds on every route group of
 * the app, in simple mode (no token, no keys: the mode DNS rebinding attacks), before anything runs.
 */

const JSON_TYPE = { "content-type": "application/json" };

/** One request per route group; `state` marks those that change state (the cross-origin check applies). */
const ROUTES: {
  group: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}[] = [
  { group: "native", method: "POST", path: "/api/v1/agents/test-agent/runs", body: '{"input":"hi"}' },
  { group: "native (read)", method: "GET", path: "/api/v1/agents" },
  {
    group: "admin",
    method: "POST",
    path: "/api/v1/admin/agents",
    body: '{"name":"evil","files":{"agent.yaml":"x"}}',
  },
  {
    group: "/v1 OpenAI",
    method: "POST",
    path: "/v1/chat/completions",
    body: '{"model":"test-agent","messages":[{"role":"user","content":"hi"}]}',
  },
  {
    group: "/mcp",
    method: "POST",
    path: "/mcp/test-agent",
    headers: { accept: "application/json, text/event-stream" },
    body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"send_message","arguments":{"message":"hi"}}}',
  },
  { group: "/ap/v1", method: "POST", path: "/ap/v1/agent/tasks", body: '{"input":"hi"}' },
  {
    group: "A2A JSON-RPC",
    method: "POST",
    path: "/a2a/test-agent/jsonrpc",
    body: '{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":"hi"}]}}}',
  },
  {
    group: "A2A REST",
    method: "POST",
    path: "/a2a/test-agent/rest/message:send",
    body: '{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":"hi"}]}}',
  },
  { group: "login", method: "GET", path: "/login?token=pluto_000000000000_x" },
  { group: "WebSocket upgrade", method: "GET", path: "/api/v1/ws", headers: { upgrade: "websocket" } },
];

function changesState(route: (typeof ROUTES)[number]): boolean {
  return route.method !== "GET" || route.headers?.upgrade === "websocket";
}

function open(options: { allowedHosts?: string[]; publicUrl?: string } = {}) {
  const harness = createRunHarness({ streamStep: scriptedStream([{ text: "ok" }]).streamStep });
  const app = createApp({
    agents: harness.catalog,
    runs: harness.runs,
    sessions: harness.sessions,
    artifacts: harness.artifacts,
    tasks: new InMemoryTaskStore(),
    maxBodyBytes: 65_536,
    ready: () => true,
    ...options,
  });
  const send = (route: (typeof ROUTES)[number], url: string, headers: Record<string, string> = {}) =>
    app.request(`${url}${route.path}`, {
      method: route.method,
      headers: { ...JSON_TYPE, ...route.headers, ...headers },
      ...(route.body === undefined ? {} : { body: route.body }),
    });
  return { app, harness, send };
}

async function errorCode(response: Response): Promise<string | undefined> {
  const text = await response.text();
  try {
    return (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

describe("request-origin guard on every route group", () => {
  it.each(ROUTES)("$group: a rebound Host is refused before anything runs", async (route) => {
    const { harness, send } = open();
    const response = await send(route, "http://attacker.example", { origin: "http://attacker.example" });
    expect(response.status).toBe(403);
    expect(await errorCode(response)).toBe("HOST_NOT_ALLOWED");
    // The same request under the Host header (the URL's host stays loopback) is refused too.
    const byHeader = await send(route, "http://127.0.0.1:7400", { host: "attacker.example:7400" });
    expect(byHeader.status).toBe(403);
    expect(await errorCode(byHeader)).toBe("HOST_NOT_ALLOWED");
    expect(harness.streamStepFor).toEqual([]);
  });

  it.each(ROUTES.filter(changesState))(
    "$group: a page of another site is refused (Origin, Sec-Fetch-Site), a client without them is not",
    async (route) => {
      const { harness, send } = open();
      const refused: Record<string, string>[] = [
        { origin: "https://evil.example" },
        { origin: "http://localhost:9999" },
        { origin: "null" },
        { "sec-fetch-site": "cross-site" },
        { "sec-fetch-site": "same-site", origin: "http://localhost" },
      ];
      for (const headers of refused) {
        const response = await send(route, "http://localhost", headers);
        expect(response.status, JSON.stringify(headers)).toBe(403);
        expect(await errorCode(response)).toBe("ORIGIN_NOT_ALLOWED");
      }
      expect(harness.streamStepFor).toEqual([]);
      const accepted: Record<string, string>[] = [
        {},
        { origin: "http://localhost" },
        { "sec-fetch-site": "same-origin" },
      ];
      for (const headers of accepted) {
        const response = await send(route, "http://localhost", headers);
        expect(["HOST_NOT_ALLOWED", "ORIGIN_NOT_ALLOWED"]).not.toContain(await errorCode(response));
        expect(response.status).not.toBe(403);
      }
    },
  );

  it("accepts loopback names, IP literals, public_url's host and server.allowed_hosts; '*' turns the check off", async () => {
    const { app } = open({
      allowedHosts: ["pluto.internal", "*.agents.example"],
      publicUrl: "https://pluto.example.com",
    });
    const status = async (host: string) =>
      (await app.request("http://localhost/api/v1/agents", { headers: { host } })).status;
    for (const host of [
      "localhost:7400",
      "LOCALHOST",
      "app.localhost",
      "127.0.0.1:7400",
      "127.1.2.3",
      "[::1]:7400",
      "10.0.0.7:7400",
      "[fd00::7]",
      "pluto.example.com",
      "pluto.internal:8080",
      "eu.agents.example",
    ]) {
      expect(await status(host), host).toBe(200);
    }
    for (const host of [
      "agents.example",
      "pluto.example.com.evil.example",
      "localhost.evil.example",
      "evil.example",
    ]) {
      expect(await status(host), host).toBe(403);
    }
    const any = open({ allowedHosts: ["*"] });
    expect(
      (await any.app.request("http://localhost/api/v1/agents", { headers: { host: "anything.example" } }))
        .status,
    ).toBe(200);
  });

  it("health probes answer any Host (Kubernetes probes by pod name); nothing else does", async () => {
    const { app } = open();
    for (const path of ["/healthz", "/readyz"]) {
      expect((await app.request(`http://pod-7f9c.cluster.local${path}`)).status).toBe(200);
    }
    expect((await app.request("http://pod-7f9c.cluster.local/openapi.json")).status).toBe(403);
  });

  it("an Origin matching public_url passes behind a proxy that rewrites Host", async () => {
    const { send } = open({ publicUrl: "https://pluto.example.com" });
    const route = ROUTES[0]!;
    const response = await send(route, "http://127.0.0.1:7400", { origin: "https://pluto.example.com" });
    expect(response.status).toBe(200);
  });
});
