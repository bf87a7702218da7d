import { describe, expect, it } from "vitest";
import type { RunEvent, SessionEvent } from "../../src/core/events.js";
import { sessionApprovals } from "../../src/executor/pending-approvals.js";
import { historyFromEvents } from "../../src/executor/session-history.js";
import { applyDecision } from "../../src/runs/approval-decision.js";

const TIME = "2026-01-02T03:04:05.000Z";
const USAGE = { inputTokens: 1, outputTokens: 1, totalTokens: 2 };

function log(...events: RunEvent[]): SessionEvent[] {
  return events.map((event, index) => ({ ...event, seq: index + 1 }) as SessionEvent);
}

const base = (runId: string) => ({ runId, time: TIME });
const call = (runId: string, id: string): RunEvent => ({
  type: "tool-call",
  ...base(runId),
  step: 1,
  toolCallId: id,
  toolName: "fs__write_file",
  input: { path: id },
});
const ask = (runId: string, id: string): RunEvent => ({
  type: "tool-approval-request",
  ...base(runId),
  step: 1,
  toolCallId: id,
  toolName: "fs__write_file",
  input: { path: id },
  reason: "Writes a file",
});
const answer = (runId: string, id: string, approved: boolean): RunEvent => ({
  type: "tool-approval-response",
  ...base(runId),
  toolCallId: id,
  approved,
});
const result = (runId: string, id: string, content: string): RunEvent => ({
  type: "tool-result",
  ...base(runId),
  step: 1,
  toolCallId: id,
  toolName: "fs__write_file",
  content,
  isError: false,
});

/** A run r1 whose step asked about calls c1 and c2, then ended awaiting approval. */
const paused = (): RunEvent[] => [
  { type: "run-start", ...base("r1"), agent: "a", input: "write two files", model: "m/x" },
  { type: "step-start", ...base("r1"), step: 1, model: "m/x" },
  call("r1", "c1"),
  call("r1", "c2"),
  { type: "step-end", ...base("r1"), step: 1, finishReason: "tool-calls", usage: USAGE },
  ask("r1", "c1"),
  ask("r1", "c2"),
  { type: "run-end", ...base("r1"), status: "awaiting-approval", usage: USAGE, steps: 1 },
];

describe("approvals in the session log", () => {
  it("lists the waiting run's requests until each is answered", () => {
    const state = sessionApprovals(log(...paused(), answer("r1", "c2", false)));
    expect(state.runId).toBe("r1");
    expect(state.entries.map((entry) => [entry.request.toolCallId, entry.response?.approved])).toEqual([
      ["c1", undefined],
      ["c2", false],
    ]);
  });

  it("decides one by one: waiting until the last decision, then resuming with every decision", () => {
    const first = applyDecision(log(...paused()), { toolCallId: "c2", approved: false, reason: "no" }, TIME);
    expect("waiting" in first && first.waiting).toMatchObject({ type: "run-end", runId: "r1" });
    expect(first.response).toMatchObject({ runId: "r1", toolCallId: "c2", approved: false, reason: "no" });

    const second = applyDecision(
      log(...paused(), first.response),
      { toolCallId: "c1", approved: true },
      TIME,
    );
    expect("resume" in second && second.resume).toEqual({
      continues: "r1",
      decisions: [
        { request: expect.objectContaining({ toolCallId: "c1" }), approved: true },
        { request: expect.objectContaining({ toolCallId: "c2" }), approved: false, reason: "no" },
      ],
    });
  });

  it("refuses a second decision (409) and an unknown call (404)", () => {
    const events = log(...paused(), answer("r1", "c1", true));
    expect(() => applyDecision(events, { toolCallId: "c1", approved: false }, TIME)).toThrow(
      expect.objectContaining({ code: "APPROVAL_DECIDED" }),
    );
    expect(() => applyDecision(events, { toolCallId: "forged", approved: true }, TIME)).toThrow(
      expect.objectContaining({ code: "APPROVAL_NOT_FOUND" }),
    );
  });

  it("closes the requests once the continuation or a new message starts", () => {
    const continued = log(...paused(), answer("r1", "c1", true), answer("r1", "c2", true), {
      type: "run-start",
      ...base("r2"),
      agent: "a",
      input: "",
      model: "m/x",
      continues: "r1",
    });
    expect(sessionApprovals(continued).entries).toEqual([]);
    expect(() => applyDecision(continued, { toolCallId: "c1", approved: true }, TIME)).toThrow(
      expect.objectContaining({ code: "APPROVAL_DECIDED" }),
    );
    const movedOn = log(...paused(), {
      type: "run-start",
      ...base("r2"),
      agent: "a",
      input: "never mind",
      model: "m/x",
    });
    expect(() => applyDecision(movedOn, { toolCallId: "c1", approved: true }, TIME)).toThrow(
      expect.objectContaining({ code: "APPROVAL_DECIDED" }),
    );
  });

  it("history keeps the paused step open for the continuation: no user message, the decided results", () => {
    const events = log(
      ...paused(),
      answer("r1", "c1", true),
      answer("r1", "c2", false),
      { type: "run-start", ...base("r2"), agent: "a", input: "", model: "m/x", continues: "r1" },
      result("r2", "c1", "written"),
      result("r2", "c2", "refused"),
    );
    expect(historyFromEvents(events)).toEqual([
      { role: "user", text: "write two files" },
      {
        role: "assistant",
        text: "",
        toolCalls: [
          { toolCallId: "c1", toolName: "fs__write_file", input: { path: "c1" } },
          { toolCallId: "c2", toolName: "fs__write_file", input: { path: "c2" } },
        ],
      },
      {
        role: "tool",
        results: [
          { toolCallId: "c1", toolName: "fs__write_file", content: "written", isError: false },
          { toolCallId: "c2", toolName: "fs__write_file", content: "refused", isError: false },
        ],
      },
    ]);
  });

  it("history says a call still waiting was not run when a new message moves on", () => {
    const events = log(...paused(), {
      type: "run-start",
      ...base("r2"),
      agent: "a",
      input: "never mind",
      model: "m/x",
    });
    const messages = historyFromEvents(events);
    expect(messages.at(-1)).toEqual({ role: "user", text: "never mind" });
    const tool = messages.at(-2);
    expect(tool?.role).toBe("tool");
    expect(JSON.stringify(tool)).toContain("not run: it was still waiting for the user's approval");
  });

  it("history calls an approved call whose continuation was cut off interrupted, and a refused one refused", () => {
    const events = log(
      ...paused(),
      answer("r1", "c1", true),
      answer("r1", "c2", false),
      { type: "run-start", ...base("r2"), agent: "a", input: "", model: "m/x", continues: "r1" },
      { type: "run-end", ...base("r2"), status: "failed", usage: USAGE, steps: 0 },
    );
    const tool = historyFromEvents(events).at(-1);
    expect(tool).toMatchObject({
      role: "tool",
      results: [
        { toolCallId: "c1", content: "Error: this tool call was interrupted before it returned a result." },
        { toolCallId: "c2", content: "Error: the user refused this tool call; it was not run." },
      ],
    });
  });
});
