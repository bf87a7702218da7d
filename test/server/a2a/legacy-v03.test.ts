import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { corpusPath } from "../../support/corpus.js";
import { scriptedStream } from "../../support/scripted-step.js";
import { expectSameShape, postJson, sseFrames, startA2aApp } from "./a2a-harness.js";

const CORPUS = corpusPath("a2a/v0.3/jsonrpc");

async function corpus(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path.join(CORPUS, name), "utf8")) as Record<string, unknown>;
}

type App = Awaited<ReturnType<typeof startA2aApp>>;
let app: App | undefined;

afterEach(async () => {
  await app?.close();
  expect(app?.unexpected).toEqual([]);
  app = undefined;
});

describe("A2A v0.3 JSON-RPC (raw requests shaped like the corpus, no A2A-Version header)", () => {
  it("message/send answers a v0.3 task shaped like the spec's sample", async () => {
    app = await startA2aApp({
      streamStep: scriptedStream([{ text: "Why did the chicken cross the road?" }]).streamStep,
    });
    const request = await corpus("message-send.request.json");
    const response = await postJson(`${app.url}/a2a/test-agent/jsonrpc`, request);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { id: unknown; result: Record<string, unknown> };
    expect(body.id).toBe(1);
    const sample = (await corpus("message-send.response-task.json")).result;
    expectSameShape(body.result, sample);
    expect(body.result).toMatchObject({
      kind: "task",
      status: { state: "completed" },
      artifacts: [{ parts: [{ kind: "text", text: "Why did the chicken cross the road?" }] }],
      history: [
        {
          role: "user",
          messageId: "9229e770-767c-417b-a0b0-f0741243c589",
          parts: [{ kind: "text", text: "tell me a joke" }],
        },
      ],
    });

    const get = await postJson(`${app.url}/a2a/test-agent/jsonrpc`, {
      jsonrpc: "2.0",
      id: "g1",
      method: "tasks/get",
      params: { id: body.result.id },
    });
    const task = (await get.json()) as { id: string; result: Record<string, unknown> };
    expect(task.id).toBe("g1");
    expect(task.result).toMatchObject({ kind: "task", id: body.result.id, status: { state: "completed" } });
  });

  it("message/stream answers SSE frames shaped like the spec's sample, ending with a final status", async () => {
    app = await startA2aApp({
      streamStep: scriptedStream([{ text: ["<section 1>", "<section 2>"], delayMs: 5 }]).streamStep,
    });
    const request = await corpus("message-stream.request.json");
    // The spec's sample sends the file as `data`, a field v0.3's FileWithBytes does not have: the SDK
    // refuses it as invalid params, and nothing is stored.
    const refused = await postJson(`${app.url}/a2a/test-agent/jsonrpc`, request);
    expect(await refused.json()).toMatchObject({ id: 1, error: { code: -32602 } });
    expect((await app.shared.tasks.list("default", "a2a")).total).toBe(0);
    // With the schema's `bytes` field the same request streams.
    const params = request.params as { message: { parts: Record<string, unknown>[] } };
    params.message.parts[1] = {
      kind: "file",
      file: { mimeType: "image/png", bytes: Buffer.from("png").toString("base64") },
    };
    const response = await postJson(`${app.url}/a2a/test-agent/jsonrpc`, request);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const frames = sseFrames(await response.text());
    const results = frames.map((frame) => (frame.data as { result: Record<string, unknown> }).result);
    const samples = (await readFile(path.join(CORPUS, "message-stream.response.sse"), "utf8"))
      .split("\n\n")
      .filter((block) => block.startsWith("data: "))
      .map((block) => (JSON.parse(block.slice(6)) as { result: Record<string, unknown> }).result);
    expect(results[0]?.kind).toBe("task");
    expectSameShape(results[0], { ...samples[0], status: { state: "submitted" } });
    const artifact = results.find((result) => result.kind === "artifact-update");
    expectSameShape(artifact, samples[1]);
    const last = results.at(-1);
    expectSameShape(last, samples.at(-1));
    expect(last).toMatchObject({ kind: "status-update", final: true, status: { state: "completed" } });
    // The file part of the sample reached the run as a note, the text verbatim.
    const events = await app.shared.sessions.read({
      tenant: "default",
      agent: "test-agent",
      session: String(results[0]?.contextId),
    });
    const input = events.find((event) => event.type === "run-start");
    expect(input?.type === "run-start" && input.input).toContain(
      "write a long paper describing the attached pictures",
    );
  });

  it("tasks/get of an unknown task is the v0.3 TaskNotFound error (-32001)", async () => {
    app = await startA2aApp({ streamStep: scriptedStream([]).streamStep });
    const response = await postJson(`${app.url}/a2a/test-agent/jsonrpc`, {
      jsonrpc: "2.0",
      id: 7,
      method: "tasks/get",
      params: { id: "missing" },
    });
    expect(await response.json()).toMatchObject({ jsonrpc: "2.0", id: 7, error: { code: -32001 } });
  });

  it("the A2A-Version: 0.3 header selects the same layer", async () => {
    app = await startA2aApp({ streamStep: scriptedStream([{ text: "ok" }]).streamStep });
    const response = await postJson(
      `${app.url}/a2a/test-agent/jsonrpc`,
      await corpus("message-send-2.request.json"),
      { "A2A-Version": "0.3" },
    );
    const body = (await response.json()) as { result?: Record<string, unknown> };
    expect(body.result).toMatchObject({ kind: "task", status: { state: "completed" } });
  });
});
