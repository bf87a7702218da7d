import { describe, expect, it } from "vitest";
import type { SessionEvent, ToolApprovalRequestEvent, ToolResultEvent } from "../../src/core/events.js";
import type { BeforeToolCall } from "../../src/executor/before-tool-call.js";
import type { Tool } from "../../src/tools/tool.js";
import { agentFixture } from "../support/agent-fixture.js";
import { scriptedStream } from "../support/scripted-step.js";
import { runOnce } from "./executor-harness.js";

/** A tool that counts its calls by id, so a test sees exactly what ran. */
function countingTool(name: string, ran: string[]): Tool {
  return {
    name,
    description: `The ${name} tool.`,
    inputSchema: { type: "object" },
    async execute(_input, context) {
      ran.push(context.toolCallId);
      return { content: `${name} ran` };
    },
  };
}

const results = (events: readonly SessionEvent[]) =>
  events.filter((event): event is SessionEvent & ToolResultEvent => event.type === "tool-result");
const requests = (events: readonly SessionEvent[]) =>
  events.filter(
    (event): event is SessionEvent & ToolApprovalRequestEvent => event.type === "tool-approval-request",
  );

/** allow `read`, deny `drop` with a reason, ask about `write`. */
const gate: BeforeToolCall = (call) =>
  call.toolName === "drop"
    ? { action: "deny", reason: "never" }
    : call.toolName === "write"
      ? { action: "ask", reason: "writes" }
      : { action: "allow" };

describe("executeRun: the beforeToolCall hook", () => {
  it("runs allowed calls, refuses denied ones, and ends awaiting-approval on ask without running it", async () => {
    const ran: string[] = [];
    const script = scriptedStream([
      {
        toolCalls: [
          { toolCallId: "r", toolName: "read", input: {} },
          { toolCallId: "d", toolName: "drop", input: {} },
          { toolCallId: "w", toolName: "write", input: { path: "x" } },
        ],
      },
    ]);
    const { end, events } = await runOnce({
      agent: agentFixture(),
      streamStep: script.streamStep,
      tools: ["read", "drop", "write"].map((name) => countingTool(name, ran)),
      beforeToolCall: gate,
    });
    expect(end).toMatchObject({ status: "awaiting-approval", steps: 1 });
    expect(ran).toEqual(["r"]);
    expect(script.requests).toHaveLength(1);
    expect(results(events).map((result) => [result.toolCallId, result.isError])).toEqual([
      ["r", false],
      ["d", true],
    ]);
    expect(results(events)[1]?.content).toContain("the tool policy refused this call of drop");
    expect(results(events)[1]?.content).toContain("never");
    expect(requests(events)).toMatchObject([
      { toolCallId: "w", toolName: "write", input: { path: "x" }, reason: "writes", step: 1 },
    ]);
  });

  it("does not ask about unknown tools or calls of a step cut at the output limit", async () => {
    const asked: string[] = [];
    const script = scriptedStream([
      { toolCalls: [{ toolCallId: "u", toolName: "nope", input: {} }] },
      { toolCalls: [{ toolCallId: "t", toolName: "write", input: {} }], finishReason: "length" },
      { text: "done" },
    ]);
    const { end, events } = await runOnce({
      agent: agentFixture(),
      streamStep: script.streamStep,
      tools: [countingTool("write", [])],
      beforeToolCall: (call) => {
        asked.push(call.toolCallId);
        return { action: "ask" };
      },
    });
    expect(end.status).toBe("completed");
    expect(asked).toEqual([]);
    expect(results(events).map((result) => result.toolCallId)).toEqual(["u", "t"]);
  });

  it("fails the run when the hook throws, and runs nothing", async () => {
    const ran: string[] = [];
    const script = scriptedStream([{ toolCalls: [{ toolCallId: "r", toolName: "read", input: {} }] }]);
    const { end } = await runOnce({
      agent: agentFixture(),
      streamStep: script.streamStep,
      tools: [countingTool("read", ran)],
      beforeToolCall: () => {
        throw new Error("policy store down");
      },
    });
    expect(end).toMatchObject({ status: "failed", error: { code: "INTERNAL" } });
    expect(ran).toEqual([]);
  });

  it("resumes: runs the approved call once, records the refused one, then asks the model without a new user message", async () => {
    const ran: string[] = [];
    const tools = ["write"].map((name) => countingTool(name, ran));
    const first = scriptedStream([
      {
        toolCalls: [
          { toolCallId: "w1", toolName: "write", input: { n: 1 } },
          { toolCallId: "w2", toolName: "write", input: { n: 2 } },
        ],
      },
    ]);
    const paused = await runOnce({
      agent: agentFixture(),
      streamStep: first.streamStep,
      tools,
      beforeToolCall: gate,
    });
    const [ask1, ask2] = requests(paused.events);
    const second = scriptedStream([{ text: "one written" }]);
    const continued = await runOnce({
      agent: agentFixture(),
      streamStep: second.streamStep,
      tools,
      store: paused.store,
      runId: "run-2",
      input: "",
      beforeToolCall: gate,
      resume: {
        continues: "run-1",
        decisions: [
          { request: ask1!, approved: true },
          { request: ask2!, approved: false, reason: "only one" },
        ],
      },
    });
    expect(continued.end).toMatchObject({ status: "completed", output: "one written" });
    expect(ran).toEqual(["w1"]);
    const runStart = continued.events.find((event) => event.type === "run-start" && event.runId === "run-2");
    expect(runStart).toMatchObject({ continues: "run-1", input: "" });
    const messages = second.requests[0]?.messages ?? [];
    expect(messages.filter((message) => message.role === "user")).toHaveLength(1);
    expect(messages.at(-1)).toMatchObject({
      role: "tool",
      results: [
        { toolCallId: "w1", content: "write ran", isError: false },
        { toolCallId: "w2", isError: true },
      ],
    });
    expect(JSON.stringify(messages.at(-1))).toContain("only one");
  });
});
