import { describe, expect, it } from "vitest";
import { PlutoError } from "../../src/core/errors.js";
import type {
  RunEvent,
  SessionEvent,
  RunEvent as StoredRunEvent,
  ToolResultEvent,
} from "../../src/core/events.js";
import type { StreamStep } from "../../src/llm/model-step.js";
import { InMemorySessionStore } from "../../src/services/session/in-memory-session-store.js";
import type { SessionKey, SessionStore } from "../../src/services/session/session-store.js";
import type { Tool, ToolContext } from "../../src/tools/tool.js";
import { agentFixture } from "../support/agent-fixture.js";
import { SCRIPTED_USAGE, scriptedStream } from "../support/scripted-step.js";
import { KEY, runOnce, typesOf } from "./executor-harness.js";

function echoTool(calls: { input: unknown; context: ToolContext }[] = []): Tool {
  return {
    name: "echo",
    description: "Echoes its input text.",
    inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
    async execute(input, context) {
      calls.push({ input, context });
      return { content: `echo: ${(input as { text: string }).text}`, details: { length: 4 } };
    },
  };
}

function expectGapFree(events: readonly SessionEvent[]): void {
  expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
}

function toolResults(events: readonly SessionEvent[]): ToolResultEvent[] {
  return events.filter((event): event is SessionEvent & ToolResultEvent => event.type === "tool-result");
}

describe("executeRun: plain answer", () => {
  it("emits run-start, step-start, text deltas, step-end, run-end completed with output and usage", async () => {
    const script = scriptedStream([
      { text: ["Hel", "lo ", "there"], usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10 } },
    ]);
    const agent = agentFixture({ parameters: { temperature: 0.3, maxOutputTokens: 99 } });
    const { end, events, durable } = await runOnce({ agent, streamStep: script.streamStep, input: "Hi!" });

    expect(typesOf(events)).toEqual([
      "run-start",
      "step-start",
      "text-delta",
      "text-delta",
      "text-delta",
      "step-end",
      "run-end",
    ]);
    expectGapFree(events);
    expect(events.every((event) => event.runId === "run-1")).toBe(true);
    expect(events[0]).toMatchObject({
      type: "run-start",
      agent: "test-agent",
      input: "Hi!",
      model: agent.model,
    });
    expect(events[1]).toMatchObject({ type: "step-start", step: 1, model: "scripted/test-model" });
    expect(
      events.filter((event) => event.type === "text-delta").map((event) => (event as { text: string }).text),
    ).toEqual(["Hel", "lo ", "there"]);
    expect(events[5]).toMatchObject({
      type: "step-end",
      step: 1,
      finishReason: "stop",
      usage: { totalTokens: 10 },
    });
    expect(end).toMatchObject({
      type: "run-end",
      status: "completed",
      output: "Hello there",
      steps: 1,
      usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10 },
    });
    expect(end.error).toBeUndefined();
    expect(events.at(-1)).toEqual({ ...end, seq: 7 });
    for (const event of events) expect(Number.isNaN(Date.parse(event.time))).toBe(false);

    // Subscribers see every event exactly once, in order, only after it is durable.
    expect(durable.flat()).toEqual(events);

    const request = script.requests[0];
    expect(script.requests).toHaveLength(1);
    expect(request?.system).toBe("SYSTEM");
    expect(request?.messages).toEqual([{ role: "user", text: "Hi!" }]);
    expect(request?.temperature).toBe(0.3);
    expect(request?.maxOutputTokens).toBe(99);
    expect(request?.tools).toEqual([]);
  });

  it("sums usage over steps, including optional reasoning and cached counts", async () => {
    const tool = echoTool();
    const script = scriptedStream([
      {
        toolCalls: [{ toolCallId: "c1", toolName: "echo", input: { text: "a" } }],
        usage: { inputTokens: 100, outputTokens: 10, totalTokens: 110, cachedInputTokens: 50 },
      },
      { text: "done", usage: { inputTokens: 200, outputTokens: 20, totalTokens: 220, reasoningTokens: 5 } },
    ]);
    const { end } = await runOnce({ agent: agentFixture(), streamStep: script.streamStep, tools: [tool] });
    expect(end.usage).toEqual({
      inputTokens: 300,
      outputTokens: 30,
      totalTokens: 330,
      reasoningTokens: 5,
      cachedInputTokens: 50,
    });
    expect(end.steps).toBe(2);
  });

  it("records reasoning deltas but keeps them out of the output", async () => {
    const script = scriptedStream([{ reasoning: ["think", "ing"], text: "answer" }]);
    const { end, events } = await runOnce({ agent: agentFixture(), streamStep: script.streamStep });
    expect(typesOf(events)).toEqual([
      "run-start",
      "step-start",
      "reasoning-delta",
      "reasoning-delta",
      "text-delta",
      "step-end",
      "run-end",
    ]);
    expect(end.output).toBe("answer");
  });

  it("omits output when the model answers with no text, and reports a missing finish as unknown with zero usage", async () => {
    const script = scriptedStream([{ omitFinish: true }]);
    const { end, events } = await runOnce({ agent: agentFixture(), streamStep: script.streamStep });
    expect(end.status).toBe("completed");
    expect(end.output).toBeUndefined();
    expect(events.find((event) => event.type === "step-end")).toMatchObject({
      finishReason: "unknown",
      usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
    });
  });

  it("groups a burst of events into few appends while a slow append is in flight (group commit)", async () => {
    const store = new InMemorySessionStore();
    let appends = 0;
    const counting: SessionStore = {
      append: async (key, events, options) => {
        appends += 1;
        // A durable backend takes a while per append (fsync); events arriving meanwhile must queue up.
        await new Promise((resolve) => setTimeout(resolve, 5));
        return store.append(key, events, options);
      },
      read: (key, options) => store.read(key, options),
      info: (key) => store.info(key),
      list: (scope) => store.list(scope),
      delete: (key) => store.delete(key),
    };
    const chunks = Array.from({ length: 200 }, (_, index) => `t${index} `);
    const script = scriptedStream([{ text: chunks }]);
    const { events } = await runOnce({
      agent: agentFixture(),
      streamStep: script.streamStep,
      store: counting,
    });
    expect(events).toHaveLength(204);
    expectGapFree(events);
    expect(appends).toBeLessThan(20);
  });

  it("continues a session after earlier events, numbering from the last seq", async () => {
    const store = new InMemorySessionStore();
    await runOnce({ agent: agentFixture(), streamStep: scriptedStream([{ text: "one" }]).streamStep, store });
    const second = scriptedStream([{ text: "two" }]);
    const { events } = await runOnce({
      agent: agentFixture(),
      streamStep: second.streamStep,
      store,
      runId: "run-2",
      input: "again",
    });
    expectGapFree(events);
    expect(events).toHaveLength(10);
    expect(second.requests[0]?.messages).toEqual([
      { role: "user", text: "Hello" },
      { role: "assistant", text: "one", toolCalls: [] },
      { role: "user", text: "again" },
    ]);
  });
});

describe("executeRun: tools", () => {
  it("runs the tool loop and feeds the call and its result to the next step", async () => {
    const calls: { input: unknown; context: ToolContext }[] = [];
    const script = scriptedStream([
      {
        text: "Let me check.",
        toolCalls: [{ toolCallId: "call-1", toolName: "echo", input: { text: "ping" } }],
      },
      { text: "The tool said ping." },
    ]);
    const { end, events } = await runOnce({
      agent: agentFixture(),
      streamStep: script.streamStep,
      tools: [echoTool(calls)],
      input: "Use the tool",
    });

    expect(typesOf(events)).toEqual([
      "run-start",
      "step-start",
      "text-delta",
      "tool-call",
      "step-end",
      "tool-result",
      "step-start",
      "text-delta",
      "step-end",
      "run-end",
    ]);
    expectGapFree(events);
    expect(events[3]).toMatchObject({
      type: "tool-call",
      step: 1,
      toolCallId: "call-1",
      toolName: "echo",
      input: { text: "ping" },
    });
    expect(events[4]).toMatchObject({ type: "step-end", finishReason: "tool-calls" });
    expect(events[5]).toMatchObject({
      type: "tool-result",
      step: 1,
      toolCallId: "call-1",
      toolName: "echo",
      content: "echo: ping",
      isError: false,
      details: { length: 4 },
    });
    expect(events[5]).not.toHaveProperty("artifact");
    expect(events[6]).toMatchObject({ type: "step-start", step: 2 });
    expect(end).toMatchObject({ status: "completed", steps: 2, output: "The tool said ping." });
    expect(end.usage.totalTokens).toBe(2 * SCRIPTED_USAGE.totalTokens);

    expect(calls).toHaveLength(1);
    expect(calls[0]?.input).toEqual({ text: "ping" });
    expect(calls[0]?.context).toMatchObject({
      scope: { tenant: "default", agent: "test-agent" },
      sessionId: KEY.session,
      runId: "run-1",
      toolCallId: "call-1",
    });
    expect(calls[0]?.context.signal).toBeInstanceOf(AbortSignal);

    expect(script.requests[0]?.tools).toEqual([
      { name: "echo", description: "Echoes its input text.", inputSchema: echoTool().inputSchema },
    ]);
    expect(script.requests[1]?.messages).toEqual([
      { role: "user", text: "Use the tool" },
      {
        role: "assistant",
        text: "Let me check.",
        toolCalls: [{ toolCallId: "call-1", toolName: "echo", input: { text: "ping" } }],
      },
      {
        role: "tool",
        results: [{ toolCallId: "call-1", toolName: "echo", content: "echo: ping", isError: false }],
      },
    ]);
  });

  it("runs several tool calls of one step and reports results in call order", async () => {
    const slow: Tool = {
      name: "slow",
      description: "Answers late.",
      inputSchema: { type: "object" },
      execute: async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return { content: "slow done" };
      },
    };
    const script = scriptedStream([
      {
        toolCalls: [
          { toolCallId: "a", toolName: "slow", input: {} },
          { toolCallId: "b", toolName: "echo", input: { text: "fast" } },
        ],
      },
      { text: "ok" },
    ]);
    const { events } = await runOnce({
      agent: agentFixture(),
      streamStep: script.streamStep,
      tools: [slow, echoTool()],
    });
    expect(toolResults(events).map((result) => [result.toolCallId, result.content])).toEqual([
      ["a", "slow done"],
      ["b", "echo: fast"],
    ]);
    const toolMessage = script.requests[1]?.messages.at(-1);
    expect(toolMessage).toMatchObject({ role: "tool", results: [{ toolCallId: "a" }, { toolCallId: "b" }] });
  });

  it("turns an unknown tool into an error result the model sees, and the run continues", async () => {
    const script = scriptedStream([
      { toolCalls: [{ toolCallId: "x1", toolName: "rm_rf", input: { path: "/" } }] },
      { text: "Sorry, no such tool." },
    ]);
    const { end, events } = await runOnce({
      agent: agentFixture(),
      streamStep: script.streamStep,
      tools: [echoTool()],
    });
    const [result] = toolResults(events);
    expect(result).toMatchObject({ toolCallId: "x1", toolName: "rm_rf", isError: true });
    expect(result?.content).toContain('unknown tool "rm_rf"');
    expect(result?.content).toContain("echo");
    expect(end).toMatchObject({ status: "completed", output: "Sorry, no such tool.", steps: 2 });
    expect(script.requests[1]?.messages.at(-1)).toEqual({
      role: "tool",
      results: [{ toolCallId: "x1", toolName: "rm_rf", content: result?.content, isError: true }],
    });
  });

  it("says 'none' when an unknown tool is called and the agent has no tools", async () => {
    const script = scriptedStream([
      { toolCalls: [{ toolCallId: "x", toolName: "ghost", input: {} }] },
      { text: "ok" },
    ]);
    const { events } = await runOnce({ agent: agentFixture(), streamStep: script.streamStep });
    expect(toolResults(events)[0]?.content).toContain("Available tools: none");
  });

  it("turns a tool that throws into an error result with the message, and the run continues", async () => {
    const broken: Tool = {
      name: "broken",
      description: "Always fails.",
      inputSchema: { type: "object" },
      execute: async () => {
        throw new Error("disk on fire");
      },
    };
    const script = scriptedStream([
      { toolCalls: [{ toolCallId: "b1", toolName: "broken", input: {} }] },
      { text: "The tool failed." },
    ]);
    const { end, events } = await runOnce({
      agent: agentFixture(),
      streamStep: script.streamStep,
      tools: [broken],
    });
    expect(toolResults(events)[0]).toMatchObject({ isError: true, content: "Error: disk on fire" });
    expect(end.status).toBe("completed");
  });

  it("passes a tool's own isError through", async () => {
    const failing: Tool = {
      name: "failing",
      description: "Reports a failure.",
      inputSchema: { type: "object" },
      execute: async () => ({ content: "not allowed", isError: true }),
    };
    const script = scriptedStream([
      { toolCalls: [{ toolCallId: "f", toolName: "failing", input: {} }] },
      { text: "ok" },
    ]);
    const { events } = await runOnce({
      agent: agentFixture(),
      streamStep: script.streamStep,
      tools: [failing],
    });
    expect(toolResults(events)[0]).toMatchObject({ isError: true, content: "not allowed" });
  });

  it("cuts output longer than maxToolResultChars and saves the full text as an artifact", async () => {
    const long = "x".repeat(5_000);
    const big: Tool = {
      name: "big",
      description: "Returns a lot.",
      inputSchema: { type: "object" },
      execute: async () => ({ content: long, details: { rows: 5000 } }),
    };
    const saved: { text: string; toolCallId: string }[] = [];
    const script = scriptedStream([
      { toolCalls: [{ toolCallId: "big-1", toolName: "big", input: {} }] },
      { text: "ok" },
    ]);
    const { events, end } = await runOnce({
      agent: agentFixture({ limits: { maxToolResultChars: 1_000 } }),
      streamStep: script.streamStep,
      tools: [big],
      saveFullToolOutput: async (text, toolCallId) => {
        saved.push({ text, toolCallId });
        return `tool-results/run-1/${toolCallId}.txt`;
      },
    });
    expect(saved).toEqual([{ text: long, toolCallId: "big-1" }]);
    const [result] = toolResults(events);
    expect(result?.artifact).toBe("tool-results/run-1/big-1.txt");
    expect(result?.content.length).toBeLessThanOrEqual(1_000);
    expect(result?.content.startsWith("xxxx")).toBe(true);
    expect(result?.content).toContain("tool-results/run-1/big-1.txt");
    expect(result?.details).toEqual({ rows: 5000 });
    expect(result?.isError).toBe(false);
    // The model sees the cut text, not the full output.
    const seen = script.requests[1]?.messages.at(-1);
    expect(seen).toMatchObject({ role: "tool", results: [{ content: result?.content }] });
    expect(end.status).toBe("completed");
  });

  it("does not save an artifact for output that fits", async () => {
    const exact: Tool = {
      name: "exact",
      description: "Returns exactly the limit.",
      inputSchema: { type: "object" },
      execute: async () => ({ content: "y".repeat(100) }),
    };
    const script = scriptedStream([
      { toolCalls: [{ toolCallId: "e", toolName: "exact", input: {} }] },
      { text: "ok" },
    ]);
    const { events } = await runOnce({
      agent: agentFixture({ limits: { maxToolResultChars: 100 } }),
      streamStep: script.streamStep,
      tools: [exact],
    });
    expect(toolResults(events)[0]).toMatchObject({ content: "y".repeat(100), isError: false });
    expect(toolResults(events)[0]).not.toHaveProperty("artifact");
  });

  it("still cuts the output when saving the artifact fails, and says so", async () => {
    const big: Tool = {
      name: "big",
      description: "Returns a lot.",
      inputSchema: { type: "object" },
      execute: async () => ({ content: "z".repeat(3_000) }),
    };
    const script = scriptedStream([
      { toolCalls: [{ toolCallId: "b", toolName: "big", input: {} }] },
      { text: "ok" },
    ]);
    const { events, end } = await runOnce({
      agent: agentFixture({ limits: { maxToolResultChars: 500 } }),
      streamStep: script.streamStep,
      tools: [big],
      saveFullToolOutput: async () => {
        throw new Error("artifact store offline");
      },
    });
    const [result] = toolResults(events);
    expect(result?.content.length).toBeLessThanOrEqual(500);
    expect(result?.content).toContain("artifact store offline");
    expect(result).not.toHaveProperty("artifact");
    expect(end.status).toBe("completed");
  });
});

describe("executeRun: limits, aborts and failures", () => {
  it("fails with LIMIT_EXCEEDED when max_steps is reached without a final answer", async () => {
    const loop = { toolCalls: [{ toolCallId: "l", toolName: "echo", input: { text: "again" } }] };
    const script = scriptedStream([loop, loop, loop, loop]);
    const { end, events } = await runOnce({
      agent: agentFixture({ limits: { maxSteps: 3 } }),
      streamStep: script.streamStep,
      tools: [echoTool()],
    });
    expect(script.requests).toHaveLength(3);
    expect(end).toMatchObject({ status: "failed", steps: 3, error: { code: "LIMIT_EXCEEDED" } });
    expect(end.error?.message).toContain("max_steps");
    expect(end.usage.totalTokens).toBe(3 * SCRIPTED_USAGE.totalTokens);
    expect(events.at(-1)?.type).toBe("run-end");
    expect(events.filter((event) => event.type === "step-start")).toHaveLength(3);
    expectGapFree(events);
  });

  it("fails with LIMIT_EXCEEDED when max_run_seconds passes during a slow step", async () => {
    const script = scriptedStream([{ text: ["a", "b", "c", "d", "e"], delayMs: 200 }]);
    const started = Date.now();
    const { end, events } = await runOnce({
      agent: agentFixture({ limits: { maxRunSeconds: 0.1 } }),
      streamStep: script.streamStep,
    });
    expect(Date.now() - started).toBeLessThan(900);
    expect(end).toMatchObject({ status: "failed", error: { code: "LIMIT_EXCEEDED" } });
    expect(end.error?.message).toContain("max_run_seconds");
    expect(events.at(-1)?.type).toBe("run-end");
  });

  it("marks a run aborted when the caller aborts mid-stream", async () => {
    const controller = new AbortController();
    const script = scriptedStream([{ text: ["partial", " more", " and more"], delayMs: 5 }]);
    // Abort right after the first part is consumed; the scripted step's next wait sees the signal.
    const streamStep: StreamStep = async (request) => {
      const step = await script.streamStep(request);
      async function* parts() {
        for await (const part of step.parts) {
          yield part;
          controller.abort();
        }
      }
      return { model: step.model, parts: parts() };
    };
    const { end, events } = await runOnce({ agent: agentFixture(), streamStep, signal: controller.signal });
    expect(end.status).toBe("aborted");
    expect(end.error).toEqual({ code: "RUN_ABORTED", message: "The run was aborted." });
    expect(events.at(-1)?.type).toBe("run-end");
    expect(events.filter((event) => event.type === "text-delta")).toHaveLength(1);
    expect(script.requests[0]?.signal.aborted).toBe(true);
    expectGapFree(events);
  });

  it("reports aborted when the model step ignores the signal, once the step ends", async () => {
    const controller = new AbortController();
    const script = scriptedStream([{ text: "late" }]);
    const streamStep: typeof script.streamStep = async (request) => {
      const step = await script.streamStep({ ...request, signal: new AbortController().signal });
      controller.abort();
      return step;
    };
    const { end, events } = await runOnce({ agent: agentFixture(), streamStep, signal: controller.signal });
    expect(end.status).toBe("aborted");
    expect(typesOf(events)).toEqual(["run-start", "step-start", "text-delta", "step-end", "run-end"]);
  });

  it("does not call the model at all when aborted before the run starts", async () => {
    const script = scriptedStream([{ text: "never" }]);
    const { end, events } = await runOnce({
      agent: agentFixture(),
      streamStep: script.streamStep,
      signal: AbortSignal.abort(),
    });
    expect(script.requests).toHaveLength(0);
    expect(end).toMatchObject({ status: "aborted", steps: 0 });
    expect(typesOf(events)).toEqual(["run-start", "run-end"]);
  });

  it("aborts between steps: no further model step after the tool results", async () => {
    const controller = new AbortController();
    const aborting: Tool = {
      name: "stop",
      description: "Aborts the run.",
      inputSchema: { type: "object" },
      execute: async () => {
        controller.abort();
        return { content: "stopping" };
      },
    };
    const script = scriptedStream([
      { toolCalls: [{ toolCallId: "s", toolName: "stop", input: {} }] },
      { text: "never" },
    ]);
    const { end, events } = await runOnce({
      agent: agentFixture(),
      streamStep: script.streamStep,
      tools: [aborting],
      signal: controller.signal,
    });
    expect(end.status).toBe("aborted");
    expect(script.requests).toHaveLength(1);
    expect(typesOf(events).slice(-2)).toEqual(["tool-result", "run-end"]);
  });

  it("fails with the model's error code when the step is rejected before streaming", async () => {
    const script = scriptedStream([
      {
        errorBeforeStream: new PlutoError(
          "MODEL_RATE_LIMITED",
          "Rate limited by the provider; retry later.",
          {
            retryable: true,
          },
        ),
      },
    ]);
    const { end, events } = await runOnce({ agent: agentFixture(), streamStep: script.streamStep });
    expect(end).toMatchObject({
      status: "failed",
      error: { code: "MODEL_RATE_LIMITED", message: "Rate limited by the provider; retry later." },
    });
    expect(typesOf(events)).toEqual(["run-start", "run-end"]);
  });

  it("fails with the model's error code when the stream throws midway, keeping the partial text", async () => {
    const script = scriptedStream([
      {
        text: ["one ", "two ", "three"],
        errorMidStream: {
          afterParts: 2,
          error: new PlutoError("MODEL_ERROR", "The provider closed the stream."),
        },
      },
    ]);
    const { end, events } = await runOnce({ agent: agentFixture(), streamStep: script.streamStep });
    expect(end).toMatchObject({ status: "failed", steps: 1, error: { code: "MODEL_ERROR" } });
    expect(typesOf(events)).toEqual(["run-start", "step-start", "text-delta", "text-delta", "run-end"]);
    expectGapFree(events);
  });

  it("hides a non-Pluto error behind INTERNAL with its message", async () => {
    const script = scriptedStream([{ errorMidStream: { afterParts: 0, error: new TypeError("boom") } }]);
    const { end } = await runOnce({ agent: agentFixture(), streamStep: script.streamStep });
    expect(end.status).toBe("failed");
    expect(end.error?.code).toBe("INTERNAL");
    expect(end.error?.message).toContain("boom");
  });

  it("rejects with the store's own code when the session log itself fails (another writer got there first)", async () => {
    const store = new InMemorySessionStore();
    const intruder: StoredRunEvent = {
      type: "run-start",
      runId: "other",
      time: new Date().toISOString(),
      agent: "test-agent",
      input: "x",
      model: "m",
    };
    const script = scriptedStream([{ text: "a", delayMs: 20 }]);
    const racing: typeof script.streamStep = async (request) => {
      // Someone else appends to the same session while our run is streaming.
      await store.append(KEY, [intruder], { expectedSeq: (await store.info(KEY))?.lastSeq ?? 0 });
      return script.streamStep(request);
    };
    const promise = runOnce({ agent: agentFixture(), streamStep: racing, store });
    await expect(promise).rejects.toMatchObject({ code: "SESSION_CONFLICT" });
    await expect(promise).rejects.toThrow(/could not be written/);
  });
});

describe("executeRun: event shapes", () => {
  it("produces events that are all RunEvent variants with runId and time", async () => {
    const script = scriptedStream([
      {
        reasoning: ["r"],
        text: "t",
        toolCalls: [{ toolCallId: "1", toolName: "echo", input: { text: "e" } }],
      },
      { text: "end" },
    ]);
    const { events } = await runOnce({
      agent: agentFixture(),
      streamStep: script.streamStep,
      tools: [echoTool()],
    });
    const allowed: RunEvent["type"][] = [
      "run-start",
      "step-start",
      "text-delta",
      "reasoning-delta",
      "tool-call",
      "tool-result",
      "step-end",
      "run-end",
    ];
    for (const event of events) {
      expect(allowed).toContain(event.type);
      expect(event.runId).toBe("run-1");
    }
    const key: SessionKey = KEY;
    expect(key.session).toBe("ses-1");
  });
});
