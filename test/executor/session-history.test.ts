import { describe, expect, it } from "vitest";
import type { RunEvent, SessionEvent } from "../../src/core/events.js";
import { historyFromEvents } from "../../src/executor/session-history.js";

const TIME = "2026-01-02T03:04:05.000Z";
const USAGE = { inputTokens: 1, outputTokens: 1, totalTokens: 2 };

/** Numbers a list of events the way the session log does. */
function log(...events: RunEvent[]): SessionEvent[] {
  return events.map((event, index) => ({ ...event, seq: index + 1 }) as SessionEvent);
}

const runStart = (runId: string, input: string): RunEvent => ({
  type: "run-start",
  runId,
  time: TIME,
  agent: "a",
  input,
  model: "m/x",
});
const stepStart = (runId: string, step: number): RunEvent => ({
  type: "step-start",
  runId,
  time: TIME,
  step,
  model: "m/x",
});
const text = (runId: string, step: number, value: string): RunEvent => ({
  type: "text-delta",
  runId,
  time: TIME,
  step,
  text: value,
});
const reasoning = (runId: string, step: number, value: string): RunEvent => ({
  type: "reasoning-delta",
  runId,
  time: TIME,
  step,
  text: value,
});
const toolCall = (runId: string, step: number, toolCallId: string, toolName = "echo"): RunEvent => ({
  type: "tool-call",
  runId,
  time: TIME,
  step,
  toolCallId,
  toolName,
  input: { id: toolCallId },
});
const toolResult = (
  runId: string,
  step: number,
  toolCallId: string,
  content: string,
  toolName = "echo",
): RunEvent => ({
  type: "tool-result",
  runId,
  time: TIME,
  step,
  toolCallId,
  toolName,
  content,
  isError: false,
});
const stepEnd = (runId: string, step: number): RunEvent => ({
  type: "step-end",
  runId,
  time: TIME,
  step,
  finishReason: "stop",
  usage: USAGE,
});
const runEnd = (runId: string, status: "completed" | "failed" | "aborted" = "completed"): RunEvent => ({
  type: "run-end",
  runId,
  time: TIME,
  status,
  usage: USAGE,
  steps: 1,
});

const INTERRUPTED = "Error: this tool call was interrupted before it returned a result.";

describe("historyFromEvents", () => {
  it("returns no messages for an empty log", () => {
    expect(historyFromEvents([])).toEqual([]);
  });

  it("rebuilds several runs: user input, assistant text, tool calls and results, in order", () => {
    const events = log(
      runStart("r1", "first question"),
      stepStart("r1", 1),
      text("r1", 1, "Looking"),
      text("r1", 1, " it up."),
      toolCall("r1", 1, "c1"),
      toolCall("r1", 1, "c2", "search"),
      stepEnd("r1", 1),
      toolResult("r1", 1, "c1", "one"),
      toolResult("r1", 1, "c2", "two", "search"),
      stepStart("r1", 2),
      text("r1", 2, "Answer one."),
      stepEnd("r1", 2),
      runEnd("r1"),
      runStart("r2", "second question"),
      stepStart("r2", 1),
      reasoning("r2", 1, "hmm"),
      text("r2", 1, "Answer two."),
      stepEnd("r2", 1),
      runEnd("r2"),
    );
    expect(historyFromEvents(events)).toEqual([
      { role: "user", text: "first question" },
      {
        role: "assistant",
        text: "Looking it up.",
        toolCalls: [
          { toolCallId: "c1", toolName: "echo", input: { id: "c1" } },
          { toolCallId: "c2", toolName: "search", input: { id: "c2" } },
        ],
      },
      {
        role: "tool",
        results: [
          { toolCallId: "c1", toolName: "echo", content: "one", isError: false },
          { toolCallId: "c2", toolName: "search", content: "two", isError: false },
        ],
      },
      { role: "assistant", text: "Answer one.", toolCalls: [] },
      { role: "user", text: "second question" },
      { role: "assistant", text: "Answer two.", reasoning: "hmm", toolCalls: [] },
    ]);
  });

  it("gives an interrupted tool call a synthetic error result (log cut off after the call)", () => {
    const events = log(
      runStart("r1", "do it"),
      stepStart("r1", 1),
      toolCall("r1", 1, "c1"),
      stepEnd("r1", 1),
    );
    expect(historyFromEvents(events)).toEqual([
      { role: "user", text: "do it" },
      {
        role: "assistant",
        text: "",
        toolCalls: [{ toolCallId: "c1", toolName: "echo", input: { id: "c1" } }],
      },
      {
        role: "tool",
        results: [{ toolCallId: "c1", toolName: "echo", content: INTERRUPTED, isError: true }],
      },
    ]);
  });

  it("adds synthetic results only for the calls that are missing one, after the real ones", () => {
    const events = log(
      runStart("r1", "go"),
      stepStart("r1", 1),
      toolCall("r1", 1, "a"),
      toolCall("r1", 1, "b"),
      stepEnd("r1", 1),
      toolResult("r1", 1, "a", "done a"),
      runEnd("r1", "failed"),
      runStart("r2", "retry"),
    );
    const history = historyFromEvents(events);
    expect(history[2]).toEqual({
      role: "tool",
      results: [
        { toolCallId: "a", toolName: "echo", content: "done a", isError: false },
        { toolCallId: "b", toolName: "echo", content: INTERRUPTED, isError: true },
      ],
    });
    expect(history[3]).toEqual({ role: "user", text: "retry" });
    expect(history).toHaveLength(4);
  });

  it("keeps the partial text of a run cut off mid-stream and the recovery run-end, then the next input", () => {
    const events = log(
      runStart("r1", "tell me"),
      stepStart("r1", 1),
      text("r1", 1, "Once upon"),
      { ...runEnd("r1", "failed"), error: { code: "RUN_INTERRUPTED", message: "cut off" } } as RunEvent,
      runStart("r2", "again please"),
    );
    expect(historyFromEvents(events)).toEqual([
      { role: "user", text: "tell me" },
      { role: "assistant", text: "Once upon", toolCalls: [] },
      { role: "user", text: "again please" },
    ]);
  });

  it("skips steps that produced nothing and runs that failed before any step", () => {
    const events = log(
      runStart("r1", "hello"),
      runEnd("r1", "failed"),
      runStart("r2", "hello again"),
      stepStart("r2", 1),
      reasoning("r2", 1, ""),
      stepEnd("r2", 1),
      runEnd("r2"),
    );
    expect(historyFromEvents(events)).toEqual([
      { role: "user", text: "hello" },
      { role: "user", text: "hello again" },
    ]);
  });

  it("ignores approval events: only the tool result reaches the model", () => {
    const events = log(
      runStart("r1", "delete it"),
      stepStart("r1", 1),
      toolCall("r1", 1, "c1", "delete"),
      {
        type: "tool-approval-request",
        runId: "r1",
        time: TIME,
        step: 1,
        toolCallId: "c1",
        toolName: "delete",
        input: {},
      },
      {
        type: "tool-approval-response",
        runId: "r1",
        time: TIME,
        toolCallId: "c1",
        approved: false,
        reason: "no",
      },
      stepEnd("r1", 1),
      { ...toolResult("r1", 1, "c1", "Denied by the user.", "delete"), isError: true } as RunEvent,
      runEnd("r1"),
    );
    const history = historyFromEvents(events);
    expect(history).toHaveLength(3);
    expect(history[2]).toEqual({
      role: "tool",
      results: [{ toolCallId: "c1", toolName: "delete", content: "Denied by the user.", isError: true }],
    });
  });

  it("ignores deltas and calls that arrive outside a step (a hand-edited log)", () => {
    const events = log(
      runStart("r1", "x"),
      text("r1", 1, "stray"),
      toolCall("r1", 1, "stray-call"),
      runEnd("r1"),
    );
    expect(historyFromEvents(events)).toEqual([{ role: "user", text: "x" }]);
  });

  it("does not mutate its input and returns fresh objects", () => {
    const events = log(runStart("r1", "q"), stepStart("r1", 1), toolCall("r1", 1, "c"), stepEnd("r1", 1));
    const copy = structuredClone(events);
    const first = historyFromEvents(events);
    first.length = 0;
    expect(events).toEqual(copy);
    expect(historyFromEvents(events)).toHaveLength(3);
  });
});
