import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/server/app.js";
import { StreamLimiter } from "../../../src/server/streams/stream-limiter.js";
import { InMemoryArtifactStore } from "../../../src/services/artifact/in-memory-artifact-store.js";
import { InMemoryTaskStore } from "../../../src/services/task/in-memory-task-store.js";
import { createRunHarness } from "../../runs/run-harness.js";
import { deferred, scriptedStream } from "../../support/scripted-step.js";

/** The app with a cap of `maxStreams` open streams and a model whose first step waits for `gate`. */
function cappedApp(options: { maxStreams: number; slowReaderTimeoutMs?: number }) {
  const gate = deferred();
  const script = scriptedStream();
  script.push({ text: "held", gate: gate.promise }, { text: "one" }, { text: "two" }, { text: "three" });
  const harness = createRunHarness({ streamStep: script.streamStep });
  const app = createApp({
    agents: harness.catalog,
    runs: harness.runs,
    sessions: harness.sessions,
    tasks: new InMemoryTaskStore(),
    artifacts: new InMemoryArtifactStore(),
    maxBodyBytes: 65_536,
    maxStreams: options.maxStreams,
    ...(options.slowReaderTimeoutMs === undefined
      ? {}
      : { slowReaderTimeoutMs: options.slowReaderTimeoutMs }),
    ready: () => true,
  });
  return { app, gate, script, harness };
}

const json = { "content-type": "application/json" };

/** Every streaming route of the app, as a request that asks for a stream. */
const STREAM_REQUESTS: { name: string; path: string; init: RequestInit }[] = [
  {
    name: "session events (SSE)",
    path: "/api/v1/sessions/held/events",
    init: { headers: { accept: "text/event-stream" } },
  },
  {
    name: "run with stream: true",
    path: "/api/v1/agents/test-agent/runs",
    init: { method: "POST", headers: json, body: JSON.stringify({ input: "hi", stream: true }) },
  },
  {
    name: "OpenAI chat completion with stream: true",
    path: "/v1/chat/completions",
    init: {
      method: "POST",
      headers: json,
      body: JSON.stringify({
        model: "test-agent",
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      }),
    },
  },
  {
    name: "A2A JSON-RPC message/stream",
    path: "/a2a/test-agent/jsonrpc",
    init: {
      method: "POST",
      headers: json,
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "message/stream",
        params: {
          message: { kind: "message", role: "user", messageId: "m1", parts: [{ kind: "text", text: "hi" }] },
        },
      }),
    },
  },
  {
    name: "A2A HTTP+JSON message:stream",
    path: "/a2a/test-agent/rest/message:stream",
    init: {
      method: "POST",
      headers: { ...json, "a2a-version": "1.0" },
      body: JSON.stringify({ message: { messageId: "m2", role: "ROLE_USER", parts: [{ text: "hi" }] } }),
    },
  },
];

describe("stream caps on every streaming route", () => {
  it("refuses a stream over the cap with 429 and Retry-After before the route starts a run, on each route", async () => {
    const { app, gate, script } = cappedApp({ maxStreams: 1 });
    // One streaming run holds the only slot (its model step waits for the gate).
    const held = await app.request("/api/v1/agents/test-agent/runs", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ input: "hold", session_id: "held", stream: true }),
    });
    expect(held.status).toBe(200);
    expect(held.headers.get("content-type")).toContain("text/event-stream");
    const requestsBefore = script.requests.length;

    for (const request of STREAM_REQUESTS) {
      const refused = await app.request(request.path, request.init);
      expect(refused.status, request.name).toBe(429);
      expect(Number(refused.headers.get("retry-after")), request.name).toBeGreaterThanOrEqual(1);
      const body = (await refused.json()) as { error: { code: string; details: { limit: string } } };
      expect(body.error.code, request.name).toBe("LIMIT_EXCEEDED");
      expect(body.error.details.limit, request.name).toBe("streams_per_tenant");
    }
    // Refused before the routes ran: no run reached the model.
    expect(script.requests.length).toBe(requestsBefore);
    // Requests that do not stream are not capped.
    expect((await app.request("/api/v1/agents")).status).toBe(200);

    // The held stream ends; its slot is free and every route streams again.
    gate.resolve();
    expect(await held.text()).toContain("event: run-end");
    for (const request of STREAM_REQUESTS.slice(0, 3)) {
      const accepted = await app.request(request.path, request.init);
      expect(accepted.status, request.name).toBe(200);
      expect(accepted.headers.get("content-type"), request.name).toContain("text/event-stream");
      await accepted.text();
    }
  });

  it("closes a stream whose reader stops taking chunks and frees its slot", async () => {
    const { app, gate } = cappedApp({ maxStreams: 1, slowReaderTimeoutMs: 200 });
    gate.resolve();
    const finished = await app.request("/api/v1/agents/test-agent/runs", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ input: "hi", session_id: "s1" }),
    });
    expect(finished.status).toBe(200);
    // The replay's first chunk is taken by nobody: after 200 ms the stream is cut.
    const unread = await app.request("/api/v1/sessions/s1/events", {
      headers: { accept: "text/event-stream" },
    });
    expect(unread.status).toBe(200);
    const reader = unread.body?.getReader();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await expect(reader?.read()).rejects.toThrow(/stopped reading/);
    const next = await app.request("/api/v1/sessions/s1/events", {
      headers: { accept: "text/event-stream" },
    });
    expect(next.status).toBe(200);
    expect(await next.text()).toContain("event: run-end");
  });
});

describe("StreamLimiter", () => {
  it("applies the tenant cap first (429) and the process cap across tenants (503), releasing once", () => {
    const limiter = new StreamLimiter({ maxStreams: 3, maxStreamsPerTenant: 2 });
    const a1 = limiter.acquire("a");
    limiter.acquire("a");
    expect(() => limiter.acquire("a")).toThrow(expect.objectContaining({ code: "LIMIT_EXCEEDED" }));
    limiter.acquire("b");
    expect(() => limiter.acquire("b")).toThrow(expect.objectContaining({ code: "SERVER_BUSY" }));
    a1();
    a1();
    expect(limiter.open()).toBe(2);
    expect(limiter.open("a")).toBe(1);
    limiter.acquire("b");
    expect(() => new StreamLimiter({ maxStreams: 0 })).toThrow(RangeError);
  });
});
