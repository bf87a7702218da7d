import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ProviderConfig } from "../../src/config/pluto-config.js";
import { isPlutoError, type PlutoError } from "../../src/core/errors.js";
import { createModelRegistry } from "../../src/llm/providers.js";
import { createStreamStep, type StreamStepOptions } from "../../src/llm/stream-step.js";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { collect, stepRequest } from "./llm-test-helpers.js";

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

const providers = (): Record<string, ProviderConfig> => ({
  openai: { type: "openai", apiKey: "sk-openai", baseUrl: `${fake.url}/v1`, headers: {} },
  anthropic: { type: "anthropic", apiKey: "sk-ant", baseUrl: `${fake.url}/v1`, headers: {} },
});

/** A stream step whose sleeps are recorded instead of waited. */
function recordingStep(options: Partial<StreamStepOptions> & { models: string[] }) {
  const delays: number[] = [];
  const streamStep = createStreamStep({
    registry: createModelRegistry({ providers: providers(), env: {} }),
    retry: { maxRetries: 2, maxDelayMs: 10_000 },
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0,
    ...options,
  });
  return { streamStep, delays };
}

async function failure(promise: Promise<unknown>): Promise<PlutoError> {
  try {
    await promise;
  } catch (error) {
    if (isPlutoError(error)) return error;
    throw error;
  }
  throw new Error("expected a PlutoError, got success");
}

const hello = () => stepRequest([{ role: "user", text: "hello" }]);

describe("createStreamStep retries", () => {
  it("honours Retry-After (seconds) on a 429 and then answers", async () => {
    fake.enqueue({ error: { status: 429, retryAfterSeconds: 2 } }, { text: "ok" });
    const { streamStep, delays } = recordingStep({ models: ["openai/gpt-5-mini"] });
    const result = await collect(await streamStep(hello()));
    expect(result.text).toBe("ok");
    expect(delays).toEqual([2000]);
    expect(fake.requests).toHaveLength(2);
  });

  it("honours retry-after-ms and caps any provider delay at maxDelayMs", async () => {
    fake.enqueue(
      { error: { status: 429, retryAfterMs: 1500 } },
      { error: { status: 429, retryAfterSeconds: 3600 } },
    );
    fake.enqueue({ text: "ok" });
    const { streamStep, delays } = recordingStep({
      models: ["openai/gpt-5-mini"],
      retry: { maxRetries: 2, maxDelayMs: 5000 },
    });
    expect((await collect(await streamStep(hello()))).text).toBe("ok");
    expect(delays).toEqual([1500, 5000]);
  });

  it("retries 500s with capped exponential backoff, then succeeds", async () => {
    fake.enqueue({ error: { status: 500 } }, { error: { status: 503 } }, { text: "recovered" });
    const { streamStep, delays } = recordingStep({ models: ["anthropic/claude-sonnet-4-5"] });
    const step = await streamStep(hello());
    expect((await collect(step)).text).toBe("recovered");
    expect(step.model).toBe("anthropic/claude-sonnet-4-5");
    // random() = 0 → half of 500·2^n
    expect(delays).toEqual([250, 500]);
    expect(fake.requests).toHaveLength(3);
  });

  it("falls back to the next model after retries are exhausted, and reports which model answered", async () => {
    fake.enqueue(
      { error: { status: 500 } },
      { error: { status: 502 } },
      { error: { status: 529 } },
      { text: "from fallback" },
    );
    const { streamStep, delays } = recordingStep({
      models: ["openai/gpt-5-mini", "anthropic/claude-sonnet-4-5"],
    });
    const step = await streamStep(hello());
    expect(step.model).toBe("anthropic/claude-sonnet-4-5");
    expect((await collect(step)).text).toBe("from fallback");
    expect(delays).toHaveLength(2);
    expect(fake.requests.map((request) => request.format)).toEqual([
      "openai-responses",
      "openai-responses",
      "openai-responses",
      "anthropic",
    ]);
    expect(fake.requests[3]!.body.model).toBe("claude-sonnet-4-5");
  });

  it("fails with the last error when every model is exhausted", async () => {
    fake.enqueue(...Array.from({ length: 4 }, () => ({ error: { status: 429 } })));
    const { streamStep } = recordingStep({
      models: ["openai/a", "openai/b"],
      retry: { maxRetries: 1, maxDelayMs: 100 },
    });
    const error = await failure(streamStep(hello()));
    expect(error.code).toBe("MODEL_RATE_LIMITED");
    expect(error.retryable).toBe(true);
    expect(error.message).toContain("openai/a, openai/b");
    expect(fake.requests).toHaveLength(4);
  });

  it("does not retry or fall back on a non-retryable 400", async () => {
    fake.enqueue({
      error: {
        status: 400,
        body: {
          error: {
            message: "Unsupported parameter: 'temperature'",
            type: "invalid_request_error",
            param: "temperature",
            code: null,
          },
        },
      },
    });
    const { streamStep, delays } = recordingStep({
      models: ["openai/gpt-5-mini", "anthropic/claude-sonnet-4-5"],
    });
    const error = await failure(streamStep(hello()));
    expect(error.code).toBe("MODEL_ERROR");
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("Unsupported parameter: 'temperature'");
    expect(delays).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });

  it("reports a rejected key (401) with the variable to fix, without retrying", async () => {
    fake.enqueue({ error: { status: 401 } });
    const { streamStep } = recordingStep({ models: ["anthropic/claude-sonnet-4-5"] });
    const error = await failure(streamStep(hello()));
    expect(error.code).toBe("MODEL_ERROR");
    expect(error.message).toContain("ANTHROPIC_API_KEY");
    expect(fake.requests).toHaveLength(1);
  });

  it("retries network failures (nothing listening) and then gives up", async () => {
    const closed = await startFakeModel();
    const url = closed.url;
    await closed.close();
    const delays: number[] = [];
    const streamStep = createStreamStep({
      registry: createModelRegistry({
        providers: { openai: { type: "openai", apiKey: "k", baseUrl: `${url}/v1`, headers: {} } },
        env: {},
      }),
      models: ["openai/gpt-5-mini"],
      retry: { maxRetries: 2, maxDelayMs: 1000 },
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    const error = await failure(streamStep(hello()));
    expect(error.code).toBe("MODEL_ERROR");
    expect(error.retryable).toBe(true);
    expect(delays).toHaveLength(2);
  });

  it("retries an in-band stream error that arrives before any output", async () => {
    fake.enqueue(
      { streamError: { message: "The server had an error", code: "server_error" } },
      { text: "second try" },
    );
    const { streamStep, delays } = recordingStep({ models: ["openai/gpt-5-mini"] });
    expect((await collect(await streamStep(hello()))).text).toBe("second try");
    expect(delays).toHaveLength(1);
  });

  it("does not retry once output has been streamed: the parts iterable throws the classified error", async () => {
    fake.enqueue({
      text: ["partial ", "answer"],
      streamError: { message: "Overloaded", code: "overloaded_error" },
    });
    const { streamStep, delays } = recordingStep({ models: ["anthropic/claude-sonnet-4-5"] });
    const step = await streamStep(hello());
    const seen: string[] = [];
    const error = await failure(
      (async () => {
        for await (const part of step.parts) if (part.type === "text-delta") seen.push(part.text);
      })(),
    );
    expect(seen.join("")).toBe("partial answer");
    expect(error.code).toBe("MODEL_ERROR");
    expect(error.message).toContain("Overloaded");
    expect(delays).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });
});

describe("createStreamStep aborts", () => {
  it("aborts mid-stream with RUN_ABORTED", async () => {
    fake.enqueue({ text: Array.from({ length: 50 }, (_, index) => `w${index} `), chunkDelayMs: 20 });
    const { streamStep } = recordingStep({ models: ["openai/gpt-5-mini"] });
    const controller = new AbortController();
    const step = await streamStep(
      stepRequest([{ role: "user", text: "long" }], { signal: controller.signal }),
    );
    let deltas = 0;
    const error = await failure(
      (async () => {
        for await (const part of step.parts) {
          if (part.type === "text-delta" && ++deltas === 2) controller.abort();
        }
      })(),
    );
    expect(error.code).toBe("RUN_ABORTED");
    expect(deltas).toBeLessThan(10);
  });

  it("rejects at once when the signal is already aborted", async () => {
    const { streamStep } = recordingStep({ models: ["openai/gpt-5-mini"] });
    const controller = new AbortController();
    controller.abort();
    const error = await failure(
      streamStep(stepRequest([{ role: "user", text: "x" }], { signal: controller.signal })),
    );
    expect(error.code).toBe("RUN_ABORTED");
    expect(fake.requests).toHaveLength(0);
  });

  it("aborts during the backoff sleep (default sleep)", async () => {
    fake.enqueue({ error: { status: 429, retryAfterSeconds: 30 } });
    const streamStep = createStreamStep({
      registry: createModelRegistry({ providers: providers(), env: {} }),
      models: ["openai/gpt-5-mini"],
      retry: { maxRetries: 3, maxDelayMs: 60_000 },
    });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const error = await failure(
      streamStep(stepRequest([{ role: "user", text: "x" }], { signal: controller.signal })),
    );
    expect(error.code).toBe("RUN_ABORTED");
    expect(Date.now() - started).toBeLessThan(5000);
    expect(fake.requests).toHaveLength(1);
  });

  it("stops the HTTP stream when the consumer stops reading early", async () => {
    fake.enqueue({ text: Array.from({ length: 100 }, () => "x"), chunkDelayMs: 10 });
    const { streamStep } = recordingStep({ models: ["openai/gpt-5-mini"] });
    const step = await streamStep(hello());
    for await (const part of step.parts) {
      if (part.type === "text-delta") break;
    }
    // The next turn is served normally: the early exit left nothing half-open that blocks the fake.
    fake.enqueue({ text: "next" });
    expect((await collect(await streamStep(hello()))).text).toBe("next");
  });
});

describe("createStreamStep configuration errors", () => {
  it("rejects an empty model list", () => {
    expect(() =>
      createStreamStep({
        registry: createModelRegistry({ providers: {}, env: {} }),
        models: [],
        retry: { maxRetries: 0, maxDelayMs: 0 },
      }),
    ).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
  });

  it("fails with PROVIDER_KEY_MISSING naming the variable, before any request", async () => {
    const streamStep = createStreamStep({
      registry: createModelRegistry({ providers: {}, env: {} }),
      models: ["openai/gpt-5-mini"],
      retry: { maxRetries: 2, maxDelayMs: 0 },
    });
    const error = await failure(streamStep(hello()));
    expect(error.code).toBe("PROVIDER_KEY_MISSING");
    expect(error.message).toContain("OPENAI_API_KEY");
    expect(error.message).toContain("providers.openai.api_key");
  });

  it("fails with PROVIDER_UNKNOWN for an undeclared provider", async () => {
    const streamStep = createStreamStep({
      registry: createModelRegistry({ providers: {}, env: {} }),
      models: ["mistral/large"],
      retry: { maxRetries: 2, maxDelayMs: 0 },
    });
    const error = await failure(streamStep(hello()));
    expect(error.code).toBe("PROVIDER_UNKNOWN");
    expect(error.message).toContain("openai, anthropic, openrouter, ollama");
    expect(error.message).toContain("type: openai-compatible");
  });
});
