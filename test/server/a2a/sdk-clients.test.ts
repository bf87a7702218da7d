import { type StreamResponse, type Task, TaskState } from "@a2a-js/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { deferred, scriptedStream } from "../../support/scripted-step.js";
import { artifactText, sdkClient, sendRequest, startA2aApp, userMessage } from "./a2a-harness.js";

type App = Awaited<ReturnType<typeof startA2aApp>>;
let app: App | undefined;

afterEach(async () => {
  await app?.close();
  expect(app?.unexpected).toEqual([]);
  app = undefined;
});

function taskOf(result: Awaited<ReturnType<Awaited<ReturnType<typeof sdkClient>>["sendMessage"]>>): Task {
  if (!("status" in result)) throw new Error("expected a task, got a message");
  return result;
}

async function collect(stream: AsyncIterable<StreamResponse>): Promise<StreamResponse[]> {
  const events: StreamResponse[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe.each(["JSONRPC", "HTTP+JSON"] as const)("@a2a-js/sdk client over %s (A2A v1.0)", (transport) => {
  it("sends a message and gets the completed task with the answer as an artifact", async () => {
    const script = scriptedStream([{ text: ["Hello", ", world"] }]);
    app = await startA2aApp({ streamStep: script.streamStep });
    const client = await sdkClient(app.url, "test-agent", transport);
    expect(client.protocolVersion).toBe("1.0");

    const task = taskOf(await client.sendMessage(sendRequest(userMessage("hi"))));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactText(task)).toBe("Hello, world");
    expect(task.metadata?.["pluto.run_id"]).toMatch(/^run_/);
    expect(task.metadata?.["pluto.session_id"]).toBe(task.contextId);
    expect(task.history[0]?.parts[0]?.content).toEqual({ $case: "text", value: "hi" });

    // The context is a Pluto session: the run's input landed there.
    const events = await app.shared.sessions.read({
      tenant: "default",
      agent: "test-agent",
      session: task.contextId,
    });
    expect(events.find((event) => event.type === "run-start")).toMatchObject({ input: "hi" });

    const fetched = await client.getTask({ tenant: "", id: task.id, historyLength: undefined });
    expect(fetched.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactText(fetched)).toBe("Hello, world");
  });

  it("streams the task, artifact chunks and the final status", async () => {
    const script = scriptedStream([{ text: ["one ", "two ", "three"], delayMs: 5 }]);
    app = await startA2aApp({ streamStep: script.streamStep });
    const client = await sdkClient(app.url, "test-agent", transport);

    const events = await collect(client.sendMessageStream(sendRequest(userMessage("count"))));
    const cases = events.map((event) => event.payload?.$case);
    expect(cases[0]).toBe("task");
    expect(cases.at(-1)).toBe("statusUpdate");
    expect(cases.filter((name) => name === "artifactUpdate").length).toBeGreaterThanOrEqual(2);
    const last = events.at(-1)?.payload;
    expect(last?.$case === "statusUpdate" && last.value.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const final = events.findLast((event) => event.payload?.$case === "artifactUpdate")?.payload;
    expect(final?.$case === "artifactUpdate" && final.value).toMatchObject({
      lastChunk: true,
      append: false,
    });
    expect(final?.$case === "artifactUpdate" && final.value.artifact?.parts[0]?.content).toEqual({
      $case: "text",
      value: "one two three",
    });
  });

  it("continues a context in the same session and lists the agent's tasks", async () => {
    const script = scriptedStream([{ text: "first" }, { text: "second" }]);
    app = await startA2aApp({ streamStep: script.streamStep });
    const client = await sdkClient(app.url, "test-agent", transport);
    const first = taskOf(await client.sendMessage(sendRequest(userMessage("remember 42"))));
    const second = taskOf(
      await client.sendMessage(sendRequest(userMessage("what number?", { contextId: first.contextId }))),
    );
    expect(second.contextId).toBe(first.contextId);
    expect(second.id).not.toBe(first.id);
    const texts = script.requests[1]?.messages.map((message) => ("text" in message ? message.text : ""));
    expect(texts).toContain("remember 42");

    const listed = await client.listTasks({
      tenant: "",
      contextId: "",
      status: TaskState.TASK_STATE_UNSPECIFIED,
      pageSize: 1,
      pageToken: "",
      historyLength: undefined,
      statusTimestampAfter: undefined,
      includeArtifacts: true,
    });
    expect(listed.totalSize).toBe(2);
    expect(listed.tasks.map((task) => task.id)).toEqual([second.id]);
    expect(listed.nextPageToken).not.toBe("");
    const next = await client.listTasks({
      tenant: "",
      contextId: first.contextId,
      status: TaskState.TASK_STATE_COMPLETED,
      pageSize: 10,
      pageToken: listed.nextPageToken,
      historyLength: 0,
      statusTimestampAfter: undefined,
      includeArtifacts: false,
    });
    expect(next.tasks.map((task) => task.id)).toEqual([first.id]);
    expect(next.tasks[0]?.artifacts).toEqual([]);
  });

  it("cancels a running task: the run is aborted and the task ends canceled", async () => {
    const gate = deferred();
    const script = scriptedStream([{ text: "never", gate: gate.promise }]);
    app = await startA2aApp({ streamStep: script.streamStep });
    const client = await sdkClient(app.url, "test-agent", transport);

    const stream = client.sendMessageStream(sendRequest(userMessage("wait")));
    const first = await stream.next();
    const payload = first.value?.payload;
    if (payload?.$case !== "task") throw new Error("the stream must start with the task");
    expect(payload.value.status?.state).toBe(TaskState.TASK_STATE_WORKING);
    expect(app.runs.activeCount).toBe(1);

    const canceled = await client.cancelTask({ tenant: "", id: payload.value.id, metadata: undefined });
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    const rest = await collect({ [Symbol.asyncIterator]: () => stream });
    const end = rest.at(-1)?.payload;
    expect(end?.$case === "statusUpdate" && end.value.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    expect(app.runs.activeCount).toBe(0);
    const stored = await client.getTask({ tenant: "", id: payload.value.id, historyLength: undefined });
    expect(stored.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    // A finished task cannot be canceled again into another state.
    await expect(
      client.cancelTask({ tenant: "", id: payload.value.id, metadata: undefined }),
    ).resolves.toMatchObject({
      status: { state: TaskState.TASK_STATE_CANCELED },
    });
  });

  it("resubscribes to a running task and sees it finish", async () => {
    const gate = deferred();
    const script = scriptedStream([{ text: "done", gate: gate.promise }]);
    app = await startA2aApp({ streamStep: script.streamStep });
    const client = await sdkClient(app.url, "test-agent", transport);
    const stream = client.sendMessageStream(sendRequest(userMessage("go")));
    const first = (await stream.next()).value?.payload;
    if (first?.$case !== "task") throw new Error("the stream must start with the task");

    const again = client.resubscribeTask({ tenant: "", id: first.value.id });
    const snapshot = (await again.next()).value?.payload;
    expect(snapshot?.$case).toBe("task");
    gate.resolve();
    const events = await collect({ [Symbol.asyncIterator]: () => again });
    const end = events.at(-1)?.payload;
    expect(end?.$case === "statusUpdate" && end.value.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    await collect({ [Symbol.asyncIterator]: () => stream });
  });

  it("reports an unknown task id as TaskNotFound", async () => {
    app = await startA2aApp({ streamStep: scriptedStream([]).streamStep });
    const client = await sdkClient(app.url, "test-agent", transport);
    await expect(
      client.getTask({ tenant: "", id: "no-such-task", historyLength: undefined }),
    ).rejects.toThrow(/not found/i);
    await expect(
      client.getTask({ tenant: "", id: "../../etc/passwd", historyLength: undefined }),
    ).rejects.toThrow(/not found/i);
  });
});
