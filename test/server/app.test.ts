import { describe, expect, it } from "vitest";
import { PlutoError } from "../../src/core/errors.js";
import type { RunEvent, SessionEvent } from "../../src/core/events.js";
import { InMemorySessionStore } from "../../src/services/session/in-memory-session-store.js";
import type { SessionKey, SessionStore } from "../../src/services/session/session-store.js";
import type { Tool } from "../../src/tools/tool.js";
import { agentFixture } from "../support/agent-fixture.js";
import { deferred, scriptedStream } from "../support/scripted-step.js";
import { createServerHarness, jsonPost, parseSse, type SseFrame } from "./server-harness.js";

const RUNS = "/api/v1/agents/test-agent/runs";

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

interface RunBody {
  run_id: string;
  session_id: string;
  status: string;
  output: string;
  steps: number;
  usage: { inputTokens: number; outputTokens: number; totalTokens: number };
  error?: { code: string; message: string };
}

async function expectError(response: Response, status: number, code: string): Promise<ErrorBody> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await response.json()) as ErrorBody;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(10);
  return body;
}

/** Asserts every frame carries `id:` = seq, `event:` = type and the event as JSON data, in that line order. */
function expectEventFrames(frames: SseFrame[]): SessionEvent[] {
  return frames.map((frame) => {
    const event = JSON.parse(frame.data) as SessionEvent;
    expect(frame.lines).toEqual([`event: ${event.type}`, `data: ${frame.data}`, `id: ${event.seq}`]);
    expect(frame.id).toBe(String(event.seq));
    expect(frame.event).toBe(event.type);
    return event;
  });
}

describe("HTTP app: health and agents", () => {
  it("answers /healthz always and /readyz by the ready flag", async () => {
    let ready = false;
    const { app } = createServerHarness({ streamStep: scriptedStream().streamStep, ready: () => ready });
    const health = await app.request("/healthz");
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const starting = await app.request("/readyz");
    expect(starting.status).toBe(503);
    expect(await starting.json()).toEqual({ status: "starting" });
    ready = true;
    const readyResponse = await app.request("/readyz");
    expect(readyResponse.status).toBe(200);
    expect(await readyResponse.json()).toEqual({ status: "ready" });
  });

  it("lists agents and describes one", async () => {
    const agent = agentFixture({
      name: "helper",
      labels: { team: "core" },
      fallbackModels: ["openai/gpt-5-mini"],
      skills: [{ name: "pdf", description: "PDF forms.", path: "/secret/path/SKILL.md" }],
      tools: {
        builtins: ["memory_write"],
        mcpServers: [
          {
            name: "fs",
            transport: "stdio",
            command: "npx",
            args: [],
            env: { TOKEN: "hidden" },
            timeoutMs: 1000,
          },
        ],
      },
    });
    const { app } = createServerHarness({ streamStep: scriptedStream().streamStep, agents: [agent] });
    const list = await app.request("/api/v1/agents");
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({
      agents: [{ name: "helper", description: "Test agent helper", valid: true }],
    });

    const one = await app.request("/api/v1/agents/helper");
    expect(one.status).toBe(200);
    const body = await one.json();
    expect(body).toEqual({
      name: "helper",
      description: "Test agent helper",
      labels: { team: "core" },
      model: "scripted/test-model",
      fallback_models: ["openai/gpt-5-mini"],
      limits: {
        max_steps: 20,
        max_run_seconds: 600,
        max_tool_result_chars: 20_000,
        tool_timeout_seconds: 60,
      },
      tools: { builtin: ["memory_write"], mcp: [{ name: "fs", transport: "stdio" }] },
      skills: [{ name: "pdf", description: "PDF forms." }],
    });
    // Nothing about the host (paths, env of MCP servers) leaks.
    expect(JSON.stringify(body)).not.toMatch(/secret|hidden|directory/);
  });

  it("answers an unknown agent with 404 AGENT_NOT_FOUND in the error format", async () => {
    const { app } = createServerHarness({ streamStep: scriptedStream().streamStep });
    const body = await expectError(await app.request("/api/v1/agents/ghost"), 404, "AGENT_NOT_FOUND");
    expect(body.error.details).toEqual({ agent: "ghost" });
  });

  it("rejects hostile agent names before they reach the catalog", async () => {
    const { app, catalog } = createServerHarness({ streamStep: scriptedStream().streamStep });
    for (const name of ["..%2F..%2Fetc%2Fpasswd", "..", "%2Fetc", "a%00b", "..%5C..%5Cwin", ".hidden"]) {
      const get = await app.request(`/api/v1/agents/${name}`);
      expect([400, 404]).toContain(get.status);
      const post = await app.request(`/api/v1/agents/${name}/runs`, jsonPost({ input: "hi" }));
      expect([400, 404]).toContain(post.status);
      expect(((await post.json()) as ErrorBody).error.code).toMatch(/INVALID_NAME|NOT_FOUND/);
    }
    const traversal = await app.request("/api/v1/agents/..%2F..%2Fetc");
    await expectError(traversal, 400, "INVALID_NAME");
    expect(catalog.requested).toEqual([]);
  });
});

describe("HTTP app: runs", () => {
  it("runs an agent and answers with JSON", async () => {
    const script = scriptedStream([{ text: ["Hello", " world"] }, { text: "Again" }]);
    const { app, sessions } = createServerHarness({ streamStep: script.streamStep });
    const response = await app.request(RUNS, jsonPost({ input: "Hi" }));
    expect(response.status).toBe(200);
    const body = (await response.json()) as RunBody;
    expect(body).toEqual({
      run_id: expect.stringMatching(/^run_/),
      session_id: expect.stringMatching(/^ses_/),
      status: "completed",
      output: "Hello world",
      steps: 1,
      usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
    });
    const second = (await (
      await app.request(RUNS, jsonPost({ input: "More", session_id: body.session_id }))
    ).json()) as RunBody;
    expect(second).toMatchObject({ session_id: body.session_id, output: "Again" });
    const key: SessionKey = { tenant: "default", agent: "test-agent", session: body.session_id };
    expect((await sessions.read(key)).filter((event) => event.type === "run-start")).toHaveLength(2);
    expect(script.requests[1]?.messages).toHaveLength(3);
  });

  it("reports a failed run as JSON with status failed and the error", async () => {
    const script = scriptedStream([
      { errorBeforeStream: new PlutoError("MODEL_ERROR", "Provider said 500. Retry later.") },
    ]);
    const { app } = createServerHarness({ streamStep: script.streamStep });
    const response = await app.request(RUNS, jsonPost({ input: "Hi", session_id: "fails" }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      session_id: "fails",
      status: "failed",
      output: "",
      steps: 1,
      error: { code: "MODEL_ERROR", message: "Provider said 500. Retry later." },
    });
  });

  it("streams a run as SSE: one frame per event, id = seq, event = type, ending with run-end", async () => {
    const tool: Tool = {
      name: "echo",
      description: "Echo.",
      inputSchema: { type: "object" },
      execute: async (input) => ({ content: JSON.stringify(input) }),
    };
    const script = scriptedStream([
      {
        reasoning: ["hmm"],
        text: "Calling.",
        toolCalls: [{ toolCallId: "c1", toolName: "echo", input: { a: 1 } }],
      },
      { text: ["multi\nline", " answer"] },
    ]);
    const { app, sessions } = createServerHarness({ streamStep: script.streamStep, tools: [tool] });
    const response = await app.request(RUNS, jsonPost({ input: "Hi", session_id: "streamed", stream: true }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const runId = response.headers.get("x-pluto-run-id");
    expect(runId).toMatch(/^run_/);
    expect(response.headers.get("x-pluto-session-id")).toBe("streamed");

    const events = expectEventFrames(parseSse(await response.text()));
    expect(events.map((event) => event.type)).toEqual([
      "run-start",
      "step-start",
      "reasoning-delta",
      "text-delta",
      "tool-call",
      "step-end",
      "tool-result",
      "step-start",
      "text-delta",
      "text-delta",
      "step-end",
      "run-end",
    ]);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(events.every((event) => event.runId === runId)).toBe(true);
    expect(events.at(-1)).toMatchObject({
      type: "run-end",
      status: "completed",
      output: "multi\nline answer",
    });
    // What was streamed is exactly what the log holds.
    expect(events).toEqual(
      await sessions.read({ tenant: "default", agent: "test-agent", session: "streamed" }),
    );
  });

  it("streams only the new run's events when the session already has history", async () => {
    const script = scriptedStream([{ text: "first" }, { text: "second" }]);
    const { app } = createServerHarness({ streamStep: script.streamStep });
    await app.request(RUNS, jsonPost({ input: "1", session_id: "s2" }));
    const response = await app.request(RUNS, jsonPost({ input: "2", session_id: "s2", stream: true }));
    const events = expectEventFrames(parseSse(await response.text()));
    expect(events[0]).toMatchObject({ type: "run-start", seq: 6, input: "2" });
    expect(events.at(-1)).toMatchObject({ type: "run-end", output: "second" });
  });

  it("ends the SSE stream with a failed run-end when the run cannot start", async () => {
    const { app } = createServerHarness({
      streamStep: scriptedStream().streamStep,
      toolsFor: async () => {
        throw new PlutoError(
          "MCP_SERVER_FAILED",
          "MCP server did not start. Check its command in agent.yaml.",
        );
      },
    });
    const response = await app.request(RUNS, jsonPost({ input: "Hi", stream: true }));
    const events = expectEventFrames(parseSse(await response.text()));
    expect(events.map((event) => event.type)).toEqual(["run-start", "run-end"]);
    expect(events[1]).toMatchObject({ status: "failed", error: { code: "MCP_SERVER_FAILED" } });
  });

  it("ends the SSE stream (never hangs) when the session log cannot be read", async () => {
    const store = new InMemorySessionStore();
    const broken: SessionStore = {
      append: (key, events, options) => store.append(key, events, options),
      read: async () => {
        throw new PlutoError(
          "SESSION_CORRUPT",
          "Line 3 of the session log is not JSON. Fix or delete the line.",
        );
      },
      info: (key) => store.info(key),
      list: (scope) => store.list(scope),
      delete: (key) => store.delete(key),
    };
    const { app } = createServerHarness({ streamStep: scriptedStream().streamStep, sessions: broken });
    const json = await app.request(RUNS, jsonPost({ input: "Hi" }));
    await expectError(json, 500, "SESSION_CORRUPT");
    const response = await app.request(RUNS, jsonPost({ input: "Hi", stream: true }));
    expect(response.status).toBe(200);
    const frames = parseSse(await response.text());
    expect(frames).toHaveLength(1);
    expect(frames[0]?.event).toBe("error");
    expect(JSON.parse(frames[0]?.data ?? "")).toMatchObject({ error: { code: "SESSION_CORRUPT" } });
  });
});

describe("HTTP app: bad run requests", () => {
  const cases: [string, RequestInit, number, string][] = [
    ["malformed JSON", jsonPost('{"input": "hi"'), 400, "BAD_REQUEST"],
    ["a JSON array", jsonPost("[]"), 400, "BAD_REQUEST"],
    ["JSON null", jsonPost("null"), 400, "BAD_REQUEST"],
    ["an empty body", jsonPost(""), 400, "BAD_REQUEST"],
    [
      "a text/plain body",
      { method: "POST", headers: { "content-type": "text/plain" }, body: '{"input":"hi"}' },
      400,
      "BAD_REQUEST",
    ],
    ["no content type", { method: "POST", body: '{"input":"hi"}' }, 400, "BAD_REQUEST"],
    [
      "a form body",
      { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "input=hi" },
      400,
      "BAD_REQUEST",
    ],
    ["an unknown key", jsonPost({ input: "hi", model: "openai/gpt-5" }), 400, "BAD_REQUEST"],
    ["empty input", jsonPost({ input: "" }), 400, "BAD_REQUEST"],
    ["blank input", jsonPost({ input: "   " }), 400, "BAD_REQUEST"],
    ["missing input", jsonPost({ session_id: "s" }), 400, "BAD_REQUEST"],
    ["a numeric input", jsonPost({ input: 42 }), 400, "BAD_REQUEST"],
    ["a string stream flag", jsonPost({ input: "hi", stream: "yes" }), 400, "BAD_REQUEST"],
    ["session_id ../etc", jsonPost({ input: "hi", session_id: "../etc" }), 400, "INVALID_NAME"],
    ["an absolute session_id", jsonPost({ input: "hi", session_id: "/etc/passwd" }), 400, "INVALID_NAME"],
    ["a NUL in session_id", jsonPost({ input: "hi", session_id: "a\u0000b" }), 400, "INVALID_NAME"],
    ["an empty session_id", jsonPost({ input: "hi", session_id: "" }), 400, "BAD_REQUEST"],
    ["a 129-char session_id", jsonPost({ input: "hi", session_id: "s".repeat(129) }), 400, "BAD_REQUEST"],
  ];
  for (const [name, init, status, code] of cases) {
    it(`answers ${name} with ${status} ${code} and starts no run`, async () => {
      const script = scriptedStream([{ text: "never" }]);
      const { app, runs } = createServerHarness({ streamStep: script.streamStep });
      await expectError(await app.request(RUNS, init), status, code);
      expect(script.requests).toHaveLength(0);
      expect(runs.activeCount).toBe(0);
    });
  }

  it("lists every schema issue in details", async () => {
    const { app } = createServerHarness({ streamStep: scriptedStream().streamStep });
    const body = await expectError(
      await app.request(RUNS, jsonPost({ input: 1, extra: true })),
      400,
      "BAD_REQUEST",
    );
    const issues = body.error.details?.issues as { path: string; message: string }[];
    expect(issues.length).toBeGreaterThanOrEqual(2);
    expect(body.error.message).toContain("input");
  });

  it("answers a body over maxBodyBytes with 413 PAYLOAD_TOO_LARGE, with or without content-length", async () => {
    const script = scriptedStream([{ text: "never" }]);
    const { app } = createServerHarness({ streamStep: script.streamStep, maxBodyBytes: 1_000 });
    const big = JSON.stringify({ input: "x".repeat(2_000) });
    const withLength = await app.request(RUNS, jsonPost(big, { "content-length": String(big.length) }));
    await expectError(withLength, 413, "PAYLOAD_TOO_LARGE");
    const encoder = new TextEncoder();
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let index = 0; index < 4; index++)
          controller.enqueue(encoder.encode(big.slice(index * 500, (index + 1) * 500)));
        controller.enqueue(encoder.encode(big.slice(2_000)));
        controller.close();
      },
    });
    const chunked = await app.request(RUNS, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: streamed,
      duplex: "half",
    } as RequestInit);
    await expectError(chunked, 413, "PAYLOAD_TOO_LARGE");
    // Just under the limit is fine.
    const fits = JSON.stringify({ input: "y".repeat(900) });
    expect((await app.request(RUNS, jsonPost(fits, { "content-length": String(fits.length) }))).status).toBe(
      200,
    );
    expect(script.requests).toHaveLength(1);
  });

  it("rejects an input longer than the schema allows even under a large body limit", async () => {
    const { app } = createServerHarness({ streamStep: scriptedStream().streamStep, maxBodyBytes: 1_000_000 });
    await expectError(await app.request(RUNS, jsonPost({ input: "z".repeat(200_001) })), 400, "BAD_REQUEST");
  });

  it("answers a run for an unknown agent with 404 AGENT_NOT_FOUND", async () => {
    const { app } = createServerHarness({ streamStep: scriptedStream().streamStep });
    await expectError(
      await app.request("/api/v1/agents/nobody/runs", jsonPost({ input: "hi" })),
      404,
      "AGENT_NOT_FOUND",
    );
  });
});

describe("HTTP app: session events", () => {
  async function seeded() {
    const harness = createServerHarness({
      streamStep: scriptedStream([{ text: ["a", "b"] }, { text: "c" }]).streamStep,
    });
    await harness.app.request(RUNS, jsonPost({ input: "one", session_id: "chat" }));
    await harness.app.request(RUNS, jsonPost({ input: "two", session_id: "chat" }));
    return harness;
  }

  it("returns the session's events as JSON, and only those after ?after=", async () => {
    const { app, sessions } = await seeded();
    const all = await app.request("/api/v1/sessions/chat/events");
    expect(all.status).toBe(200);
    const stored = await sessions.read({ tenant: "default", agent: "test-agent", session: "chat" });
    expect(stored).toHaveLength(11);
    expect(await all.json()).toEqual({ session_id: "chat", agent: "test-agent", events: stored });
    const after = (await (await app.request("/api/v1/sessions/chat/events?after=6")).json()) as {
      events: SessionEvent[];
    };
    expect(after.events.map((event) => event.seq)).toEqual([7, 8, 9, 10, 11]);
    const none = (await (await app.request("/api/v1/sessions/chat/events?after=999")).json()) as {
      events: SessionEvent[];
    };
    expect(none.events).toEqual([]);
  });

  it("replays the log as SSE and resumes after Last-Event-ID", async () => {
    const { app } = await seeded();
    const full = await app.request("/api/v1/sessions/chat/events", {
      headers: { accept: "text/event-stream" },
    });
    expect(full.headers.get("content-type")).toBe("text/event-stream");
    const fullEvents = expectEventFrames(parseSse(await full.text()));
    expect(fullEvents.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);

    const resumed = await app.request("/api/v1/sessions/chat/events", {
      headers: { accept: "text/event-stream", "last-event-id": "4" },
    });
    const resumedEvents = expectEventFrames(parseSse(await resumed.text()));
    expect(resumedEvents).toEqual(fullEvents.slice(4));
    const query = await app.request("/api/v1/sessions/chat/events?after=9", {
      headers: { accept: "text/event-stream" },
    });
    expect(expectEventFrames(parseSse(await query.text())).map((event) => event.seq)).toEqual([10, 11]);
  });

  it("follows a live run over SSE until the session is idle", async () => {
    const release = deferred();
    const script = scriptedStream([{ text: ["live", " text"], gate: release.promise }]);
    const { app, runs } = createServerHarness({ streamStep: script.streamStep });
    const handle = await runs.start({ agent: "test-agent", input: "go", sessionId: "live" });
    // The run is queued or running: the replay must not mark it interrupted, and must follow it.
    const response = await app.request("/api/v1/sessions/live/events", {
      headers: { accept: "text/event-stream" },
    });
    setTimeout(() => release.resolve(), 20);
    const events = expectEventFrames(parseSse(await response.text()));
    expect(events.map((event) => event.type)).toEqual([
      "run-start",
      "step-start",
      "text-delta",
      "text-delta",
      "step-end",
      "run-end",
    ]);
    expect(events.at(-1)).toMatchObject({ status: "completed", runId: handle.runId });
  });

  it("marks a cut-off run failed when its session is read", async () => {
    const store = new InMemorySessionStore();
    const key: SessionKey = { tenant: "default", agent: "test-agent", session: "crashed" };
    const cut: RunEvent[] = [
      {
        type: "run-start",
        runId: "run_x",
        time: "2026-01-01T00:00:00.000Z",
        agent: "test-agent",
        input: "q",
        model: "m",
      },
      { type: "step-start", runId: "run_x", time: "2026-01-01T00:00:00.000Z", step: 1, model: "m" },
      { type: "text-delta", runId: "run_x", time: "2026-01-01T00:00:00.000Z", step: 1, text: "partial" },
    ];
    await store.append(key, cut, { expectedSeq: 0 });
    const { app } = createServerHarness({ streamStep: scriptedStream().streamStep, sessions: store });
    const body = (await (await app.request("/api/v1/sessions/crashed/events")).json()) as {
      events: SessionEvent[];
    };
    expect(body.events).toHaveLength(4);
    expect(body.events[3]).toMatchObject({
      type: "run-end",
      status: "failed",
      error: { code: "RUN_INTERRUPTED" },
    });
  });

  it("rejects a non-numeric, negative or huge position with 400 BAD_REQUEST", async () => {
    const { app } = await seeded();
    for (const after of ["abc", "-1", "1.5", "1e3", "0x10", "9".repeat(16), "%20"]) {
      await expectError(await app.request(`/api/v1/sessions/chat/events?after=${after}`), 400, "BAD_REQUEST");
    }
    const header = await app.request("/api/v1/sessions/chat/events", {
      headers: { accept: "text/event-stream", "last-event-id": "abc" },
    });
    await expectError(header, 400, "BAD_REQUEST");
  });

  it("answers an unknown or hostile session id with 404 SESSION_NOT_FOUND", async () => {
    const { app } = await seeded();
    for (const id of ["nope", "..%2F..%2Fetc", "%2Fetc%2Fpasswd", "a%00b"]) {
      await expectError(await app.request(`/api/v1/sessions/${id}/events`), 404, "SESSION_NOT_FOUND");
    }
  });
});

describe("HTTP app: abort", () => {
  it("answers abort of an unknown run with 404 RUN_NOT_FOUND", async () => {
    const { app } = createServerHarness({ streamStep: scriptedStream().streamStep });
    await expectError(
      await app.request("/api/v1/runs/run_nope/abort", { method: "POST" }),
      404,
      "RUN_NOT_FOUND",
    );
  });

  it("aborts a running run with 202; the run ends aborted", async () => {
    const script = scriptedStream([
      { text: Array.from({ length: 20 }, (_, index) => `p${index}`), delayMs: 40 },
    ]);
    const { app } = createServerHarness({ streamStep: script.streamStep });
    const response = await app.request(RUNS, jsonPost({ input: "long", stream: true }));
    const runId = response.headers.get("x-pluto-run-id") ?? "";
    const text = response.text();
    await new Promise((resolve) => setTimeout(resolve, 60));
    const abort = await app.request(`/api/v1/runs/${runId}/abort`, { method: "POST" });
    expect(abort.status).toBe(202);
    expect(await abort.json()).toEqual({ run_id: runId, aborted: true });
    const events = expectEventFrames(parseSse(await text));
    expect(events.at(-1)).toMatchObject({
      type: "run-end",
      status: "aborted",
      error: { code: "RUN_ABORTED" },
    });
    expect(events.filter((event) => event.type === "text-delta").length).toBeLessThan(20);
    await expectError(
      await app.request(`/api/v1/runs/${runId}/abort`, { method: "POST" }),
      404,
      "RUN_NOT_FOUND",
    );
  });
});

describe("HTTP app: auth and errors", () => {
  const TOKEN = "s3cret-token-value";

  it("requires the bearer token on the API, never on health checks", async () => {
    const { app } = createServerHarness({ streamStep: scriptedStream().streamStep, authToken: TOKEN });
    await expectError(await app.request("/api/v1/agents"), 401, "UNAUTHORIZED");
    for (const header of [
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Basic ${TOKEN}`,
      TOKEN,
      "Bearer ",
      "",
    ]) {
      await expectError(
        await app.request("/api/v1/agents", { headers: { authorization: header } }),
        401,
        "UNAUTHORIZED",
      );
    }
    await expectError(await app.request(`/api/v1/agents?token=${TOKEN}`), 401, "UNAUTHORIZED");
    const ok = await app.request("/api/v1/agents", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(
      (await app.request("/api/v1/agents", { headers: { authorization: `bearer ${TOKEN}` } })).status,
    ).toBe(200);
    expect((await app.request("/healthz")).status).toBe(200);
    expect((await app.request("/readyz")).status).toBe(200);
  });

  it("checks the token before reading the body or starting a run", async () => {
    const script = scriptedStream([{ text: "never" }]);
    const { app } = createServerHarness({
      streamStep: script.streamStep,
      authToken: TOKEN,
      maxBodyBytes: 10,
    });
    await expectError(
      await app.request(RUNS, jsonPost({ input: "a long body over ten bytes" })),
      401,
      "UNAUTHORIZED",
    );
    await expectError(await app.request("/api/v1/runs/x/abort", { method: "POST" }), 401, "UNAUTHORIZED");
    expect(script.requests).toHaveLength(0);
  });

  it("answers unknown routes and methods with 404 NOT_FOUND in the error format", async () => {
    const { app } = createServerHarness({ streamStep: scriptedStream().streamStep });
    await expectError(await app.request("/nope"), 404, "NOT_FOUND");
    await expectError(await app.request("/api/v1/nope"), 404, "NOT_FOUND");
    await expectError(await app.request("/api/v2/agents"), 404, "NOT_FOUND");
    await expectError(await app.request("/api/v1/agents", { method: "DELETE" }), 404, "NOT_FOUND");
  });

  it("hides unexpected errors behind 500 INTERNAL and reports them to onUnexpectedError", async () => {
    const { app, catalog, unexpected } = createServerHarness({ streamStep: scriptedStream().streamStep });
    catalog.list = async () => {
      throw new Error("ENOENT: /home/alice/.pluto/agents is gone");
    };
    const body = await expectError(await app.request("/api/v1/agents"), 500, "INTERNAL");
    expect(body.error.message).not.toContain("alice");
    expect(unexpected).toHaveLength(1);
    expect(String(unexpected[0])).toContain("alice");
  });
});
