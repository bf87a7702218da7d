import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
 * Malformed, oversized and hostile bodies on every POST and PUT route of the built `pluto serve`
 * (issue "Standard APIs and tenants", Tests): each is refused with the error envelope its route documents
 * — Pluto's `{"error": {"code", "message"}}`, OpenAI's shape on `/v1`, JSON-RPC error objects on the
 * A2A and MCP JSON-RPC endpoints, `google.rpc.Status` on A2A's HTTP+JSON binding — and changes nothing:
 * the state folder is byte-for-byte the same and no model request was made. The routes come from the
 * app itself, so a new POST or PUT route without hostile cases fails this file.
 */

const MAX_BODY_BYTES = 2048;
const TOKEN = "hostile-bodies-token-0123456789";
const AGENT = "demo";

/** `app.use` middleware entries of `app.routes` (Hono lists them as method ALL). */
const MIDDLEWARE = new Set(["ALL /*", "ALL /v1/*", "ALL /mcp/*", "ALL /api/v1/admin/*"]);

/** The POST, PUT (and catch-all) routes `pluto serve` mounts, as "METHOD /path", from the app it builds. */
function bodyRoutes(): string[] {
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
  const app = createApp({
    agents,
    runs: new RunManager({
      agents,
      sessions,
      memory: new InMemoryMemoryStore(),
      artifacts,
      bus: new EventBus(),
      streamStepFor: () => unusedStep,
      toolsFor: async () => ({ tools: new Map(), specs: [] }),
    }),
    sessions,
    artifacts,
    tasks: new InMemoryTaskStore(),
    apiKeys: new InMemoryApiKeyStore(),
    agentFolders: { directoryOf: () => tmpdir(), invalidate: () => {}, providerNames: [] },
    maxBodyBytes: MAX_BODY_BYTES,
    ready: () => true,
  });
  const keys = app.routes.map((route) => `${route.method} ${route.path}`);
  return [...new Set(keys)].filter((key) => !MIDDLEWARE.has(key) && /^(POST|PUT|PATCH|ALL) /.test(key));
}

const ROUTES = bodyRoutes();

/**
 * How a route refuses, as documented:
 * - `pluto`: 4xx `{"error": {"code", "message"}}` (docs/http-api.md, api-admin.md, api-agent-protocol.md);
 * - `openai`: 4xx `{"error": {"message", "type", "param", "code"}}` (docs/api-openai.md);
 * - `jsonrpc`: a JSON-RPC 2.0 error object (HTTP 200 on A2A, 4xx from the MCP transport), or a
 *   tool result with `isError` for MCP tool arguments (docs/api-a2a.md, api-mcp.md);
 * - `rpc-status`: A2A HTTP+JSON's 4xx `{"error": {"code", "status", "message"}}` (docs/api-a2a.md).
 * Before a protocol starts (size limit, agent lookup) every route answers in Pluto's format.
 */
type Envelope = "pluto" | "openai" | "jsonrpc" | "rpc-status";

/** One hostile request. `code` is the documented error code when the docs name one. */
interface HostileCase {
  label: string;
  method: string;
  path: string;
  body: string | Uint8Array | (() => ReadableStream<Uint8Array>);
  headers?: Record<string, string>;
  envelope: Envelope;
  status?: number;
  code?: string | number;
}

const JSON_TYPE = { "content-type": "application/json" };
/** The Streamable HTTP transport needs both media types in `Accept`. */
const MCP_HEADERS = { ...JSON_TYPE, accept: "application/json, text/event-stream" };

/** `value` as JSON padded with a `padding` field to more than the body limit; still a valid body shape where unknown fields are ignored. */
function oversized(value: Record<string, unknown>, field = "padding"): string {
  return JSON.stringify({ ...value, [field]: "x".repeat(MAX_BODY_BYTES + 100) });
}

/** A body stream with no Content-Length that goes past the limit. */
function chunkedOversized(prefix: string): () => ReadableStream<Uint8Array> {
  return () =>
    new ReadableStream({
      start(controller) {
        const encoder = new TextEncoder();
        controller.enqueue(encoder.encode(prefix));
        for (let sent = 0; sent < MAX_BODY_BYTES * 2; sent += 512)
          controller.enqueue(encoder.encode(" ".repeat(512)));
        controller.enqueue(encoder.encode('"x"}'));
        controller.close();
      },
    });
}

/** A multipart/form-data body written by hand, so names can hold anything. */
function multipart(parts: { name: string; filename?: string; content: string }[]): {
  body: Uint8Array;
  headers: Record<string, string>;
} {
  const boundary = "----pluto-hostile-boundary";
  const text = parts
    .map(
      (part) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${
          part.filename === undefined ? "" : `; filename="${part.filename}"`
        }\r\n${part.filename === undefined ? "" : "Content-Type: application/octet-stream\r\n"}\r\n${part.content}\r\n`,
    )
    .join("");
  return {
    body: new TextEncoder().encode(`${text}--${boundary}--\r\n`),
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
  };
}

function agentFiles(name: string): Record<string, string> {
  return {
    "agent.yaml": `apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: ${name}\nspec:\n  model: openai/gpt-5-mini\n`,
    "SYSTEM_PROMPT.md": "You help.\n",
    "INSTRUCTIONS.md": "Be brief.\n",
  };
}

/** The cases every JSON route gets, around a `valid` body (whose oversized copy must be refused by size alone). */
function jsonCases(options: {
  method?: string;
  path: string;
  valid: Record<string, unknown>;
  envelope: Envelope;
  headers?: Record<string, string>;
  /** Refusal code of malformed and wrong-typed bodies. */
  code?: string | number;
  /** Status of malformed and wrong-typed bodies. @default 400 (200 for A2A JSON-RPC) */
  status?: number;
  wrongTypes: Record<string, unknown>[];
  hostileNames: Record<string, unknown>[];
  /** Code of hostile names. @default "INVALID_NAME" */
  nameCode?: string | number;
  nameStatus?: number;
  /**
   * The route takes JSON-RPC batches (MCP's transport does), so an array of the valid request is a valid
   * batch, not a hostile body: an array of non-requests is sent instead.
   */
  batches?: boolean;
}): HostileCase[] {
  const base = {
    method: options.method ?? "POST",
    path: options.path,
    headers: { ...JSON_TYPE, ...options.headers },
    envelope: options.envelope,
  };
  const bad = {
    ...(options.code === undefined ? {} : { code: options.code }),
    ...(options.status === undefined ? {} : { status: options.status }),
  };
  const valid = JSON.stringify(options.valid);
  return [
    { ...base, ...bad, label: "malformed JSON", body: valid.slice(0, -3) },
    options.batches === true
      ? { ...base, ...bad, label: "a JSON array of non-requests", body: "[1, 2]" }
      : { ...base, ...bad, label: "a JSON array", body: JSON.stringify([options.valid]) },
    // MCP's transport answers an empty batch with 202 and no body (see the MCP cases below).
    ...(options.batches === true ? [] : [{ ...base, ...bad, label: "an empty JSON array", body: "[]" }]),
    { ...base, ...bad, label: "JSON null", body: "null" },
    { ...base, ...bad, label: "raw NUL bytes after the JSON", body: `${valid}\u0000\u0000` },
    { ...base, ...bad, label: "a NUL byte inside the JSON syntax", body: valid.replace(":", "\u0000:") },
    ...options.wrongTypes.map((body) => ({
      ...base,
      ...bad,
      label: `wrong types ${JSON.stringify(body).slice(0, 80)}`,
      body: JSON.stringify(body),
    })),
    ...options.hostileNames.map((body) => ({
      ...base,
      label: `hostile name ${JSON.stringify(body).slice(0, 100)}`,
      body: JSON.stringify(body),
      code: options.nameCode ?? "INVALID_NAME",
      status: options.nameStatus ?? 400,
    })),
    {
      ...base,
      label: "a body over server.max_body_bytes",
      body: oversized(options.valid),
      // /v1 answers 413 in OpenAI's shape; every other route in Pluto's.
      envelope: options.envelope === "openai" ? "openai" : "pluto",
      status: 413,
      code: "PAYLOAD_TOO_LARGE",
    },
    {
      ...base,
      label: "a chunked body over server.max_body_bytes (no Content-Length)",
      body: chunkedOversized(`${valid.slice(0, -1)},"padding":`),
      envelope: options.envelope === "openai" ? "openai" : "pluto",
      status: 413,
      code: "PAYLOAD_TOO_LARGE",
    },
  ];
}

describe("malformed, oversized and hostile bodies through pluto serve", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let server: ServeProcess;
  const ids = { session: "", taskId: "", a2aTaskId: "" };
  let stateDir: string;

  const call = (path: string, init: RequestInit) => {
    const headers = new Headers(init.headers);
    if (!headers.has("authorization")) headers.set("authorization", `Bearer ${TOKEN}`);
    return fetch(`${server.url}${path}`, { ...init, headers });
  };

  async function snapshot(): Promise<Record<string, string>> {
    const files: Record<string, string> = {};
    for (const entry of await readdir(stateDir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      files[relative(stateDir, path)] = createHash("sha256")
        .update(await readFile(path))
        .digest("hex");
    }
    return files;
  }

  /** Counts of what the APIs show: sessions (log files), tasks of both protocols, artifacts, agents and keys. */
  async function counts(): Promise<Record<string, number>> {
    const files = Object.keys(await snapshot());
    const get = async (path: string) => jsonOf(await call(path, { headers: { "a2a-version": "1.0" } }));
    const resources = await call(`/mcp/${AGENT}`, {
      method: "POST",
      headers: MCP_HEADERS,
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "resources/list", params: {} }),
    });
    const listed = JSON.parse(parseSse(await resources.text())[0]?.data ?? "{}");
    return {
      sessions: files.filter((file) => file.startsWith("sessions/") && file.endsWith(".jsonl")).length,
      agentProtocolTasks: (await get("/ap/v1/agent/tasks")).pagination.total_items,
      a2aTasks: (await get(`/a2a/${AGENT}/rest/tasks`)).totalSize,
      artifacts: listed.result.resources.length,
      agents: (await get("/api/v1/admin/agents")).agents.length,
      keys: (await get("/api/v1/admin/keys?kind=all")).keys.length,
    };
  }

  beforeAll(async () => {
    fake = await startFakeModel();
    project = await tempProject();
    const env = {
      OPENAI_API_KEY: "sk-test-hostile",
      OPENAI_BASE_URL: `${fake.url}/v1`,
      HOSTILE_TOKEN: TOKEN,
    };
    expect((await runPluto(["init", AGENT], { cwd: project.dir, env })).code).toBe(0);
    await writeFile(
      join(project.dir, "pluto.yaml"),
      `server:\n  max_body_bytes: ${MAX_BODY_BYTES}\n  auth:\n    token: \${HOSTILE_TOKEN}\n`,
    );
    server = await startServe({ cwd: project.dir, env });
    stateDir = join(project.dir, ".pluto");

    // Existing state for the hostile requests to aim at: a session, a task with a step and an upload,
    // an A2A task and an artifact.
    const run = await jsonOf(
      await call(`/api/v1/agents/${AGENT}/runs`, {
        method: "POST",
        headers: JSON_TYPE,
        body: JSON.stringify({ input: "base", session_id: "base" }),
      }),
    );
    ids.session = run.session_id;
    const task = await jsonOf(
      await call("/ap/v1/agent/tasks", {
        method: "POST",
        headers: JSON_TYPE,
        body: JSON.stringify({ input: "t" }),
      }),
    );
    ids.taskId = task.task_id;
    expect((await call(`/ap/v1/agent/tasks/${ids.taskId}/steps`, { method: "POST" })).status).toBe(200);
    const upload = multipart([{ name: "file", filename: "base.txt", content: "base" }]);
    expect(
      (await call(`/ap/v1/agent/tasks/${ids.taskId}/artifacts`, { method: "POST", ...upload })).status,
    ).toBe(200);
    const a2a = await jsonOf(
      await call(`/a2a/${AGENT}/jsonrpc`, {
        method: "POST",
        headers: { ...JSON_TYPE, "a2a-version": "1.0" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "SendMessage",
          params: { message: { role: "ROLE_USER", messageId: "base", parts: [{ text: "base" }] } },
        }),
      }),
    );
    ids.a2aTaskId = a2a.result.task.id;
  }, 60_000);

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
    expect(server?.stderr() ?? "").not.toMatch(/^error:/m);
    await fake?.close();
    await project?.cleanup();
  });

  const a2aSend = (text: unknown, extra: Record<string, unknown> = {}) => ({
    jsonrpc: "2.0",
    id: 7,
    method: "SendMessage",
    params: { message: { role: "ROLE_USER", messageId: "hostile", parts: [{ text }], ...extra } },
  });
  const mcpCall = (args: Record<string, unknown>) => ({
    jsonrpc: "2.0",
    id: 9,
    method: "tools/call",
    params: { name: "send_message", arguments: args },
  });

  /** The hostile cases of each route (keys are `app.routes` entries). Built lazily: ids exist only after setup. */
  const casesByRoute: Record<string, () => HostileCase[]> = {
    "POST /api/v1/agents/:agent/runs": () => [
      ...jsonCases({
        path: `/api/v1/agents/${AGENT}/runs`,
        valid: { input: "hi", session_id: ids.session },
        envelope: "pluto",
        code: "BAD_REQUEST",
        wrongTypes: [
          { input: 42 },
          { input: "hi", session_id: 7 },
          { input: "hi", stream: "yes" },
          { input: "" },
          {},
        ],
        hostileNames: [
          { input: "hi", session_id: "../../etc" },
          { input: "hi", session_id: "/etc/passwd" },
          { input: "hi", session_id: ".." },
          { input: "hi", session_id: "a\u0000b" },
        ],
      }),
      {
        label: "an agent name with ../",
        method: "POST",
        path: "/api/v1/agents/..%2F..%2Fetc/runs",
        headers: JSON_TYPE,
        body: JSON.stringify({ input: "hi" }),
        envelope: "pluto",
        status: 400,
        code: "INVALID_NAME",
      },
      {
        label: "an agent name with NUL",
        method: "POST",
        path: "/api/v1/agents/de%00mo/runs",
        headers: JSON_TYPE,
        body: JSON.stringify({ input: "hi" }),
        envelope: "pluto",
        status: 400,
        code: "INVALID_NAME",
      },
      {
        label: "a form body",
        method: "POST",
        path: `/api/v1/agents/${AGENT}/runs`,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "input=hi",
        envelope: "pluto",
        status: 400,
        code: "BAD_REQUEST",
      },
    ],
    "POST /api/v1/sessions/:session/approvals/:tool_call_id": () => [
      ...jsonCases({
        path: `/api/v1/sessions/${ids.session}/approvals/call_x`,
        valid: { decision: "approve" },
        envelope: "pluto",
        code: "BAD_REQUEST",
        wrongTypes: [
          { decision: "yes" },
          { decision: "approve", reason: 5 },
          { decision: "approve", reason: "" },
          { decision: "approve", stream: "yes" },
          { decision: "approve", extra: 1 },
          {},
        ],
        hostileNames: [],
      }),
      {
        label: "a session id with ../",
        method: "POST",
        path: "/api/v1/sessions/..%2F..%2Fetc/approvals/call_x",
        headers: JSON_TYPE,
        body: JSON.stringify({ decision: "approve" }),
        envelope: "pluto",
        status: 404,
        code: "SESSION_NOT_FOUND",
      },
      {
        label: "a forged tool call id with ../ and NUL",
        method: "POST",
        path: `/api/v1/sessions/${ids.session}/approvals/..%2F..%2Fetc%00`,
        headers: JSON_TYPE,
        body: JSON.stringify({ decision: "deny" }),
        envelope: "pluto",
        status: 404,
        code: "APPROVAL_NOT_FOUND",
      },
    ],
    "POST /api/v1/runs/:run/abort": () =>
      ["{not json", "[]", '{"run_id": 5}', "\u0000", oversized({})].map((body) => ({
        label: `body ${JSON.stringify(body.slice(0, 20))} (ignored: no run is active)`,
        method: "POST",
        path: body.length > MAX_BODY_BYTES ? "/api/v1/runs/run_x/abort" : "/api/v1/runs/..%2F..%2Fetc/abort",
        headers: JSON_TYPE,
        body,
        envelope: "pluto" as const,
        status: body.length > MAX_BODY_BYTES ? 413 : 404,
        code: body.length > MAX_BODY_BYTES ? "PAYLOAD_TOO_LARGE" : "RUN_NOT_FOUND",
      })),
    "POST /api/v1/admin/agents": () =>
      jsonCases({
        path: "/api/v1/admin/agents",
        valid: { name: "fresh", files: agentFiles("fresh") },
        envelope: "pluto",
        code: "BAD_REQUEST",
        wrongTypes: [
          { name: 5, files: agentFiles("fresh") },
          { name: "fresh", files: { "agent.yaml": 5 } },
          { name: "fresh", files: ["agent.yaml"] },
          { name: "fresh" },
          { name: "fresh", files: agentFiles("fresh"), extra: true },
          { name: "fresh", files: { "notes.md": "x" } },
        ],
        hostileNames: [
          { name: "../fresh", files: agentFiles("fresh") },
          { name: "fre\u0000sh", files: agentFiles("fresh") },
          { name: "fresh", files: { ...agentFiles("fresh"), "../agent.yaml": "x" } },
          { name: "fresh", files: { ...agentFiles("fresh"), "/etc/cron.d/x": "x" } },
          { name: "fresh", files: { ...agentFiles("fresh"), "skills/../../x/SKILL.md": "x" } },
          { name: "fresh", files: { ...agentFiles("fresh"), "skills/a\u0000/SKILL.md": "x" } },
          { name: "fresh", files: { ...agentFiles("fresh"), "skills\\x\\SKILL.md": "x" } },
        ],
      }),
    "PUT /api/v1/admin/agents/:name": () => [
      ...jsonCases({
        method: "PUT",
        path: `/api/v1/admin/agents/${AGENT}`,
        valid: { files: agentFiles(AGENT) },
        envelope: "pluto",
        code: "BAD_REQUEST",
        wrongTypes: [
          { files: 5 },
          { files: { "agent.yaml": null } },
          {},
          { files: agentFiles(AGENT), name: "x" },
        ],
        hostileNames: [
          { files: { ...agentFiles(AGENT), "../../../agent.yaml": "x" } },
          { files: { ...agentFiles(AGENT), "skills/x/\u0000": "x" } },
          { files: { ...agentFiles(AGENT), "./agent.yaml": "x" } },
        ],
      }),
      // (A bare `..` segment cannot be sent: fetch normalises it away before the request leaves.)
      ...["..%2F..%2Fetc", "de%00mo", "..%5C..%5Cetc"].map((name) => ({
        label: `agent name ${name}`,
        method: "PUT",
        path: `/api/v1/admin/agents/${name}`,
        headers: JSON_TYPE,
        body: JSON.stringify({ files: agentFiles("x") }),
        envelope: "pluto" as const,
        status: 400,
        code: "INVALID_NAME",
      })),
    ],
    "POST /api/v1/admin/keys": () =>
      jsonCases({
        path: "/api/v1/admin/keys",
        valid: { role: "member", name: "k" },
        envelope: "pluto",
        code: "BAD_REQUEST",
        wrongTypes: [
          { role: 5 },
          { role: "root" },
          { role: "member", name: 5 },
          {},
          { role: "member", scope: "*" },
        ],
        hostileNames: [
          { role: "member", tenant: "../other" },
          { role: "member", tenant: "ten\u0000ant" },
          { role: "member", tenant: "/etc" },
        ],
      }),
    "POST /api/v1/admin/login-links": () =>
      jsonCases({
        path: "/api/v1/admin/login-links",
        valid: { role: "member" },
        envelope: "pluto",
        code: "BAD_REQUEST",
        wrongTypes: [{ role: 5 }, { role: "root" }, { role: "member", tenant: "x" }],
        hostileNames: [],
      }),
    "POST /v1/chat/completions": () => [
      ...jsonCases({
        path: "/v1/chat/completions",
        valid: { model: AGENT, messages: [{ role: "user", content: "hi" }] },
        envelope: "openai",
        code: "BAD_REQUEST",
        wrongTypes: [
          { model: 5, messages: [{ role: "user", content: "hi" }] },
          { model: AGENT, messages: "hi" },
          { model: AGENT, messages: [] },
          { model: AGENT, messages: [{ role: "user", content: 5 }] },
          { model: AGENT, messages: [{ role: "assistant", content: "no user" }] },
          { model: AGENT, messages: [{ role: "user", content: "hi" }], n: 2 },
          {
            model: AGENT,
            messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }],
          },
        ],
        hostileNames: [
          { model: "../demo", messages: [{ role: "user", content: "hi" }] },
          { model: "de\u0000mo", messages: [{ role: "user", content: "hi" }] },
          { model: "/etc/passwd", messages: [{ role: "user", content: "hi" }] },
        ],
      }),
      {
        label: "a session header with ../",
        method: "POST",
        path: "/v1/chat/completions",
        headers: { ...JSON_TYPE, "x-pluto-session-id": "../../etc" },
        body: JSON.stringify({ model: AGENT, messages: [{ role: "user", content: "hi" }] }),
        envelope: "openai",
        status: 400,
        code: "INVALID_NAME",
      },
    ],
    "POST /mcp/:agent": () => [
      ...jsonCases({
        path: `/mcp/${AGENT}`,
        headers: MCP_HEADERS,
        valid: mcpCall({ message: "hi" }),
        envelope: "jsonrpc",
        batches: true,
        wrongTypes: [
          mcpCall({ message: 5 }),
          mcpCall({}),
          mcpCall({ message: "" }),
          mcpCall({ message: "hi", session_id: 5 }),
          { jsonrpc: "1.0", id: 1, method: "tools/call" },
          { jsonrpc: "2.0", id: 1, method: 5 },
        ],
        hostileNames: [
          mcpCall({ message: "hi", session_id: "../../etc" }),
          mcpCall({ message: "hi", session_id: "a\u0000b" }),
          mcpCall({ message: "hi", session_id: "/etc/passwd" }),
        ],
        nameCode: "INVALID_NAME",
        nameStatus: 200,
      }),
      ...[
        `pluto-artifact://${AGENT}/../../etc/passwd`,
        `pluto-artifact://${AGENT}/a%00b`,
        "file:///etc/passwd",
      ].map((uri) => ({
        label: `resources/read of ${uri}`,
        method: "POST",
        path: `/mcp/${AGENT}`,
        headers: MCP_HEADERS,
        body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "resources/read", params: { uri } }),
        envelope: "jsonrpc" as const,
        status: 200,
        code: -32602,
      })),
      {
        label: "an agent name with ../",
        method: "POST",
        path: "/mcp/..%2Fdemo",
        headers: MCP_HEADERS,
        body: JSON.stringify(mcpCall({ message: "hi" })),
        envelope: "pluto",
        status: 400,
        code: "INVALID_NAME",
      },
    ],
    "POST /a2a/:agent/jsonrpc": () => [
      ...jsonCases({
        path: `/a2a/${AGENT}/jsonrpc`,
        headers: { "a2a-version": "1.0" },
        valid: a2aSend("hi"),
        envelope: "jsonrpc",
        status: 200,
        // Not `parts: [{ text: 5 }]`: the SDK's ProtoJSON decoder turns any value into a string (reported).
        wrongTypes: [
          { jsonrpc: "2.0", id: 7, method: "SendMessage", params: { message: 5 } },
          {
            jsonrpc: "2.0",
            id: 7,
            method: "SendMessage",
            params: { message: { role: "ROLE_USER", messageId: "m", parts: [] } },
          },
          { jsonrpc: "2.0", id: 7, method: "SendMessage" },
          { jsonrpc: "2.0", id: 7, method: "NoSuchMethod", params: {} },
          { jsonrpc: "1.0", id: 7, method: "SendMessage", params: {} },
        ],
        hostileNames: [
          { jsonrpc: "2.0", id: 7, method: "GetTask", params: { id: "../../etc/passwd" } },
          { jsonrpc: "2.0", id: 7, method: "CancelTask", params: { id: "a\u0000b" } },
          a2aSend("hi", { taskId: "../../etc" }),
        ],
        nameCode: -32001,
        nameStatus: 200,
      }),
      {
        label: "an agent name with ../",
        method: "POST",
        path: "/a2a/..%2Fdemo/jsonrpc",
        headers: JSON_TYPE,
        body: JSON.stringify(a2aSend("hi")),
        envelope: "pluto",
        status: 400,
        code: "INVALID_NAME",
      },
    ],
    "ALL /a2a/:agent/rest/*": () => [
      ...jsonCases({
        path: `/a2a/${AGENT}/rest/message:send`,
        headers: { "a2a-version": "1.0" },
        valid: { message: { role: "ROLE_USER", messageId: "hostile-rest", parts: [{ text: "hi" }] } },
        envelope: "rpc-status",
        status: 400,
        wrongTypes: [{ message: 5 }, { message: { role: "ROLE_USER", messageId: "m", parts: [] } }, {}],
        hostileNames: [],
      }),
      ...["..%2F..%2Fetc", "a%00b", ids.a2aTaskId.replace(/.$/, "%00")].map((id) => ({
        label: `cancel of task ${id}`,
        method: "POST",
        path: `/a2a/${AGENT}/rest/tasks/${id}:cancel`,
        headers: { ...JSON_TYPE, "a2a-version": "1.0" },
        body: "{}",
        envelope: "rpc-status" as const,
        status: 404,
      })),
    ],
  };

  // Agent Protocol, at both mount points.
  for (const prefix of ["/ap/v1", "/api/v1"]) {
    Object.assign(casesByRoute, {
      [`POST ${prefix}/agent/tasks`]: () => [
        ...jsonCases({
          path: `${prefix}/agent/tasks`,
          headers: { "x-pluto-agent": AGENT },
          valid: { input: "hi", additional_input: {} },
          envelope: "pluto",
          code: "BAD_REQUEST",
          wrongTypes: [{ input: 5 }, { additional_input: "x" }, { additional_input: [1] }, { input: ["hi"] }],
          hostileNames: [
            { input: "hi", additional_input: { agent: "../demo" } },
            { input: "hi", additional_input: { agent: "de\u0000mo" } },
          ],
        }).map((entry) =>
          entry.label.startsWith("hostile name") ? { ...entry, headers: JSON_TYPE } : entry,
        ),
        {
          label: "an agent header with ../",
          method: "POST",
          path: `${prefix}/agent/tasks`,
          headers: { ...JSON_TYPE, "x-pluto-agent": "../demo" },
          body: JSON.stringify({ input: "hi" }),
          envelope: "pluto",
          status: 400,
          code: "INVALID_NAME",
        },
        {
          label: "a text/plain body",
          method: "POST",
          path: `${prefix}/agent/tasks`,
          headers: { "content-type": "text/plain", "x-pluto-agent": AGENT },
          body: "hi",
          envelope: "pluto",
          status: 400,
          code: "BAD_REQUEST",
        },
      ],
      [`POST ${prefix}/agent/tasks/:task_id/steps`]: () => [
        ...jsonCases({
          path: `${prefix}/agent/tasks/${ids.taskId}/steps`,
          valid: { input: "hi" },
          envelope: "pluto",
          code: "BAD_REQUEST",
          wrongTypes: [{ input: 5 }, { additional_input: "x" }, { input: { text: "hi" } }],
          hostileNames: [],
        }),
        ...["..%2F..%2Fetc", "a%00b", ".."].map((id) => ({
          label: `task id ${id}`,
          method: "POST",
          path: `${prefix}/agent/tasks/${id}/steps`,
          headers: JSON_TYPE,
          body: JSON.stringify({ input: "hi" }),
          envelope: "pluto" as const,
          status: 404,
          code: "NOT_FOUND",
        })),
      ],
      [`POST ${prefix}/agent/tasks/:task_id/artifacts`]: () => {
        const path = `${prefix}/agent/tasks/${ids.taskId}/artifacts`;
        const upload = (label: string, parts: Parameters<typeof multipart>[0], code: string): HostileCase => {
          const { body, headers } = multipart(parts);
          return { label, method: "POST", path, headers, body, envelope: "pluto", status: 400, code };
        };
        const file = (filename: string) => ({ name: "file", filename, content: "bytes" });
        return [
          {
            label: "malformed JSON",
            method: "POST",
            path,
            headers: JSON_TYPE,
            body: "{not json",
            envelope: "pluto",
            status: 400,
            code: "BAD_REQUEST",
          },
          {
            label: "a JSON array",
            method: "POST",
            path,
            headers: JSON_TYPE,
            body: "[]",
            envelope: "pluto",
            status: 400,
            code: "BAD_REQUEST",
          },
          {
            label: "a multipart body cut off",
            method: "POST",
            path,
            headers: { "content-type": "multipart/form-data; boundary=cut" },
            body: '--cut\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nbyt',
            envelope: "pluto",
            status: 400,
            code: "BAD_REQUEST",
          },
          upload("no file part", [{ name: "relative_path", content: "x/" }], "BAD_REQUEST"),
          upload("the file as a text field", [{ name: "file", content: "not a file" }], "BAD_REQUEST"),
          upload("a file name with ../", [file("../../etc/passwd")], "INVALID_NAME"),
          upload("a file name of ..", [file("..")], "INVALID_NAME"),
          upload("a file name with NUL", [file("a\u0000b.txt")], "INVALID_NAME"),
          upload("a file name with a backslash", [file("..\\..\\x.txt")], "INVALID_NAME"),
          upload(
            "a relative_path with ../",
            [file("a.txt"), { name: "relative_path", content: "../../" }],
            "INVALID_NAME",
          ),
          upload(
            "an absolute relative_path",
            [file("a.txt"), { name: "relative_path", content: "/etc/" }],
            "INVALID_NAME",
          ),
          upload(
            "a relative_path with NUL",
            [file("a.txt"), { name: "relative_path", content: "a\u0000/" }],
            "INVALID_NAME",
          ),
          upload(
            "a drive-letter relative_path",
            [file("a.txt"), { name: "relative_path", content: "C:/x/" }],
            "INVALID_NAME",
          ),
          {
            ...upload(
              "a file over server.max_body_bytes",
              [{ name: "file", filename: "big.bin", content: "x".repeat(MAX_BODY_BYTES + 100) }],
              "PAYLOAD_TOO_LARGE",
            ),
            status: 413,
          },
        ];
      },
    });
  }

  it("has hostile cases for every POST and PUT route the app mounts", () => {
    expect(ROUTES.length).toBeGreaterThan(15);
    const missing = ROUTES.filter((route) => !(route in casesByRoute));
    expect(missing, "add hostile bodies for each of these routes").toEqual([]);
    const stale = Object.keys(casesByRoute).filter((route) => !ROUTES.includes(route));
    expect(stale, "cases for routes the app no longer mounts").toEqual([]);
  });

  /** Sends one case and asserts the documented refusal; returns a description of any mismatch. */
  async function refusal(entry: HostileCase): Promise<string | undefined> {
    const body = typeof entry.body === "function" ? entry.body() : entry.body;
    const response = await call(entry.path, {
      method: entry.method,
      ...(entry.headers === undefined ? {} : { headers: entry.headers }),
      body,
      ...(typeof entry.body === "function" ? { duplex: "half" } : {}),
    } as RequestInit);
    const text = await response.text();
    const where = `${entry.method} ${entry.path} (${entry.label}) → ${response.status} ${text.slice(0, 300)}`;
    // biome-ignore lint/suspicious/noExplicitAny: the envelopes differ per route; checked field by field
    let parsed: any;
    try {
      const frames = parseSse(text);
      parsed = (response.headers.get("content-type") ?? "").startsWith("text/event-stream")
        ? JSON.parse(frames[0]?.data ?? "null")
        : JSON.parse(text);
    } catch {
      return `${where}: not JSON`;
    }
    if (entry.status !== undefined && response.status !== entry.status)
      return `${where}: expected ${entry.status}`;
    const error = parsed?.error;
    switch (entry.envelope) {
      case "pluto":
      case "openai": {
        if (response.status < 400 || response.status > 499) return `${where}: not 4xx`;
        if (typeof error?.code !== "string" || !/^[A-Z_]+$/.test(error.code))
          return `${where}: no error.code`;
        if (typeof error.message !== "string" || error.message === "") return `${where}: no error.message`;
        if (entry.code !== undefined && error.code !== entry.code) return `${where}: expected ${entry.code}`;
        if (entry.envelope === "openai" && (typeof error.type !== "string" || !("param" in error))) {
          return `${where}: not OpenAI's error shape`;
        }
        return undefined;
      }
      case "rpc-status": {
        if (response.status < 400 || response.status > 499) return `${where}: not 4xx`;
        if (
          typeof error?.code !== "number" ||
          typeof error.status !== "string" ||
          typeof error.message !== "string"
        ) {
          return `${where}: not google.rpc.Status`;
        }
        return undefined;
      }
      case "jsonrpc": {
        if (response.status >= 500) return `${where}: 5xx`;
        // MCP tool arguments: an `isError` result, "CODE: message" from Pluto or "MCP error -32602: …" from the SDK.
        const toolText = String(parsed?.result?.content?.[0]?.text ?? "");
        if (parsed?.result?.isError === true && /^([A-Z_]+|MCP error -\d+): /.test(toolText)) {
          if (typeof entry.code === "string" && !toolText.startsWith(`${entry.code}: `)) {
            return `${where}: expected ${entry.code}`;
          }
          return undefined;
        }
        if (
          parsed?.jsonrpc !== "2.0" ||
          typeof error?.code !== "number" ||
          typeof error.message !== "string"
        ) {
          return `${where}: not a JSON-RPC error`;
        }
        if ("result" in parsed) return `${where}: has a result`;
        if (typeof entry.code === "number" && error.code !== entry.code)
          return `${where}: expected ${entry.code}`;
        return undefined;
      }
    }
  }

  it.each(Object.keys(casesByRoute).sort())(
    "%s refuses every hostile body and changes nothing",
    async (route) => {
      const beforeFiles = await snapshot();
      const beforeCounts = await counts();
      const modelRequests = fake.requests.length;
      const failures: string[] = [];
      const cases = casesByRoute[route]?.() ?? [];
      expect(cases.length).toBeGreaterThan(0);
      for (const entry of cases) {
        const failure = await refusal(entry);
        if (failure !== undefined) failures.push(failure);
      }
      expect(failures).toEqual([]);
      expect(fake.requests.length, "no run reached the model").toBe(modelRequests);
      expect(await counts()).toEqual(beforeCounts);
      expect(await snapshot()).toEqual(beforeFiles);
    },
  );
});
