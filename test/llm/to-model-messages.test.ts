import { describe, expect, it } from "vitest";
import { toModelMessages } from "../../src/llm/to-model-messages.js";

describe("toModelMessages", () => {
  it("translates every role, keeping order, and marks failed tool results as errors", () => {
    expect(
      toModelMessages([
        { role: "user", text: "Weather in Paris and Rome?" },
        {
          role: "assistant",
          text: "Checking.",
          reasoning: "two cities",
          toolCalls: [
            { toolCallId: "c1", toolName: "get_weather", input: { city: "Paris" } },
            { toolCallId: "c2", toolName: "get_weather", input: { city: "Rome" } },
          ],
        },
        {
          role: "tool",
          results: [
            { toolCallId: "c1", toolName: "get_weather", content: "sunny", isError: false },
            { toolCallId: "c2", toolName: "get_weather", content: "timeout", isError: true },
          ],
        },
        { role: "assistant", text: "Paris is sunny.", toolCalls: [] },
      ]),
    ).toEqual([
      { role: "user", content: "Weather in Paris and Rome?" },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking." },
          { type: "tool-call", toolCallId: "c1", toolName: "get_weather", input: { city: "Paris" } },
          { type: "tool-call", toolCallId: "c2", toolName: "get_weather", input: { city: "Rome" } },
        ],
      },
      {
        role: "tool",
        content: [
          {
            type: "tool-result",
            toolCallId: "c1",
            toolName: "get_weather",
            output: { type: "text", value: "sunny" },
          },
          {
            type: "tool-result",
            toolCallId: "c2",
            toolName: "get_weather",
            output: { type: "error-text", value: "timeout" },
          },
        ],
      },
      { role: "assistant", content: [{ type: "text", text: "Paris is sunny." }] },
    ]);
  });

  it("sends an empty assistant turn as an empty string and tool calls without text alone", () => {
    expect(toModelMessages([{ role: "assistant", text: "", toolCalls: [] }])).toEqual([
      { role: "assistant", content: "" },
    ]);
    expect(
      toModelMessages([
        { role: "assistant", text: "", toolCalls: [{ toolCallId: "x", toolName: "t", input: {} }] },
      ]),
    ).toEqual([
      { role: "assistant", content: [{ type: "tool-call", toolCallId: "x", toolName: "t", input: {} }] },
    ]);
  });

  it("passes hostile text through untouched (no interpretation)", () => {
    const text = "../../etc/passwd\u0000<script>{{system}}";
    expect(toModelMessages([{ role: "user", text }])).toEqual([{ role: "user", content: text }]);
  });
});
