import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isPlutoError } from "../../src/core/errors.js";
import { createModelRegistry } from "../../src/llm/providers.js";
import { createStreamStep } from "../../src/llm/stream-step.js";
import { type FakeModel, type FakeTurn, startFakeModel } from "../support/fake-model/fake-model.js";
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

/** One case per wire format the fake speaks (openai-compatible and openrouter reuse openai chat). */
const FORMAT_CASES = PROVIDER_CASES.filter((testCase) =>
  ["openai responses", "openai chat", "anthropic", "ollama"].includes(testCase.label),
);

describe.each(FORMAT_CASES)("$label: an answer with nothing readable in it", (testCase) => {
  const streamStep = () =>
    createStreamStep({
      registry: createModelRegistry({ providers: testCase.providers(fake.url), env: {} }),
      models: [testCase.model],
      retry: { maxRetries: 2, maxDelayMs: 0 },
    });

  async function stepFailure(turn: FakeTurn) {
    fake.enqueue(turn);
    try {
      await collect(await streamStep()(stepRequest([{ role: "user", text: "Hi" }])));
    } catch (error) {
      return error;
    }
    return undefined;
  }

  it("fails with MODEL_ERROR naming base_url and wire format when the body is not a stream at all", async () => {
    const error = await stepFailure({ rawBody: "<html><body>Welcome to nginx!</body></html>" });
    expect(isPlutoError(error)).toBe(true);
    expect(error).toMatchObject({
      code: "MODEL_ERROR",
      retryable: false,
      details: { model: testCase.model },
    });
    expect((error as Error).message).toContain("base_url");
    expect((error as Error).message).toContain("wire format");
    // Not retried: a wrong base URL does not fix itself.
    expect(fake.requests).toHaveLength(1);
  });

  it("handles a non-streaming JSON body sent to a streaming request", async () => {
    const turn: FakeTurn = { nonStreaming: true, text: "plain JSON answer" };
    if (testCase.format === "ollama") {
      // Ollama's non-streaming body is one NDJSON line with `done: true`: a complete, readable answer.
      fake.enqueue(turn);
      const step = await collect(await streamStep()(stepRequest([{ role: "user", text: "Hi" }])));
      expect(step.text).toBe("plain JSON answer");
      expect(step.finish?.finishReason).toBe("stop");
      return;
    }
    const error = await stepFailure(turn);
    expect(error).toMatchObject({ code: "MODEL_ERROR", retryable: false });
    expect((error as Error).message).toContain("plain JSON body instead of a stream");
  });

  it("still accepts legitimate answers without text: a proper empty finish, reasoning only, a tool call only", async () => {
    fake.enqueue({ text: "" }, { reasoning: "thinking it over" }, { toolCalls: [{ name: "get_weather" }] });
    const empty = await collect(await streamStep()(stepRequest([{ role: "user", text: "Hi" }])));
    expect(empty).toMatchObject({ text: "", finish: { finishReason: "stop" } });
    const reasoning = await collect(await streamStep()(stepRequest([{ role: "user", text: "Hi" }])));
    expect(reasoning.text).toBe("");
    // @ai-sdk/openai's chat API does not read `reasoning_content`; the step is still a proper answer.
    if (testCase.format !== "openai-chat") expect(reasoning.reasoning).toBe("thinking it over");
    expect(reasoning.finish?.finishReason).toBe("stop");
    const toolOnly = await collect(
      await streamStep()(stepRequest([{ role: "user", text: "Hi" }], { tools: [WEATHER_TOOL] })),
    );
    expect(toolOnly.text).toBe("");
    expect(toolOnly.toolCalls.map((call) => call.toolName)).toEqual(["get_weather"]);
  });
});
