import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { SessionEvent } from "../../../src/core/events.js";
import { defineTool } from "../../../src/tools/define-tool.js";
import { lastUserText } from "../../runs/run-harness.js";
import { agentFixture } from "../../support/agent-fixture.js";
import { deferred, scriptedStream } from "../../support/scripted-step.js";
import { parseSse } from "../server-harness.js";
import { type ListeningAppOptions, startListeningApp } from "./listening-app.js";

const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.close()));
});

async function start(options: ListeningAppOptions) {
  const app = await startListeningApp(options);
  running.push(app);
  const client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: options.authToken ?? "unused" });
  return { ...app, client };
}

describe("OpenAI-compatible API with the official openai client", () => {
  it("lists agents as models and retrieves one; an unknown model is a 404 in OpenAI's error shape", async () => {
    const { client } = await start({
      streamStep: scriptedStream().streamStep,
      agents: [agentFixture({ name: "helper" }), agentFixture({ name: "writer" })],
    });
    const page = await client.models.list();
    expect(page.data).toEqual([
      { id: "helper", object: "model", created: 0, owned_by: "pluto" },
      { id: "writer", object: "model", created: 0, owned_by: "pluto" },
    ]);
    expect(await client.models.retrieve("writer")).toEqual({
      id: "writer",
      object: "model",
      created: 0,
      owned_by: "pluto",
    });
    const missing = await client.models.retrieve("nobody").catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing).toMatchObject({ status: 404, code: "AGENT_NOT_FOUND", type: "invalid_request_error" });
  });

  it("answers a non-streaming completion from the last user message, ignoring history and extra fields", async () => {
    const script = scriptedStream([{ text: ["Hello", " there"] }]);
    const { client, streamStepFor } = await start({ streamStep: script.streamStep });
    const { data, response } = await client.chat.completions
      .create({
        model: "test-agent",
        messages: [
          { role: "system", content: "Ignored: the agent has its own prompt." },
          { role: "user", content: "earlier question" },
          { role: "assistant", content: "earlier answer" },
          { role: "user", content: "hi" },
        ],
        temperature: 0.2,
        max_tokens: 100,
        top_p: 1,
        tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
        tool_choice: "auto",
        response_format: { type: "text" },
        metadata: { a: "b" },
        n: 1,
      })
      .withResponse();
    expect(data.id).toMatch(/^chatcmpl-run_[0-9a-f-]{36}$/);
    expect(data.object).toBe("chat.completion");
    expect(data.model).toBe("test-agent");
    expect(Math.abs(data.created - Date.now() / 1000)).toBeLessThan(60);
    expect(data.choices).toEqual([
      {
        index: 0,
        message: { role: "assistant", content: "Hello there", refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: "stop",
      },
    ]);
    expect(data.usage).toEqual({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 });
    expect(response.headers.get("x-pluto-run-id")).toBe(data.id.slice("chatcmpl-".length));
    expect(response.headers.get("x-pluto-session-id")).toMatch(/^ses_/);
    // Only the last user message reached the model; the system prompt is the agent's own.
    expect(script.requests).toHaveLength(1);
    expect(script.requests[0]?.messages).toEqual([{ role: "user", text: "hi" }]);
    expect(script.requests[0]?.system).toContain("You are a test agent.");
    expect(script.requests[0]?.system).not.toContain("Ignored");
    expect(streamStepFor.map((agent) => agent.name)).toEqual(["test-agent"]);
  });

  it("starts a new session on each call without user or header", async () => {
    const script = scriptedStream([{ text: "one" }, { text: "two" }]);
    const { client } = await start({ streamStep: script.streamStep });
    const first = await client.chat.completions
      .create({ model: "test-agent", messages: [{ role: "user", content: "a" }] })
      .withResponse();
    const second = await client.chat.completions
      .create({ model: "test-agent", messages: [{ role: "user", content: "b" }] })
      .withResponse();
    const firstSession = first.response.headers.get("x-pluto-session-id");
    expect(firstSession).not.toBe(second.response.headers.get("x-pluto-session-id"));
    expect(script.requests[1]?.messages).toEqual([{ role: "user", text: "b" }]);
  });

  it("keeps the conversation in a session keyed by `user` (per agent) or the x-pluto-session-id header", async () => {
    const script = scriptedStream([
      { text: "A1" },
      { text: "A2" },
      { text: "B1" },
      { text: "C1" },
      { text: "C2" },
    ]);
    const { client, sessions } = await start({
      streamStep: script.streamStep,
      agents: [agentFixture(), agentFixture({ name: "other" })],
    });
    const first = await client.chat.completions
      .create({ model: "test-agent", user: "alice", messages: [{ role: "user", content: "q1" }] })
      .withResponse();
    expect(first.response.headers.get("x-pluto-session-id")).toBe("test-agent.alice");
    await client.chat.completions.create({
      model: "test-agent",
      user: "alice",
      // The client resends history; Pluto ignores it and uses its own session log.
      messages: [
        { role: "user", content: "q1" },
        { role: "assistant", content: "A1" },
        { role: "user", content: "q2" },
      ],
    });
    expect(script.requests[1]?.messages).toEqual([
      { role: "user", text: "q1" },
      { role: "assistant", text: "A1", toolCalls: [] },
      { role: "user", text: "q2" },
    ]);
    // The same person talking to another agent gets that agent's own session, not a conflict.
    const other = await client.chat.completions
      .create({ model: "other", user: "alice", messages: [{ role: "user", content: "hello other" }] })
      .withResponse();
    expect(other.response.headers.get("x-pluto-session-id")).toBe("other.alice");
    expect(script.requests[2]?.messages).toEqual([{ role: "user", text: "hello other" }]);

    // An explicit session header wins over `user`.
    const headers = { "x-pluto-session-id": "chat-42" };
    const viaHeader = await client.chat.completions
      .create(
        { model: "test-agent", user: "alice", messages: [{ role: "user", content: "c1" }] },
        { headers },
      )
      .withResponse();
    expect(viaHeader.response.headers.get("x-pluto-session-id")).toBe("chat-42");
    await client.chat.completions.create(
      { model: "test-agent", messages: [{ role: "user", content: "c2" }] },
      { headers },
    );
    expect(script.requests[4]?.messages.map((message) => message.role)).toEqual([
      "user",
      "assistant",
      "user",
    ]);
    expect(lastUserText(script.requests[4]!)).toBe("c2");
    const log = await sessions.read({ tenant: "default", agent: "test-agent", session: "chat-42" });
    expect(log.filter((event) => event.type === "run-end")).toHaveLength(2);
  });

  it("maps a `user` that is not a safe name to a hashed session id", async () => {
    const script = scriptedStream([{ text: "x" }, { text: "y" }]);
    const { client } = await start({ streamStep: script.streamStep });
    const ask = () =>
      client.chat.completions
        .create({
          model: "test-agent",
          user: "alice@example.com/../x",
          messages: [{ role: "user", content: "q" }],
        })
        .withResponse();
    const first = await ask();
    const session = first.response.headers.get("x-pluto-session-id");
    expect(session).toMatch(/^test-agent\.u-[0-9a-f]{40}$/);
    const second = await ask();
    expect(second.response.headers.get("x-pluto-session-id")).toBe(session);
    expect(script.requests[1]?.messages).toHaveLength(3);
  });

  it("joins text parts of the last user message", async () => {
    const script = scriptedStream([{ text: "ok" }]);
    const { client } = await start({ streamStep: script.streamStep });
    await client.chat.completions.create({
      model: "test-agent",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "line one" },
            { type: "text", text: "line two" },
          ],
        },
      ],
    });
    expect(lastUserText(script.requests[0]!)).toBe("line one\nline two");
  });

  it("reports finish_reason length when the model stopped at its token limit", async () => {
    const { client } = await start({
      streamStep: scriptedStream([{ text: "cut", finishReason: "length" }]).streamStep,
    });
    const completion = await client.chat.completions.create({
      model: "test-agent",
      messages: [{ role: "user", content: "long" }],
    });
    expect(completion.choices[0]?.finish_reason).toBe("length");
  });

  it("streams role, content deltas, finish_reason and a usage chunk with the client", async () => {
    const script = scriptedStream([
      {
        text: ["Hel", "lo", "!"],
        usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10, cachedInputTokens: 2 },
      },
    ]);
    const { client } = await start({ streamStep: script.streamStep });
    const stream = await client.chat.completions.create({
      model: "test-agent",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const id = chunks[0]?.id;
    expect(id).toMatch(/^chatcmpl-run_/);
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({ id, object: "chat.completion.chunk", model: "test-agent" });
    }
    expect(chunks.map((chunk) => chunk.choices[0]?.delta ?? null)).toEqual([
      { role: "assistant", content: "" },
      { content: "Hel" },
      { content: "lo" },
      { content: "!" },
      {},
      null,
    ]);
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason ?? null)).toEqual([
      null,
      null,
      null,
      null,
      "stop",
      null,
    ]);
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toEqual({
      prompt_tokens: 7,
      completion_tokens: 3,
      total_tokens: 10,
      prompt_tokens_details: { cached_tokens: 2 },
    });
  });

  it("sends exact `data:` frames ending with [DONE], and no usage chunk unless asked", async () => {
    const { url } = await start({ streamStep: scriptedStream([{ text: ["a", "b"] }]).streamStep });
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "test-agent",
        messages: [{ role: "user", content: "hi" }],
        stream: true,
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("x-pluto-session-id")).toMatch(/^ses_/);
    const frames = parseSse(await response.text());
    for (const frame of frames) expect(frame.lines).toEqual([`data: ${frame.data}`]);
    expect(frames.at(-1)?.data).toBe("[DONE]");
    const chunks = frames.slice(0, -1).map((frame) => JSON.parse(frame.data) as Record<string, unknown>);
    expect(chunks).toHaveLength(4);
    expect(chunks.every((chunk) => !("usage" in chunk))).toBe(true);
    expect(chunks[3]).toMatchObject({
      choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }],
    });
  });

  it("streams text of every step (separated by a blank line) but answers only the final text as JSON", async () => {
    const lookup = defineTool({
      name: "lookup",
      description: "Looks something up.",
      input: z.object({ q: z.string() }),
      run: async ({ q }) => ({ content: `found ${q}` }),
    });
    const steps = () => [
      { text: "Let me check.", toolCalls: [{ toolCallId: "c1", toolName: "lookup", input: { q: "x" } }] },
      { text: ["The answer", " is x."] },
    ];
    const script = scriptedStream([...steps(), ...steps()]);
    const { client } = await start({ streamStep: script.streamStep, tools: [lookup] });
    const json = await client.chat.completions.create({
      model: "test-agent",
      messages: [{ role: "user", content: "q" }],
    });
    expect(json.choices[0]?.message.content).toBe("The answer is x.");
    expect(json.usage?.total_tokens).toBe(30);
    const stream = await client.chat.completions.create({
      model: "test-agent",
      messages: [{ role: "user", content: "q" }],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("Let me check.\n\nThe answer is x.");
  });

  it("aborts the run when a streaming client disconnects", async () => {
    const gate = deferred();
    const { client, sessions, runs } = await start({
      streamStep: scriptedStream([{ text: ["never sent"], gate: gate.promise }]).streamStep,
    });
    const { data: stream, response } = await client.chat.completions
      .create({ model: "test-agent", messages: [{ role: "user", content: "hi" }], stream: true })
      .withResponse();
    const session = response.headers.get("x-pluto-session-id") ?? "";
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.choices[0]?.delta.role).toBe("assistant");
    stream.controller.abort();
    await expect.poll(() => runs.activeCount, { timeout: 5000 }).toBe(0);
    const log = await sessions.read({ tenant: "default", agent: "test-agent", session });
    expect(runEnd(log)).toMatchObject({ status: "aborted", error: { code: "RUN_ABORTED" } });
    gate.resolve();
  });
});

/** The run-end event of a session log. */
function runEnd(events: readonly SessionEvent[]) {
  return events.findLast((event) => event.type === "run-end");
}
