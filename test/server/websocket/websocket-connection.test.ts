import { describe, expect, it } from "vitest";
import { WebSocketConnection } from "../../../src/server/websocket/websocket-connection.js";
import type { ServerMessage } from "../../../src/server/websocket/websocket-protocol.js";
import { createRunHarness } from "../../runs/run-harness.js";
import { deferred, scriptedStream } from "../../support/scripted-step.js";

/** A connection over a real RunManager and in-memory stores, recording what it sends. */
function connectionOver(options: {
  specs?: Parameters<typeof scriptedStream>[0];
  maxSessions?: number;
  maxPending?: number;
}) {
  const harness = createRunHarness({ streamStep: scriptedStream(options.specs ?? []).streamStep });
  const sent: ServerMessage[] = [];
  const connection = new WebSocketConnection({
    tenant: "default",
    runs: harness.runs,
    sessions: harness.sessions,
    send: (message) => sent.push(message),
    ...(options.maxSessions === undefined ? {} : { maxSessions: options.maxSessions }),
    ...(options.maxPending === undefined ? {} : { maxPending: options.maxPending }),
  });
  return { harness, connection, sent };
}

const errorCodes = (sent: ServerMessage[]) =>
  sent.flatMap((message) => (message.type === "error" ? [message.error.code] : []));

describe("WebSocketConnection", () => {
  it("limits the sessions one socket follows", async () => {
    const hold = deferred();
    const { connection, sent, harness } = connectionOver({
      specs: [
        { text: "1", gate: hold.promise },
        { text: "2", gate: hold.promise },
      ],
      maxSessions: 1,
    });
    await connection.handleText(JSON.stringify({ type: "run", agent: "test-agent", input: "one" }));
    expect(connection.sessionCount).toBe(1);
    await connection.handleText(JSON.stringify({ type: "run", agent: "test-agent", input: "two", id: "r2" }));
    expect(sent.filter((message) => message.type === "error")).toMatchObject([
      { id: "r2", error: { code: "LIMIT_EXCEEDED" } },
    ]);
    expect(harness.runs.activeCount).toBe(1);
    hold.resolve();
    while (!sent.some((message) => message.type === "event" && message.event.type === "run-end")) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // The run ended: the socket no longer follows its session, so there is room again.
    expect(connection.sessionCount).toBe(0);
  });

  it("refuses messages beyond maxPending while earlier ones are handled", async () => {
    const { connection, sent } = connectionOver({ maxPending: 2 });
    const frame = JSON.stringify({ type: "subscribe", session_id: "ses_none" });
    await Promise.all([1, 2, 3, 4].map(() => connection.handleText(frame)));
    expect(errorCodes(sent).sort()).toEqual([
      "LIMIT_EXCEEDED",
      "LIMIT_EXCEEDED",
      "SESSION_NOT_FOUND",
      "SESSION_NOT_FOUND",
    ]);
  });

  it("after close nothing more is sent, and runs it started keep running", async () => {
    const hold = deferred();
    const { connection, sent, harness } = connectionOver({ specs: [{ text: "done", gate: hold.promise }] });
    await connection.handleText(JSON.stringify({ type: "run", agent: "test-agent", input: "hi" }));
    while (!sent.some((message) => message.type === "event"))
      await new Promise((resolve) => setTimeout(resolve, 5));
    const before = sent.length;
    connection.close();
    expect(connection.sessionCount).toBe(0);
    hold.resolve();
    const first = sent[0];
    if (first?.type !== "event") throw new Error("expected an event");
    const key = { tenant: "default", agent: "test-agent", session: first.session_id };
    await harness.runs.whenIdle(key);
    expect(sent.length).toBe(before);
    expect((await harness.sessions.read(key)).at(-1)).toMatchObject({ type: "run-end", status: "completed" });
    await connection.handleText(JSON.stringify({ type: "nope" }));
    expect(sent.length).toBe(before);
  });
});
