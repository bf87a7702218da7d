import { afterEach, describe, expect, it } from "vitest";
import type { SessionEvent } from "../../../src/core/events.js";
import { SESSION_COOKIE } from "../../../src/server/auth.js";
import { mintToken } from "../../../src/server/login/session-tokens.js";
import { InMemorySessionStore } from "../../../src/services/session/in-memory-session-store.js";
import type { ReadOptions, SessionKey } from "../../../src/services/session/session-store.js";
import { deferred, scriptedStream } from "../../support/scripted-step.js";
import { refusedStatus, startWebSocketHarness, type TestClient } from "./websocket-harness.js";

type Harness = Awaited<ReturnType<typeof startWebSocketHarness>>;
let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** An in-memory store whose reads wait for `gate` (to hold a replay open while live events arrive). */
class GatedReadStore extends InMemorySessionStore {
  gate: Promise<void> | undefined;
  reading = deferred();

  override async read(key: SessionKey, options?: ReadOptions): Promise<SessionEvent[]> {
    if (this.gate !== undefined) {
      this.reading.resolve();
      await this.gate;
    }
    return super.read(key, options);
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The session's log as the HTTP API serves it (the SSE replay route's JSON form). */
async function logOf(h: Harness, sessionId: string, token?: string): Promise<SessionEvent[]> {
  const response = await fetch(`${h.server.url}/api/v1/sessions/${sessionId}/events`, {
    headers: token === undefined ? {} : bearer(token),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { events: SessionEvent[] }).events;
}

function sessionOf(client: TestClient): string {
  const first = client.messages.find((message) => message.type === "event");
  if (first?.type !== "event") throw new Error("no event yet");
  return first.session_id;
}

describe("WebSocket /api/v1/ws", () => {
  it("starts a run and streams its events as they happen, the same events the session log holds", async () => {
    const release = deferred();
    const script = scriptedStream([{ text: ["Hello", " world"], gate: release.promise }, { text: "Again" }]);
    harness = await startWebSocketHarness({ streamStep: script.streamStep });
    const client = await harness.connect();
    client.send({ type: "run", agent: "test-agent", input: "hi" });
    // run-start arrives while the model step is still held: events are streamed live, not at the end.
    await client.until(() => client.events().some((event) => event.type === "step-start"));
    expect(client.events().map((event) => event.type)).toEqual(["run-start", "step-start"]);
    release.resolve();
    await client.untilRunEnds();

    const sessionId = sessionOf(client);
    const events = client.events(sessionId);
    expect(events.map((event) => event.type)).toEqual([
      "run-start",
      "step-start",
      "text-delta",
      "text-delta",
      "step-end",
      "run-end",
    ]);
    expect(events.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events.at(-1)).toMatchObject({ type: "run-end", status: "completed", output: "Hello world" });
    expect(events).toEqual(await logOf(harness, sessionId));
    expect(new Set(events.map((event) => event.runId)).size).toBe(1);

    // A second turn in the same session on the same socket.
    client.send({ type: "run", agent: "test-agent", input: "again", session_id: sessionId });
    await client.untilRunEnds(2);
    expect(client.events(sessionId).map((event) => event.seq)).toEqual(
      (await logOf(harness, sessionId)).map((event) => event.seq),
    );
    expect(client.errors()).toEqual([]);
    expect(harness.unexpected).toEqual([]);
  });

  it("subscribe replays the log after SEQ, then follows the session live without duplicates", async () => {
    const release = deferred();
    const script = scriptedStream([{ text: ["one"] }, { text: ["two", " three"], gate: release.promise }]);
    harness = await startWebSocketHarness({ streamStep: script.streamStep });
    const first = await fetch(`${harness.server.url}/api/v1/agents/test-agent/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: "first" }),
    });
    const { session_id: sessionId } = (await first.json()) as { session_id: string };
    const stored = await logOf(harness, sessionId);
    expect(stored).toHaveLength(5);

    const client = await harness.connect();
    client.send({ type: "subscribe", session_id: sessionId, after: 2 });
    await client.until(() => client.events().length === 3);
    expect(client.events()).toEqual(stored.slice(2));

    // A run started elsewhere (the HTTP API) while subscribed arrives live.
    const second = fetch(`${harness.server.url}/api/v1/agents/test-agent/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: "second", session_id: sessionId }),
    });
    await client.until(() => client.events().some((event) => event.type === "step-start" && event.seq > 5));
    release.resolve();
    expect((await second).status).toBe(200);
    await client.untilRunEnds(2);
    const log = await logOf(harness, sessionId);
    expect(client.events()).toEqual(log.slice(2));

    // A second subscribe to the same session is refused; after unsubscribe, a replay from 0 works.
    client.send({ type: "subscribe", session_id: sessionId, id: "again" });
    expect(await client.nextError(1)).toMatchObject({ id: "again", error: { code: "BAD_REQUEST" } });
    client.send({ type: "unsubscribe", session_id: sessionId });
    const fresh = await harness.connect();
    fresh.send({ type: "subscribe", session_id: sessionId });
    await fresh.until(() => fresh.events().length === log.length);
    expect(fresh.events()).toEqual(log);
  });

  it("subscribing during a run replays what happened and continues with the rest", async () => {
    const release = deferred();
    const script = scriptedStream([{ text: ["slow"], gate: release.promise }]);
    harness = await startWebSocketHarness({ streamStep: script.streamStep });
    const runner = await harness.connect();
    runner.send({ type: "run", agent: "test-agent", input: "hi" });
    await runner.until(() => runner.events().some((event) => event.type === "step-start"));
    const watcher = await harness.connect();
    watcher.send({ type: "subscribe", session_id: sessionOf(runner) });
    await watcher.until(() => watcher.events().length === 2);
    release.resolve();
    await watcher.untilRunEnds();
    await runner.untilRunEnds();
    expect(watcher.events()).toEqual(runner.events());
    expect(watcher.events().map((event) => event.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it("events that arrive while the log is being replayed are sent once, in order", async () => {
    const modelGate = deferred();
    const readGate = deferred();
    const sessions = new GatedReadStore();
    const script = scriptedStream([{ text: ["a", "b", "c"], gate: modelGate.promise }]);
    harness = await startWebSocketHarness({ streamStep: script.streamStep, sessions });
    const runner = await harness.connect();
    runner.send({ type: "run", agent: "test-agent", input: "hi" });
    await runner.until(() => runner.events().some((event) => event.type === "step-start"));
    sessions.gate = readGate.promise;
    const watcher = await harness.connect();
    watcher.send({ type: "subscribe", session_id: sessionOf(runner), after: 1 });
    await sessions.reading.promise;
    // The run finishes while the watcher's replay read is held: every event reaches it live first.
    modelGate.resolve();
    await runner.untilRunEnds();
    expect(watcher.events()).toEqual([]);
    readGate.resolve();
    await watcher.untilRunEnds();
    expect(watcher.events()).toEqual(runner.events().slice(1));
    expect(watcher.events().map((event) => event.seq)).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it("aborts a run; an unknown run id is an error that echoes the message id", async () => {
    const hold = deferred();
    const script = scriptedStream([{ text: ["never"], gate: hold.promise }]);
    harness = await startWebSocketHarness({ streamStep: script.streamStep });
    const client = await harness.connect();
    client.send({ type: "run", agent: "test-agent", input: "hi" });
    await client.until(() => client.events().some((event) => event.type === "step-start"));
    const runId = client.events()[0]?.runId ?? "";
    client.send({ type: "abort", run_id: runId });
    await client.untilRunEnds();
    expect(client.events().at(-1)).toMatchObject({ type: "run-end", status: "aborted" });
    client.send({ type: "abort", run_id: runId, id: 7 });
    expect(await client.nextError(1)).toMatchObject({ id: 7, error: { code: "RUN_NOT_FOUND" } });
    client.send({ type: "abort", run_id: "run_does-not-exist" });
    expect((await client.nextError(2)).error.code).toBe("RUN_NOT_FOUND");
  });

  it("keeps tenants apart: another tenant's session and run ids are not found and nothing leaks", async () => {
    const hold = deferred();
    const script = scriptedStream([{ text: ["secret"], gate: hold.promise }]);
    harness = await startWebSocketHarness({ streamStep: script.streamStep, withKeys: true });
    const acme = await harness.connect(bearer(harness.tokens.acme));
    const beta = await harness.connect(bearer(harness.tokens.beta));
    acme.send({ type: "run", agent: "test-agent", input: "acme's secret" });
    await acme.until(() => acme.events().some((event) => event.type === "step-start"));
    const sessionId = sessionOf(acme);
    const runId = acme.events()[0]?.runId ?? "";

    beta.send({ type: "subscribe", session_id: sessionId });
    expect((await beta.nextError(1)).error.code).toBe("SESSION_NOT_FOUND");
    beta.send({ type: "abort", run_id: runId });
    expect((await beta.nextError(2)).error.code).toBe("RUN_NOT_FOUND");
    beta.send({ type: "unsubscribe", session_id: sessionId });
    hold.resolve();
    await acme.untilRunEnds();
    expect(acme.events().at(-1)).toMatchObject({ status: "completed", output: "secret" });
    // Let any stray event reach beta before checking that none did.
    beta.send({ type: "subscribe", session_id: "ses_unknown" });
    await beta.nextError(3);
    expect(beta.events()).toEqual([]);
    expect(JSON.stringify(beta.messages)).not.toContain("secret");
    // The same session id in beta's tenant is a different (empty) session.
    expect(await logOf(harness, sessionId, harness.tokens.acme)).toHaveLength(5);
    const missing = await fetch(`${harness.server.url}/api/v1/sessions/${sessionId}/events`, {
      headers: bearer(harness.tokens.beta),
    });
    expect(missing.status).toBe(404);
  });

  it("answers malformed messages with errors and keeps the socket open", async () => {
    harness = await startWebSocketHarness({ streamStep: scriptedStream([{ text: "ok" }]).streamStep });
    const client = await harness.connect();
    const bad: [unknown, string][] = [
      ["not json", "BAD_REQUEST"],
      ["[1,2]", "BAD_REQUEST"],
      ["null", "BAD_REQUEST"],
      ['"subscribe"', "BAD_REQUEST"],
      [{ type: "nope" }, "BAD_REQUEST"],
      [{ session_id: "x" }, "BAD_REQUEST"],
      [{ type: "subscribe" }, "BAD_REQUEST"],
      [{ type: "subscribe", session_id: "x", after: -1 }, "BAD_REQUEST"],
      [{ type: "subscribe", session_id: "x", after: "3" }, "BAD_REQUEST"],
      [{ type: "subscribe", session_id: "../etc" }, "INVALID_NAME"],
      [{ type: "subscribe", session_id: "a\u0000b" }, "INVALID_NAME"],
      [{ type: "unsubscribe", session_id: "/abs" }, "INVALID_NAME"],
      [{ type: "run", agent: "../secret", input: "hi" }, "INVALID_NAME"],
      [{ type: "run", agent: "test-agent", input: "hi", session_id: "../../x" }, "INVALID_NAME"],
      [{ type: "run", agent: "test-agent", input: "   " }, "BAD_REQUEST"],
      [{ type: "run", agent: "test-agent" }, "BAD_REQUEST"],
      [{ type: "run", agent: "missing", input: "hi" }, "AGENT_NOT_FOUND"],
      [{ type: "abort" }, "BAD_REQUEST"],
      [{ type: "run", agent: "x".repeat(300), input: "hi" }, "BAD_REQUEST"],
    ];
    for (const [message] of bad) client.send(message);
    await client.until(() => client.errors().length === bad.length);
    expect(client.errors().map((error) => error.error.code)).toEqual(bad.map(([, code]) => code));
    for (const error of client.errors()) expect(error.error.message.length).toBeGreaterThan(20);

    client.send(Buffer.from([1, 2, 3]));
    expect((await client.nextError(bad.length + 1)).error.message).toMatch(/text frames/);
    client.send({ type: "nope", id: "m1" });
    expect((await client.nextError(bad.length + 2)).id).toBe("m1");

    // Still open and working.
    client.send({ type: "run", agent: "test-agent", input: "hi" });
    await client.untilRunEnds();
    expect(client.events().at(-1)).toMatchObject({ status: "completed", output: "ok" });
    expect(harness.unexpected).toEqual([]);
  });

  it("closes the socket with 1009 for a frame larger than the limit", async () => {
    harness = await startWebSocketHarness({ streamStep: scriptedStream().streamStep, maxPayloadBytes: 1024 });
    const client = await harness.connect();
    client.send({ type: "run", agent: "test-agent", input: "x".repeat(2000) });
    expect((await client.closed).code).toBe(1009);
    expect(harness.runs.activeCount).toBe(0);
  });

  it("requires a credential when keys or a token exist: header or login cookie, never a query token", async () => {
    harness = await startWebSocketHarness({
      streamStep: scriptedStream([{ text: "hi" }]).streamStep,
      withKeys: true,
      authToken: "bootstrap-token",
    });
    const { wsUrl, tokens } = harness;
    expect(await refusedStatus(wsUrl)).toBe(401);
    expect(await refusedStatus(`${wsUrl}?token=${tokens.acme}`)).toBe(401);
    expect(await refusedStatus(`${wsUrl}?access_token=bootstrap-token`)).toBe(401);
    expect(await refusedStatus(wsUrl, bearer("pluto_000000000000_wrong"))).toBe(401);
    expect(await refusedStatus(wsUrl, { cookie: `${SESSION_COOKIE}=${tokens.acme}` })).toBe(401);

    const viaToken = await harness.connect(bearer("bootstrap-token"));
    viaToken.send({ type: "subscribe", session_id: "ses_none" });
    expect((await viaToken.nextError(1)).error.code).toBe("SESSION_NOT_FOUND");

    const apiKeys = harness.apiKeys;
    if (apiKeys === undefined) throw new Error("keys expected");
    const { token: cookie } = await mintToken(apiKeys, {
      tenant: "acme",
      role: "member",
      kind: "cookie",
      name: "browser",
      ttlMs: 60_000,
    });
    const browser = await harness.connect({ cookie: `${SESSION_COOKIE}=${cookie}` });
    browser.send({ type: "run", agent: "test-agent", input: "hi" });
    await browser.untilRunEnds();
    // The run belongs to the cookie's tenant.
    expect(await logOf(harness, sessionOf(browser), tokens.acme)).toHaveLength(5);
  });

  it("refuses a page from another origin, accepts this host's pages and public_url's", async () => {
    harness = await startWebSocketHarness({
      streamStep: scriptedStream().streamStep,
      publicUrl: "https://agents.example.com",
    });
    const host = new URL(harness.server.url).host;
    expect(await refusedStatus(harness.wsUrl, { origin: "https://evil.example" })).toBe(403);
    expect(await refusedStatus(harness.wsUrl, { origin: "null" })).toBe(403);
    await harness.connect({ origin: `http://${host}` });
    await harness.connect({ origin: "https://agents.example.com" });
  });

  it("a plain GET is a 400 in the error format; a server without WebSocket support says so", async () => {
    harness = await startWebSocketHarness({
      streamStep: scriptedStream().streamStep,
      withoutWebSocket: true,
    });
    const plain = await fetch(`${harness.server.url}/api/v1/ws`);
    expect(plain.status).toBe(400);
    expect(((await plain.json()) as { error: { code: string } }).error.code).toBe("BAD_REQUEST");
    const viaApp = await harness.app.request("/api/v1/ws", { headers: { upgrade: "websocket" } });
    expect(viaApp.status).toBe(404);
    expect(((await viaApp.json()) as { error: { message: string } }).error.message).toMatch(/not enabled/);
  });

  it("closes open sockets with 1001 when the server stops", async () => {
    harness = await startWebSocketHarness({ streamStep: scriptedStream().streamStep });
    const client = await harness.connect();
    const stopping = harness.server.close();
    expect((await client.closed).code).toBe(1001);
    await stopping;
    harness = undefined;
  });
});
