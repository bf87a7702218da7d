import { describe, expect, it } from "vitest";
import { PlutoError } from "../../src/core/errors.js";
import type { RunEvent, SessionEvent } from "../../src/core/events.js";
import type { StreamStep } from "../../src/llm/model-step.js";
import type { SessionKey } from "../../src/services/session/session-store.js";
import type { Tool } from "../../src/tools/tool.js";
import { agentFixture } from "../support/agent-fixture.js";
import { deferred, type ScriptedStepSpec, scriptedStream } from "../support/scripted-step.js";
import { createRunHarness, lastUserText, runBlocks } from "./run-harness.js";

/** A model seam that picks a script by the run's input text, so concurrent runs get their own. */
function byInput(scripts: Record<string, ScriptedStepSpec[]>): { streamStep: StreamStep; order: string[] } {
  const streams = new Map(Object.entries(scripts).map(([input, specs]) => [input, scriptedStream(specs)]));
  const order: string[] = [];
  return {
    order,
    streamStep: async (request) => {
      const input = lastUserText(request);
      order.push(input);
      const stream = streams.get(input);
      if (stream === undefined)
        throw new PlutoError("MODEL_ERROR", `No script for input ${JSON.stringify(input)}.`);
      return stream.streamStep(request);
    },
  };
}

const T0 = "2026-01-01T00:00:00.000Z";

describe("RunManager: one run at a time per session", () => {
  it("runs two messages to the same session strictly one after the other", async () => {
    const script = byInput({
      first: [{ text: ["one ", "two ", "three"], delayMs: 10 }],
      second: [{ text: "four" }],
    });
    const { runs, sessions } = createRunHarness({ streamStep: script.streamStep });
    const a = await runs.start({ agent: "test-agent", input: "first", sessionId: "chat-1" });
    const b = await runs.start({ agent: "test-agent", input: "second", sessionId: "chat-1" });
    expect(runs.isBusy(a.key)).toBe(true);
    expect(runs.activeCount).toBe(2);
    const [endA, endB] = await Promise.all([a.result, b.result]);
    expect(endA).toMatchObject({ status: "completed", output: "one two three" });
    expect(endB).toMatchObject({ status: "completed", output: "four" });

    const events = await sessions.read(a.key);
    expect(runBlocks(events)).toEqual([a.runId, b.runId]);
    const firstEnd = events.findIndex((event) => event.type === "run-end" && event.runId === a.runId);
    const secondStart = events.findIndex((event) => event.type === "run-start" && event.runId === b.runId);
    expect(secondStart).toBe(firstEnd + 1);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(script.order).toEqual(["first", "second"]);
    expect(runs.activeCount).toBe(0);
    expect(runs.isBusy(a.key)).toBe(false);
  });

  it("gives the second run the first run's conversation as history", async () => {
    const first = scriptedStream([{ text: "Hi Grace." }, { text: "You are Grace." }]);
    const { runs } = createRunHarness({ streamStep: first.streamStep });
    const a = await runs.start({ agent: "test-agent", input: "I am Grace", sessionId: "s" });
    const b = await runs.start({ agent: "test-agent", input: "Who am I?", sessionId: "s" });
    await Promise.all([a.result, b.result]);
    expect(first.requests[1]?.messages).toEqual([
      { role: "user", text: "I am Grace" },
      { role: "assistant", text: "Hi Grace.", toolCalls: [] },
      { role: "user", text: "Who am I?" },
    ]);
  });

  it("keeps many queued runs of one session in arrival order", async () => {
    const inputs = Array.from({ length: 8 }, (_, index) => `m${index}`);
    const script = byInput(Object.fromEntries(inputs.map((input) => [input, [{ text: input, delayMs: 1 }]])));
    const { runs, sessions } = createRunHarness({ streamStep: script.streamStep });
    const handles = [];
    for (const input of inputs)
      handles.push(await runs.start({ agent: "test-agent", input, sessionId: "busy" }));
    await Promise.all(handles.map((handle) => handle.result));
    const events = await sessions.read(handles[0]!.key);
    expect(runBlocks(events)).toEqual(handles.map((handle) => handle.runId));
    expect(script.order).toEqual(inputs);
  });

  it("runs different sessions concurrently", async () => {
    const arrivedA = deferred();
    const arrivedB = deferred();
    // Each step waits until the other session's step has started: only concurrent lanes can finish.
    const script = byInput({
      "for A": [{ text: "A done", gate: arrivedB.promise }],
      "for B": [{ text: "B done", gate: arrivedA.promise }],
    });
    const streamStep: StreamStep = async (request) => {
      if (lastUserText(request) === "for A") arrivedA.resolve();
      else arrivedB.resolve();
      return script.streamStep(request);
    };
    const { runs } = createRunHarness({ streamStep });
    const a = await runs.start({ agent: "test-agent", input: "for A", sessionId: "session-a" });
    const b = await runs.start({ agent: "test-agent", input: "for B", sessionId: "session-b" });
    const ends = await Promise.all([a.result, b.result]);
    expect(ends.map((end) => end.output)).toEqual(["A done", "B done"]);
  });

  it("generates a new safe session id when none is given", async () => {
    const { runs } = createRunHarness({
      streamStep: scriptedStream([{ text: "a" }, { text: "b" }]).streamStep,
    });
    const a = await runs.start({ agent: "test-agent", input: "x" });
    const b = await runs.start({ agent: "test-agent", input: "y" });
    await Promise.all([a.result, b.result]);
    expect(a.key.session).toMatch(/^ses_[0-9a-f]{32}$/);
    expect(a.key.session).not.toBe(b.key.session);
    expect(a.key).toMatchObject({ tenant: "default", agent: "test-agent" });
    expect(a.runId).toMatch(/^run_/);
  });
});

describe("RunManager: aborts", () => {
  it("aborts a queued run: it never calls the model and ends aborted right after the run before it", async () => {
    const release = deferred();
    const script = byInput({
      slow: [{ text: "slow answer", gate: release.promise }],
      queued: [{ text: "never" }],
    });
    const { runs, sessions } = createRunHarness({ streamStep: script.streamStep });
    const slow = await runs.start({ agent: "test-agent", input: "slow", sessionId: "q" });
    const queued = await runs.start({ agent: "test-agent", input: "queued", sessionId: "q" });
    expect(runs.activeRun(queued.runId)).toEqual(queued.key);
    expect(runs.abort(queued.runId)).toBe(true);
    release.resolve();
    const [slowEnd, queuedEnd] = await Promise.all([slow.result, queued.result]);
    expect(slowEnd.status).toBe("completed");
    expect(queuedEnd).toMatchObject({ status: "aborted", steps: 0, error: { code: "RUN_ABORTED" } });
    expect(script.order).toEqual(["slow"]);
    const events = await sessions.read(slow.key);
    expect(runBlocks(events)).toEqual([slow.runId, queued.runId]);
    expect(events.filter((event) => event.runId === queued.runId).map((event) => event.type)).toEqual([
      "run-start",
      "run-end",
    ]);
    expect(runs.abort(queued.runId)).toBe(false);
    expect(runs.activeRun(queued.runId)).toBeUndefined();
  });

  it("aborts a running run mid-stream", async () => {
    const script = scriptedStream([
      { text: Array.from({ length: 20 }, (_, index) => `p${index}`), delayMs: 30 },
    ]);
    const { runs } = createRunHarness({ streamStep: script.streamStep });
    const handle = await runs.start({ agent: "test-agent", input: "go", sessionId: "r" });
    setTimeout(() => runs.abort(handle.runId), 45);
    expect(await handle.result).toMatchObject({ status: "aborted", error: { code: "RUN_ABORTED" } });
  });

  it("returns false for a run it does not know", () => {
    const { runs } = createRunHarness({ streamStep: scriptedStream().streamStep });
    expect(runs.abort("run_nope")).toBe(false);
  });
});

describe("RunManager: validation", () => {
  it("rejects empty or blank input with BAD_REQUEST", async () => {
    const { runs, catalog } = createRunHarness({ streamStep: scriptedStream().streamStep });
    await expect(runs.start({ agent: "test-agent", input: "" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(runs.start({ agent: "test-agent", input: " \n\t" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    expect(catalog.requested).toEqual([]);
  });

  it("rejects hostile agent, tenant and session names with INVALID_NAME before any lookup", async () => {
    const { runs, catalog, sessions } = createRunHarness({ streamStep: scriptedStream().streamStep });
    for (const agent of ["../etc", "..", "a/b", "/abs", "a\0b", ""]) {
      await expect(runs.start({ agent, input: "x" })).rejects.toMatchObject({ code: "INVALID_NAME" });
    }
    await expect(runs.start({ agent: "test-agent", input: "x", tenant: "../t" })).rejects.toMatchObject({
      code: "INVALID_NAME",
    });
    expect(catalog.requested).toEqual([]);
    for (const sessionId of ["../etc", "a/../../b", "..", ".hidden", "x".repeat(200), "nul\0"]) {
      await expect(runs.start({ agent: "test-agent", input: "x", sessionId })).rejects.toMatchObject({
        code: "INVALID_NAME",
      });
    }
    expect(runs.activeCount).toBe(0);
    expect(await sessions.list({ tenant: "default", agent: "test-agent" })).toEqual([]);
  });

  it("rejects an unknown agent with AGENT_NOT_FOUND", async () => {
    const { runs } = createRunHarness({ streamStep: scriptedStream().streamStep });
    await expect(runs.start({ agent: "ghost", input: "x" })).rejects.toMatchObject({
      code: "AGENT_NOT_FOUND",
    });
    expect(runs.activeCount).toBe(0);
  });
});

describe("RunManager: context, tools and artifacts", () => {
  it("loads memory into the system prompt and uses the injected clock", async () => {
    const script = scriptedStream([{ text: "ok" }]);
    const { runs, memory } = createRunHarness({
      streamStep: script.streamStep,
      now: () => new Date("2026-03-10T12:00:00.000Z"),
      agents: [
        agentFixture({
          systemPrompt: "PERSONA",
          skills: [{ name: "pdf", description: "Fill PDF forms.", path: "/x/SKILL.md" }],
          tools: { builtins: ["read_skill"], mcpServers: [] },
        }),
      ],
    });
    const scope = { tenant: "default", agent: "test-agent" };
    await memory.write(scope, "MEMORY", "- Name: Grace");
    await memory.add(scope, { day: "2026-03-09", section: "Facts Stored", text: "Likes tea" });
    await memory.add(scope, { day: "2026-03-10", section: "Decisions Made", text: "Use metric" });
    await memory.add(scope, { day: "2026-03-01", section: "Facts Stored", text: "Old fact" });
    const handle = await runs.start({ agent: "test-agent", input: "hi", sessionId: "m" });
    const end = await handle.result;
    const system = script.requests[0]?.system ?? "";
    expect(system.startsWith("PERSONA")).toBe(true);
    expect(system).toContain("Today is 2026-03-10.");
    for (const text of ["Name: Grace", "Likes tea", "Use metric", "- pdf: Fill PDF forms."])
      expect(system).toContain(text);
    expect(system).not.toContain("Old fact");
    expect(end.time).toBe("2026-03-10T12:00:00.000Z");
  });

  it("loads no memory when the agent has memory off", async () => {
    const script = scriptedStream([{ text: "ok" }]);
    const { runs, memory } = createRunHarness({
      streamStep: script.streamStep,
      agents: [agentFixture({ memory: { enabled: false } })],
    });
    await memory.write({ tenant: "default", agent: "test-agent" }, "MEMORY", "- secret");
    await (await runs.start({ agent: "test-agent", input: "hi" })).result;
    expect(script.requests[0]?.system).not.toContain("secret");
  });

  it("saves a cut tool output as an artifact of the run with a sanitised name", async () => {
    const big: Tool = {
      name: "big",
      description: "Returns a lot.",
      inputSchema: { type: "object" },
      execute: async () => ({ content: "0123456789".repeat(100) }),
    };
    const script = scriptedStream([
      { toolCalls: [{ toolCallId: "../../etc/passwd", toolName: "big", input: {} }] },
      { text: "done" },
    ]);
    const { runs, artifacts, sessions } = createRunHarness({
      streamStep: script.streamStep,
      tools: [big],
      agents: [agentFixture({ limits: { maxToolResultChars: 300 } })],
    });
    const handle = await runs.start({ agent: "test-agent", input: "go", sessionId: "art" });
    expect((await handle.result).status).toBe("completed");
    const result = (await sessions.read(handle.key)).find((event) => event.type === "tool-result");
    const name = (result as { artifact?: string }).artifact;
    expect(name).toBe(`tool-results/${handle.runId}/etc_passwd.txt`);
    const stored = await artifacts.get({ tenant: "default", agent: "test-agent" }, name ?? "");
    expect(new TextDecoder().decode(stored?.body)).toBe("0123456789".repeat(100));
    expect(stored?.info.mediaType).toContain("text/plain");
    expect(stored?.info.metadata).toEqual({
      runId: handle.runId,
      toolCallId: "../../etc/passwd",
      session: "art",
    });
  });

  it("ends the run failed (not a rejected promise) when its tools cannot be prepared", async () => {
    const script = scriptedStream([{ text: "never" }]);
    const { runs, sessions } = createRunHarness({
      streamStep: script.streamStep,
      toolsFor: async () => {
        throw new PlutoError("MCP_SERVER_FAILED", "MCP server files did not start. Check its command.");
      },
    });
    const seen: SessionEvent[] = [];
    const handle = await runs.start({
      agent: "test-agent",
      input: "hi",
      sessionId: "tools-down",
      listener: (events) => seen.push(...events),
    });
    const end = await handle.result;
    expect(end).toMatchObject({ status: "failed", steps: 0, error: { code: "MCP_SERVER_FAILED" } });
    const events = await sessions.read(handle.key);
    expect(events.map((event) => event.type)).toEqual(["run-start", "run-end"]);
    expect(seen).toEqual(events);
    expect(script.requests).toHaveLength(0);
    expect(runs.activeCount).toBe(0);
  });

  it("delivers every event of the run to the start listener, and stops after unsubscribe", async () => {
    const script = scriptedStream([{ text: ["a", "b"] }, { text: "c" }]);
    const { runs, sessions } = createRunHarness({ streamStep: script.streamStep });
    const seen: SessionEvent[] = [];
    const first = await runs.start({
      agent: "test-agent",
      input: "1",
      sessionId: "l",
      listener: (e) => seen.push(...e),
    });
    await first.result;
    expect(seen).toEqual(await sessions.read(first.key));
    first.unsubscribe();
    const second = await runs.start({ agent: "test-agent", input: "2", sessionId: "l" });
    await second.result;
    expect(seen.every((event) => event.runId === first.runId)).toBe(true);
  });
});

describe("RunManager: recovery of cut-off runs", () => {
  const key: SessionKey = { tenant: "default", agent: "test-agent", session: "crashed" };
  const cutOff: RunEvent[] = [
    {
      type: "run-start",
      runId: "run_old",
      time: T0,
      agent: "test-agent",
      input: "tell me a story",
      model: "m/x",
    },
    { type: "step-start", runId: "run_old", time: T0, step: 1, model: "m/x" },
    { type: "text-delta", runId: "run_old", time: T0, step: 1, text: "Once upon" },
  ];

  it("marks the cut-off run failed with RUN_INTERRUPTED when the session is touched, once", async () => {
    const { runs, sessions, bus } = createRunHarness({
      streamStep: scriptedStream().streamStep,
      now: () => new Date("2026-05-05T05:05:05.000Z"),
    });
    await sessions.append(key, cutOff, { expectedSeq: 0 });
    const published: SessionEvent[] = [];
    bus.subscribe(key, (events) => published.push(...events));
    const events = await runs.touch(key);
    expect(events).toHaveLength(4);
    expect(events[3]).toEqual({
      seq: 4,
      type: "run-end",
      runId: "run_old",
      time: "2026-05-05T05:05:05.000Z",
      status: "failed",
      usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
      steps: 1,
      error: { code: "RUN_INTERRUPTED", message: expect.stringContaining("Send the message again") },
    });
    expect(await sessions.read(key)).toEqual(events);
    expect(published).toEqual([events[3]]);
    // Touching again changes nothing.
    expect(await runs.touch(key)).toEqual(events);
    expect(await sessions.read(key)).toHaveLength(4);
  });

  it("recovers before a new run starts, and the new run sees the partial answer", async () => {
    const script = scriptedStream([{ text: "...there was a fox." }]);
    const { runs, sessions } = createRunHarness({ streamStep: script.streamStep });
    await sessions.append(key, cutOff, { expectedSeq: 0 });
    const handle = await runs.start({ agent: "test-agent", input: "go on", sessionId: "crashed" });
    expect(await handle.result).toMatchObject({ status: "completed", output: "...there was a fox." });
    const events = await sessions.read(key);
    expect(events.map((event) => `${event.runId}:${event.type}`)).toEqual([
      "run_old:run-start",
      "run_old:step-start",
      "run_old:text-delta",
      "run_old:run-end",
      `${handle.runId}:run-start`,
      `${handle.runId}:step-start`,
      `${handle.runId}:text-delta`,
      `${handle.runId}:step-end`,
      `${handle.runId}:run-end`,
    ]);
    expect(events[3]).toMatchObject({ status: "failed", error: { code: "RUN_INTERRUPTED" } });
    expect(script.requests[0]?.messages).toEqual([
      { role: "user", text: "tell me a story" },
      { role: "assistant", text: "Once upon", toolCalls: [] },
      { role: "user", text: "go on" },
    ]);
  });

  it("leaves a clean log and an unknown session untouched", async () => {
    const { runs, sessions } = createRunHarness({ streamStep: scriptedStream([{ text: "x" }]).streamStep });
    expect(await runs.touch({ ...key, session: "never-seen" })).toEqual([]);
    expect(await sessions.info({ ...key, session: "never-seen" })).toBeUndefined();
    const handle = await runs.start({ agent: "test-agent", input: "x", sessionId: "clean" });
    await handle.result;
    const before = await sessions.read(handle.key);
    expect(await runs.touch(handle.key)).toEqual(before);
    expect(await sessions.read(handle.key)).toEqual(before);
  });

  it("waits for an active run before touching, so a live run is never marked interrupted", async () => {
    const release = deferred();
    const { runs, sessions } = createRunHarness({
      streamStep: scriptedStream([{ text: "live", gate: release.promise }]).streamStep,
    });
    const handle = await runs.start({ agent: "test-agent", input: "x", sessionId: "live" });
    const touched = runs.touch(handle.key);
    setTimeout(() => release.resolve(), 20);
    const events = await touched;
    expect(events.at(-1)).toMatchObject({ type: "run-end", status: "completed", runId: handle.runId });
    expect((await sessions.read(handle.key)).filter((event) => event.type === "run-end")).toHaveLength(1);
  });
});

describe("RunManager: findSession and idleness", () => {
  it("finds sessions it started, sessions only in the store, and nothing for bad or unknown ids", async () => {
    const agents = [agentFixture({ name: "alpha" }), agentFixture({ name: "beta" })];
    const { runs, sessions } = createRunHarness({
      agents,
      streamStep: scriptedStream([{ text: "x" }]).streamStep,
    });
    const handle = await runs.start({ agent: "beta", input: "x", sessionId: "mine" });
    await handle.result;
    expect(await runs.findSession("mine")).toEqual({ tenant: "default", agent: "beta", session: "mine" });

    const stored: SessionKey = { tenant: "default", agent: "alpha", session: "from-disk" };
    await sessions.append(
      stored,
      [{ type: "run-start", runId: "r", time: T0, agent: "alpha", input: "x", model: "m" }],
      {
        expectedSeq: 0,
      },
    );
    expect(await runs.findSession("from-disk")).toEqual(stored);
    expect(await runs.findSession("from-disk", "other-tenant")).toBeUndefined();
    expect(await runs.findSession("mine", "other-tenant")).toBeUndefined();
    expect(await runs.findSession("nobody")).toBeUndefined();
    for (const bad of ["../etc", "..", "a/b", "", "\0"]) expect(await runs.findSession(bad)).toBeUndefined();
  });

  it("refuses a session id that belongs to another agent and writes nothing", async () => {
    const agents = [agentFixture({ name: "alpha" }), agentFixture({ name: "beta" })];
    const { runs, sessions } = createRunHarness({
      agents,
      streamStep: scriptedStream([{ text: "x" }]).streamStep,
    });
    await (await runs.start({ agent: "alpha", input: "x", sessionId: "shared" })).result;
    await expect(runs.start({ agent: "beta", input: "y", sessionId: "shared" })).rejects.toMatchObject({
      code: "SESSION_CONFLICT",
      details: { agent: "alpha" },
    });
    expect(await sessions.info({ tenant: "default", agent: "beta", session: "shared" })).toBeUndefined();
  });

  it("skips the owner check when the caller mints its own ids (checkOwner: false): the sessions stay apart", async () => {
    const agents = [agentFixture({ name: "alpha" }), agentFixture({ name: "beta" })];
    const { runs, sessions } = createRunHarness({
      agents,
      streamStep: scriptedStream([{ text: "a" }, { text: "b" }]).streamStep,
    });
    await (await runs.start({ agent: "alpha", input: "x", sessionId: "ctx-1", checkOwner: false })).result;
    await (await runs.start({ agent: "beta", input: "y", sessionId: "ctx-1", checkOwner: false })).result;
    const alpha = await sessions.read({ tenant: "default", agent: "alpha", session: "ctx-1" });
    const beta = await sessions.read({ tenant: "default", agent: "beta", session: "ctx-1" });
    expect(alpha.find((event) => event.type === "run-start")).toMatchObject({ input: "x" });
    expect(beta.find((event) => event.type === "run-start")).toMatchObject({ input: "y" });
  });

  it("whenIdle resolves after the queued runs of a session end", async () => {
    const script = scriptedStream([
      { text: "a", delayMs: 10 },
      { text: "b", delayMs: 10 },
    ]);
    const { runs, sessions } = createRunHarness({ streamStep: script.streamStep });
    const a = await runs.start({ agent: "test-agent", input: "1", sessionId: "idle" });
    const b = await runs.start({ agent: "test-agent", input: "2", sessionId: "idle" });
    await runs.whenIdle(a.key);
    expect(runs.isBusy(a.key)).toBe(false);
    // Both runs are durable in the log by then.
    const ends = (await sessions.read(a.key)).filter((event) => event.type === "run-end");
    expect(ends.map((event) => event.runId)).toEqual([a.runId, b.runId]);
    await b.result;
    await runs.whenIdle(a.key);
  });
});
