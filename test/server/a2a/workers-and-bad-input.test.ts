import { type StreamResponse, TaskState } from "@a2a-js/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { deferred, scriptedStream } from "../../support/scripted-step.js";
import {
  artifactText,
  postJson,
  sdkClient,
  sendRequest,
  sharedState,
  startA2aApp,
  userMessage,
} from "./a2a-harness.js";

type App = Awaited<ReturnType<typeof startA2aApp>>;
const apps: App[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) {
    await app.close();
    expect(app.unexpected).toEqual([]);
  }
});

async function start(options: Parameters<typeof startA2aApp>[0]): Promise<App> {
  const app = await startA2aApp(options);
  apps.push(app);
  return app;
}

async function drain(stream: AsyncGenerator<StreamResponse>): Promise<StreamResponse[]> {
  const events: StreamResponse[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe("A2A task state lives in Pluto's stores (two app instances as two workers)", () => {
  it("a task created on one instance is read, listed and continued from another", async () => {
    const shared = sharedState();
    const a = await start({ streamStep: scriptedStream([{ text: "from A" }]).streamStep, shared });
    const b = await start({ streamStep: scriptedStream([{ text: "from B" }]).streamStep, shared });
    const clientA = await sdkClient(a.url, "test-agent", "JSONRPC");
    const clientB = await sdkClient(b.url, "test-agent", "HTTP+JSON");
    const created = await clientA.sendMessage(sendRequest(userMessage("hello")));
    if (!("status" in created)) throw new Error("expected a task");

    const fetched = await clientB.getTask({ tenant: "", id: created.id, historyLength: undefined });
    expect(fetched.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactText(fetched)).toBe("from A");
    const listed = await clientB.listTasks({
      tenant: "",
      contextId: created.contextId,
      status: TaskState.TASK_STATE_UNSPECIFIED,
      pageSize: 10,
      pageToken: "",
      historyLength: undefined,
      statusTimestampAfter: undefined,
      includeArtifacts: false,
    });
    expect(listed.tasks.map((task) => task.id)).toEqual([created.id]);

    // The next turn of the same context runs on B, in the session A started.
    const next = await clientB.sendMessage(
      sendRequest(userMessage("again", { contextId: created.contextId })),
    );
    expect("status" in next && artifactText(next)).toBe("from B");
    const session = await shared.sessions.read({
      tenant: "default",
      agent: "test-agent",
      session: created.contextId,
    });
    expect(session.filter((event) => event.type === "run-end")).toHaveLength(2);
  });

  it("a cancel sent to another instance aborts the run on the instance running it", async () => {
    const shared = sharedState();
    const gate = deferred();
    const a = await start({
      streamStep: scriptedStream([{ text: "late", gate: gate.promise }]).streamStep,
      shared,
    });
    const b = await start({ streamStep: scriptedStream([]).streamStep, shared });
    const stream = (await sdkClient(a.url, "test-agent", "JSONRPC")).sendMessageStream(
      sendRequest(userMessage("long job")),
    );
    const first = (await stream.next()).value?.payload;
    if (first?.$case !== "task") throw new Error("the stream must start with the task");
    expect(a.runs.activeCount).toBe(1);

    const canceled = await (await sdkClient(b.url, "test-agent", "HTTP+JSON")).cancelTask({
      tenant: "",
      id: first.value.id,
      metadata: undefined,
    });
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    const rest = await drain(stream);
    const end = rest.at(-1)?.payload;
    expect(end?.$case === "statusUpdate" && end.value.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    expect(a.runs.activeCount).toBe(0);
    const session = await shared.sessions.read({
      tenant: "default",
      agent: "test-agent",
      session: first.value.contextId,
    });
    expect(session.at(-1)).toMatchObject({ type: "run-end", status: "aborted" });
  });

  it("a resubscribe sent to another instance follows the run through the session fan-out", async () => {
    const shared = sharedState();
    const gate = deferred();
    const a = await start({
      streamStep: scriptedStream([{ text: ["par", "tial"], gate: gate.promise }]).streamStep,
      shared,
    });
    const b = await start({ streamStep: scriptedStream([]).streamStep, shared });
    const stream = (await sdkClient(a.url, "test-agent", "JSONRPC")).sendMessageStream(
      sendRequest(userMessage("go")),
    );
    const first = (await stream.next()).value?.payload;
    if (first?.$case !== "task") throw new Error("the stream must start with the task");

    const follow = (await sdkClient(b.url, "test-agent", "JSONRPC")).resubscribeTask({
      tenant: "",
      id: first.value.id,
    });
    expect((await follow.next()).value?.payload?.$case).toBe("task");
    gate.resolve();
    const events = await drain(follow);
    const end = events.at(-1)?.payload;
    expect(end?.$case === "statusUpdate" && end.value.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const answer = events.findLast((event) => event.payload?.$case === "artifactUpdate")?.payload;
    expect(answer?.$case === "artifactUpdate" && answer.value.artifact?.parts[0]?.content).toEqual({
      $case: "text",
      value: "partial",
    });
    await drain(stream);
  });
});

describe("A2A malformed and hostile requests get protocol errors and change nothing", () => {
  const rpc = (app: App) => `${app.url}/a2a/test-agent/jsonrpc`;
  const v1 = { "A2A-Version": "1.0" };

  it("JSON-RPC: parse errors, invalid requests, unknown methods, bad params, versions and content types", async () => {
    const app = await start({ streamStep: scriptedStream([]).streamStep });
    const cases: [unknown, Record<string, string>, number][] = [
      ["{not json", v1, -32700],
      ["[1, 2]", v1, -32600],
      ['"just a string"', v1, -32600],
      [{ jsonrpc: "1.0", id: 1, method: "SendMessage", params: {} }, v1, -32600],
      [{ jsonrpc: "2.0", id: { object: true }, method: "GetTask", params: { id: "x" } }, v1, -32600],
      [{ jsonrpc: "2.0", id: 1, method: "DropTables", params: {} }, v1, -32601],
      [{ jsonrpc: "2.0", id: 1, method: "GetTask", params: ["x"] }, v1, -32602],
      [{ jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: "../../etc/passwd" } }, v1, -32001],
      [{ jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: "a\u0000b" } }, v1, -32001],
      [
        {
          jsonrpc: "2.0",
          id: 1,
          method: "SendMessage",
          params: { message: { messageId: "m", role: "ROLE_USER", parts: [] } },
        },
        v1,
        -32602,
      ],
      [
        {
          jsonrpc: "2.0",
          id: 1,
          method: "SendMessage",
          params: { message: { role: "ROLE_USER", parts: [{ text: "no id" }] } },
        },
        v1,
        -32602,
      ],
      [
        {
          jsonrpc: "2.0",
          id: 1,
          method: "SendMessage",
          params: {
            message: { messageId: "m", role: "ROLE_USER", parts: [{ text: "x" }], taskId: "../../x" },
          },
        },
        v1,
        -32001,
      ],
      [
        {
          jsonrpc: "2.0",
          id: 1,
          method: "message/send",
          params: {
            message: {
              kind: "message",
              messageId: "m",
              role: "user",
              parts: [{ kind: "text", text: "   " }],
            },
          },
        },
        {},
        -32602,
      ],
      [{ jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: "x" } }, { "A2A-Version": "0.5" }, -32009],
      // The SDK's decoder would turn these into the texts "5" and "[object Object]"; Pluto refuses them.
      [
        {
          jsonrpc: "2.0",
          id: 1,
          method: "SendMessage",
          params: { message: { messageId: "m", role: "ROLE_USER", parts: [{ text: 5 }] } },
        },
        v1,
        -32602,
      ],
      [
        {
          jsonrpc: "2.0",
          id: 1,
          method: "message/send",
          params: {
            message: { kind: "message", messageId: "m", role: "user", parts: [{ kind: "text", text: {} }] },
          },
        },
        {},
        -32602,
      ],
      [
        {
          jsonrpc: "2.0",
          id: 1,
          method: "SendMessage",
          params: { message: { messageId: "m", role: "ROLE_USER", parts: "hello" } },
        },
        v1,
        -32602,
      ],
    ];
    for (const [body, headers, code] of cases) {
      const response = await postJson(rpc(app), body, headers);
      expect(response.status, JSON.stringify(body)).toBe(200);
      const answer = (await response.json()) as { jsonrpc: string; error?: { code: number } };
      expect(answer.jsonrpc).toBe("2.0");
      expect(answer.error?.code, JSON.stringify(body)).toBe(code);
    }
    const wrongType = await fetch(rpc(app), {
      method: "POST",
      headers: { "content-type": "text/plain", ...v1 },
      body: "{}",
    });
    expect(((await wrongType.json()) as { error: { code: number } }).error.code).toBe(-32005);
    expect((await app.shared.tasks.list("default", "a2a")).total).toBe(0);
    expect(app.runs.activeCount).toBe(0);
  });

  it("HTTP+JSON: malformed bodies, unknown routes and hostile ids answer REST errors", async () => {
    const app = await start({ streamStep: scriptedStream([]).streamStep });
    const rest = `${app.url}/a2a/test-agent/rest`;
    const send = (body: string, type = "application/a2a+json") =>
      fetch(`${rest}/message:send`, { method: "POST", headers: { "content-type": type, ...v1 }, body });
    expect((await send("{broken")).status).toBe(400);
    expect((await send("[]")).status).toBe(400);
    expect((await send(JSON.stringify({ message: { role: "ROLE_USER", parts: [] } }))).status).toBe(400);
    const mistyped = await send(
      JSON.stringify({ message: { messageId: "m", role: "ROLE_USER", parts: [{ text: 5 }] } }),
    );
    expect(mistyped.status).toBe(400);
    expect((await send("{}", "text/xml")).status).toBe(400);
    const hostile = await fetch(`${rest}/tasks/..%2F..%2Fetc`, { headers: v1 });
    expect(hostile.status).toBe(404);
    const unknown = await fetch(`${rest}/a/b/message:send`, { method: "POST", headers: v1, body: "{}" });
    expect(unknown.status).toBe(404);
    const pageToken = await fetch(`${rest}/tasks?pageToken=not-a-token`, { headers: v1 });
    expect(pageToken.status).toBe(400);
    const pageSize = await fetch(`${rest}/tasks?pageSize=1000`, { headers: v1 });
    expect(pageSize.status).toBe(400);
    expect((await app.shared.tasks.list("default", "a2a")).total).toBe(0);
  });

  it("bodies above server.max_body_bytes get 413 before anything runs", async () => {
    const app = await start({ streamStep: scriptedStream([]).streamStep, maxBodyBytes: 1024 });
    const message = userMessage("x".repeat(4096));
    const response = await postJson(
      rpc(app),
      { jsonrpc: "2.0", id: 1, method: "SendMessage", params: { message } },
      v1,
    );
    expect(response.status).toBe(413);
    expect((await app.shared.tasks.list("default", "a2a")).total).toBe(0);
  });

  it("a context id that is not a safe name maps to a hashed session id", async () => {
    const app = await start({ streamStep: scriptedStream([{ text: "ok" }]).streamStep });
    const response = await postJson(
      rpc(app),
      {
        jsonrpc: "2.0",
        id: 1,
        method: "SendMessage",
        params: {
          message: { messageId: "m1", role: "ROLE_USER", contextId: "../../escape", parts: [{ text: "hi" }] },
        },
      },
      v1,
    );
    const body = (await response.json()) as {
      result: { task: { contextId: string; metadata: Record<string, string> } };
    };
    expect(body.result.task.contextId).toBe("../../escape");
    expect(body.result.task.metadata["pluto.session_id"]).toMatch(/^a2a-[0-9a-f]{40}$/);
  });
});
