import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createModelRegistry } from "../../src/llm/providers.js";
import { createStreamStep } from "../../src/llm/stream-step.js";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { collect, PROVIDER_CASES, stepRequest, WEATHER_TOOL } from "./llm-test-helpers.js";

let fake: FakeModel;
beforeAll(async () => {
  fake = await startFakeModel();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.clear();
});

describe.each(PROVIDER_CASES)("$label against the fake model", (testCase) => {
  const streamStep = () =>
    createStreamStep({
      registry: createModelRegistry({ providers: testCase.providers(fake.url), env: {} }),
      models: [testCase.model],
      retry: { maxRetries: 0, maxDelayMs: 0 },
    });

  it("streams text deltas in order and maps usage", async () => {
    fake.enqueue({ text: ["Hel", "lo", " world"], usage: { inputTokens: 42, outputTokens: 7 } });
    const step = await streamStep()(stepRequest([{ role: "user", text: "Say hello" }]));
    const result = await collect(step);
    expect(step.model).toBe(testCase.model);
    expect(result.text).toBe("Hello world");
    expect(result.parts.filter((part) => part.type === "text-delta").map((part) => part.type)).toHaveLength(
      3,
    );
    expect(result.finish?.finishReason).toBe("stop");
    expect(result.finish?.usage).toMatchObject({ inputTokens: 42, outputTokens: 7, totalTokens: 49 });
    expect(result.parts.at(-1)?.type).toBe("finish");

    expect(fake.requests).toHaveLength(1);
    const request = fake.requests[0]!;
    expect(request.format).toBe(testCase.format);
    expect(request.stream).toBe(true);
    expect(JSON.stringify(request.body)).toContain("Say hello");
    expect(JSON.stringify(request.body)).toContain("Be brief.");
    if (testCase.keyHeader) expect(request.headers[testCase.keyHeader.name]).toBe(testCase.keyHeader.value);
  });

  it("round-trips a tool call: the call comes back parsed and the result is sent in the provider's format", async () => {
    fake.enqueue({ toolCalls: [{ name: "get_weather", input: { city: "Tokyo" }, id: "call_abc" }] });
    fake.enqueue({ text: "It is sunny in Tokyo." });
    const step = streamStep();
    const first = await collect(
      await step(stepRequest([{ role: "user", text: "Weather in Tokyo?" }], { tools: [WEATHER_TOOL] })),
    );
    expect(first.finish?.finishReason).toBe("tool-calls");
    expect(first.toolCalls).toHaveLength(1);
    const call = first.toolCalls[0]!;
    expect(call.toolName).toBe("get_weather");
    expect(call.input).toEqual({ city: "Tokyo" });
    if (testCase.format !== "ollama") expect(call.toolCallId).toBe("call_abc");

    const second = await collect(
      await step(
        stepRequest(
          [
            { role: "user", text: "Weather in Tokyo?" },
            { role: "assistant", text: "", toolCalls: [{ ...call }] },
            {
              role: "tool",
              results: [
                {
                  toolCallId: call.toolCallId,
                  toolName: "get_weather",
                  content: "sunny, 21°C",
                  isError: false,
                },
              ],
            },
          ],
          { tools: [WEATHER_TOOL] },
        ),
      ),
    );
    expect(second.text).toBe("It is sunny in Tokyo.");

    const firstBody = fake.requests[0]!.body;
    expect(JSON.stringify(firstBody)).toContain("get_weather");
    const body = fake.requests[1]!.body;
    const id = call.toolCallId;
    switch (testCase.format) {
      case "openai-chat":
        expect(body.messages).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              role: "assistant",
              tool_calls: [
                expect.objectContaining({ id, function: expect.objectContaining({ name: "get_weather" }) }),
              ],
            }),
            expect.objectContaining({ role: "tool", tool_call_id: id, content: "sunny, 21°C" }),
          ]),
        );
        break;
      case "openai-responses":
        expect(body.input).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ type: "function_call", call_id: id, name: "get_weather" }),
            expect.objectContaining({ type: "function_call_output", call_id: id, output: "sunny, 21°C" }),
          ]),
        );
        break;
      case "anthropic":
        expect(body.messages).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              role: "assistant",
              content: [
                expect.objectContaining({
                  type: "tool_use",
                  id,
                  name: "get_weather",
                  input: { city: "Tokyo" },
                }),
              ],
            }),
            expect.objectContaining({
              role: "user",
              content: [
                expect.objectContaining({ type: "tool_result", tool_use_id: id, content: "sunny, 21°C" }),
              ],
            }),
          ]),
        );
        break;
      case "ollama":
        expect(body.messages).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              role: "assistant",
              tool_calls: [
                expect.objectContaining({ function: expect.objectContaining({ name: "get_weather" }) }),
              ],
            }),
            expect.objectContaining({ role: "tool", content: "sunny, 21°C" }),
          ]),
        );
        break;
    }
  });

  it("surfaces an in-band error after partial output as a thrown PlutoError", async () => {
    fake.enqueue({ text: ["partial"], streamError: { message: "upstream exploded", code: "server_error" } });
    const step = await streamStep()(stepRequest([{ role: "user", text: "go" }]));
    const texts: string[] = [];
    let failure: unknown;
    try {
      for await (const part of step.parts) if (part.type === "text-delta") texts.push(part.text);
    } catch (error) {
      failure = error;
    }
    expect(texts.join("")).toBe("partial");
    expect(failure).toMatchObject({ name: "PlutoError", code: "MODEL_ERROR" });
    expect((failure as Error).message).toContain("upstream exploded");
  });

  it("streams reasoning deltas where the wire format carries them", async () => {
    fake.enqueue({ reasoning: ["Think", "ing"], text: "Done." });
    const result = await collect(await streamStep()(stepRequest([{ role: "user", text: "Think first" }])));
    expect(result.text).toBe("Done.");
    if (testCase.label !== "openai chat") expect(result.reasoning).toBe("Thinking");
  });
});
