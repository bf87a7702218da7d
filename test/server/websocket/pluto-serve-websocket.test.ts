import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionEvent } from "../../../src/core/events.js";
import type { ServerMessage } from "../../../src/server/websocket/websocket-protocol.js";
import { type FakeModel, startFakeModel } from "../../support/fake-model/fake-model.js";
import { runPluto, type ServeProcess, startServe, tempProject } from "../../support/pluto-process.js";

/** Node's global WebSocket (the WHATWG one browsers have: no custom headers) against `pluto serve`. */
describe("pluto serve over WebSocket with the standard WebSocket client", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let server: ServeProcess;

  beforeAll(async () => {
    fake = await startFakeModel();
    project = await tempProject();
    const env = { OPENAI_API_KEY: "sk-test-websocket", OPENAI_BASE_URL: `${fake.url}/v1` };
    const init = await runPluto(["init", "demo"], { cwd: project.dir, env });
    expect(init.code, init.stderr).toBe(0);
    server = await startServe({ cwd: project.dir, env });
  }, 60_000);
  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
    await fake?.close();
    await project?.cleanup();
  });

  it("runs the agent, streams its events and replays them to a second socket", async () => {
    fake.enqueue({ text: ["Hello", " from", " demo"] });
    const url = `${server.url.replace(/^http/, "ws")}/api/v1/ws`;
    const socket = new WebSocket(url);
    const messages: ServerMessage[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      socket.addEventListener("message", (message) => {
        const parsed = JSON.parse(String(message.data)) as ServerMessage;
        messages.push(parsed);
        if (parsed.type === "error") reject(new Error(JSON.stringify(parsed)));
        if (parsed.type === "event" && parsed.event.type === "run-end") resolve();
      });
      socket.addEventListener("error", () => reject(new Error("socket error")));
    });
    await new Promise((resolve) => socket.addEventListener("open", resolve, { once: true }));
    socket.send(JSON.stringify({ type: "run", agent: "demo", input: "hi" }));
    await ended;
    const events = messages.flatMap((message) => (message.type === "event" ? [message.event] : []));
    expect(events.at(-1)).toMatchObject({ type: "run-end", status: "completed", output: "Hello from demo" });
    const sessionId = messages[0]?.type === "event" ? messages[0].session_id : "";
    socket.close();

    const replay = new WebSocket(url);
    const replayed: SessionEvent[] = [];
    const done = new Promise<void>((resolve) => {
      replay.addEventListener("message", (message) => {
        const parsed = JSON.parse(String(message.data)) as ServerMessage;
        if (parsed.type === "event") replayed.push(parsed.event);
        if (replayed.length === events.length) resolve();
      });
    });
    await new Promise((resolve) => replay.addEventListener("open", resolve, { once: true }));
    replay.send(JSON.stringify({ type: "subscribe", session_id: sessionId }));
    await done;
    expect(replayed).toEqual(events);
    replay.close();
  });
});
