import { describe, expect, it } from "vitest";
import type { SessionEvent, ToolResultEvent } from "../../src/core/events.js";
import type { Tool, ToolContext } from "../../src/tools/tool.js";
import { createRunHarness } from "../runs/run-harness.js";
import { agentFixture } from "../support/agent-fixture.js";
import { scriptedStream } from "../support/scripted-step.js";
import { runOnce, typesOf } from "./executor-harness.js";

/** A tool that never settles and ignores its abort signal (a stuck library call, a busy loop's await). */
function stuckTool(name = "stuck", seen: ToolContext[] = [], timeoutMs?: number): Tool {
  return {
    name,
    description: "Never finishes.",
    inputSchema: { type: "object" },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    execute: (_input, context) => {
      seen.push(context);
      return new Promise(() => {});
    },
  };
}

/** A tool that answers after `ms`, ignoring its signal. */
function slowTool(name: string, ms: number, timeoutMs?: number): Tool {
  return {
    name,
    description: `Answers after ${ms} ms.`,
    inputSchema: { type: "object" },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    execute: () => new Promise((resolve) => setTimeout(() => resolve({ content: `${name} done` }), ms)),
  };
}

function toolResults(events: readonly SessionEvent[]): ToolResultEvent[] {
  return events.filter((event): event is SessionEvent & ToolResultEvent => event.type === "tool-result");
}

const call = (toolName: string, toolCallId = `call-${toolName}`) => ({ toolCallId, toolName, input: {} });

describe("executeRun: a tool that ignores its abort signal", () => {
  it("ends the run at max_run_seconds with the tool's result recorded as timed out", async () => {
    const seen: ToolContext[] = [];
    const script = scriptedStream([{ toolCalls: [call("stuck")] }, { text: "never asked" }]);
    const started = Date.now();
    const { end, events } = await runOnce({
      agent: agentFixture({ limits: { maxRunSeconds: 0.2 } }),
      streamStep: script.streamStep,
      tools: [stuckTool("stuck", seen)],
    });
    // Generous bound for a loaded machine; before the fix the run never ended.
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(end).toMatchObject({ status: "failed", error: { code: "LIMIT_EXCEEDED" } });
    expect(end.error?.message).toContain("max_run_seconds");
    expect(typesOf(events).slice(-3)).toEqual(["step-end", "tool-result", "run-end"]);
    const [result] = toolResults(events);
    expect(result).toMatchObject({ toolName: "stuck", isError: true, details: { timedOut: true } });
    expect(result?.content).toContain("timed out");
    expect(result?.content).toContain("max_run_seconds");
    expect(seen[0]?.signal.aborted).toBe(true);
    expect(script.requests).toHaveLength(1);
  });

  it("records a call over spec.limits.tool_timeout_seconds as timed out and lets the model go on", async () => {
    const script = scriptedStream([
      { toolCalls: [call("stuck"), call("quick")] },
      { text: "I could not get that." },
    ]);
    const { end, events } = await runOnce({
      agent: agentFixture({ limits: { toolTimeoutSeconds: 0.2 } }),
      streamStep: script.streamStep,
      tools: [stuckTool(), slowTool("quick", 0)],
    });
    expect(end).toMatchObject({ status: "completed", output: "I could not get that.", steps: 2 });
    const [stuck, quick] = toolResults(events);
    expect(stuck).toMatchObject({ isError: true, details: { timedOut: true, timeoutSeconds: 0.2 } });
    expect(stuck?.content).toContain("timed out after 0.2 s");
    expect(stuck?.content).toContain("tool_timeout_seconds");
    expect(quick).toMatchObject({ isError: false, content: "quick done" });
    // The model saw the timeout in its next step.
    expect(JSON.stringify(script.requests[1]?.messages)).toContain("timed out after 0.2 s");
  });

  it("uses a tool's own timeoutMs over the agent default, in both directions", async () => {
    const script = scriptedStream([{ toolCalls: [call("patient"), call("strict")] }, { text: "ok" }]);
    const { end, events } = await runOnce({
      agent: agentFixture({ limits: { toolTimeoutSeconds: 0.1 } }),
      streamStep: script.streamStep,
      // `patient` bounds itself (as MCP tools do); `strict` has a tighter limit than the agent's.
      tools: [slowTool("patient", 400, Number.POSITIVE_INFINITY), stuckTool("strict", [], 50)],
    });
    expect(end.status).toBe("completed");
    const [patient, strict] = toolResults(events);
    expect(patient).toMatchObject({ isError: false, content: "patient done" });
    expect(strict).toMatchObject({ isError: true, details: { timedOut: true, timeoutSeconds: 0.05 } });
    expect(strict?.content).not.toContain("tool_timeout_seconds");
  });

  it("marks the run aborted and the stuck call stopped when the caller aborts", async () => {
    const controller = new AbortController();
    const script = scriptedStream([{ toolCalls: [call("stuck")] }]);
    const seen: ToolContext[] = [];
    const tool = stuckTool("stuck", seen);
    const aborting: Tool = {
      ...tool,
      execute: (input, context) => {
        setTimeout(() => controller.abort(), 20);
        return tool.execute(input, context);
      },
    };
    const { end, events } = await runOnce({
      agent: agentFixture(),
      streamStep: script.streamStep,
      tools: [aborting],
      signal: controller.signal,
    });
    expect(end).toMatchObject({ status: "aborted", error: { code: "RUN_ABORTED" } });
    const [result] = toolResults(events);
    expect(result).toMatchObject({ isError: true, details: { aborted: true } });
    expect(result?.content).toContain("stopped because the run was aborted");
  });
});

describe("RunManager: a stuck tool does not hold the session", () => {
  it("frees the session at max_run_seconds so the next message runs", async () => {
    const script = scriptedStream([{ toolCalls: [call("stuck")] }, { text: "second answer" }]);
    const { runs, sessions } = createRunHarness({
      agents: [agentFixture({ limits: { maxRunSeconds: 0.2 } })],
      streamStep: script.streamStep,
      tools: [stuckTool()],
    });
    const started = Date.now();
    const first = await runs.start({ agent: "test-agent", input: "first", sessionId: "held" });
    const second = await runs.start({ agent: "test-agent", input: "second", sessionId: "held" });
    const [endFirst, endSecond] = await Promise.all([first.result, second.result]);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(endFirst).toMatchObject({ status: "failed", error: { code: "LIMIT_EXCEEDED" } });
    expect(endSecond).toMatchObject({ status: "completed", output: "second answer" });
    expect(runs.isBusy(first.key)).toBe(false);
    const results = toolResults(await sessions.read(first.key));
    expect(results[0]).toMatchObject({ toolName: "stuck", isError: true, details: { timedOut: true } });
  });
});

describe("executeRun: a step cut at the output limit", () => {
  it("does not run its tool calls, tells the model why in their results, and continues", async () => {
    let executed = 0;
    const counting: Tool = {
      name: "write_file",
      description: "Writes a file.",
      inputSchema: { type: "object" },
      execute: async () => {
        executed += 1;
        return { content: "written" };
      },
    };
    const script = scriptedStream([
      {
        text: "Writing the file now",
        toolCalls: [
          { toolCallId: "a", toolName: "write_file", input: { path: "x", text: "half of it" } },
          { toolCallId: "b", toolName: "write_file", input: { path: "y" } },
        ],
        finishReason: "length",
      },
      { text: "Sorry, that was too long; here is a summary instead." },
    ]);
    const { end, events } = await runOnce({
      agent: agentFixture({ parameters: { maxOutputTokens: 64 } }),
      streamStep: script.streamStep,
      tools: [counting],
    });
    expect(executed).toBe(0);
    expect(end).toMatchObject({ status: "completed", steps: 2 });
    expect(typesOf(events).slice(0, 7)).toEqual([
      "run-start",
      "step-start",
      "text-delta",
      "tool-call",
      "tool-call",
      "step-end",
      "tool-result",
    ]);
    const results = toolResults(events);
    expect(results.map((result) => result.toolCallId)).toEqual(["a", "b"]);
    for (const result of results) {
      expect(result).toMatchObject({
        isError: true,
        details: { notRun: true, reason: "output-limit", finishReason: "length" },
      });
      expect(result.content).toContain("not run");
      expect(result.content).toContain("output token limit (64 tokens)");
      expect(result.content).toContain("spec.parameters.max_output_tokens");
    }
    expect(JSON.stringify(script.requests[1]?.messages)).toContain("output token limit");
  });

  it("still runs the calls of a step that finished normally", async () => {
    let executed = 0;
    const counting: Tool = {
      name: "note",
      description: "Counts.",
      inputSchema: { type: "object" },
      execute: async () => {
        executed += 1;
        return { content: "noted" };
      },
    };
    const script = scriptedStream([
      { toolCalls: [call("note")], finishReason: "tool-calls" },
      { text: "ok" },
    ]);
    const { end } = await runOnce({
      agent: agentFixture(),
      streamStep: script.streamStep,
      tools: [counting],
    });
    expect(executed).toBe(1);
    expect(end.status).toBe("completed");
  });
});
