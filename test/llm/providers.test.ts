import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isPlutoError, type PlutoError } from "../../src/core/errors.js";
import {
  createLanguageModel,
  createModelRegistry,
  envPrefix,
  parseModelId,
} from "../../src/llm/providers.js";
import { createStreamStep } from "../../src/llm/stream-step.js";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { collect, stepRequest } from "./llm-test-helpers.js";

function thrown(action: () => unknown): PlutoError {
  try {
    action();
  } catch (error) {
    if (isPlutoError(error)) return error;
    throw error;
  }
  throw new Error("expected a PlutoError");
}

describe("parseModelId", () => {
  it("splits at the first slash, keeping slashes in the model id", () => {
    expect(parseModelId("openai/gpt-5-mini")).toEqual({ provider: "openai", model: "gpt-5-mini" });
    expect(parseModelId("openrouter/anthropic/claude-sonnet-4")).toEqual({
      provider: "openrouter",
      model: "anthropic/claude-sonnet-4",
    });
  });

  it.each(["gpt-4o", "", "/gpt-4o", "openai/", "/"])("rejects %j with an example of the syntax", (id) => {
    const error = thrown(() => parseModelId(id));
    expect(error.code).toBe("PROVIDER_UNKNOWN");
    expect(error.message).toContain("provider/model-id");
  });
});

describe("envPrefix", () => {
  it("upper-cases and replaces non-alphanumerics", () => {
    expect(envPrefix("openai")).toBe("OPENAI");
    expect(envPrefix("my-vllm.local")).toBe("MY_VLLM_LOCAL");
  });
});

describe("createModelRegistry", () => {
  it("names the env var and the pluto.yaml key when a key is missing", () => {
    for (const [provider, envVar] of [
      ["openai", "OPENAI_API_KEY"],
      ["anthropic", "ANTHROPIC_API_KEY"],
      ["openrouter", "OPENROUTER_API_KEY"],
    ] as const) {
      const error = thrown(() => createLanguageModel(`${provider}/some-model`, { providers: {}, env: {} }));
      expect(error.code).toBe("PROVIDER_KEY_MISSING");
      expect(error.message).toContain(envVar);
      expect(error.message).toContain(`providers.${provider}.api_key`);
      expect(error.details).toMatchObject({ envVar, configKey: `providers.${provider}.api_key` });
    }
  });

  it("treats an empty key as missing", () => {
    const error = thrown(() =>
      createLanguageModel("openai/gpt-5-mini", { providers: {}, env: { OPENAI_API_KEY: "  " } }),
    );
    expect(error.code).toBe("PROVIDER_KEY_MISSING");
  });

  it("needs no key for ollama or for openai-compatible endpoints", () => {
    const options = {
      providers: {
        vllm: { type: "openai-compatible" as const, baseUrl: "http://127.0.0.1:1/v1", headers: {} },
      },
      env: {},
    };
    expect(createLanguageModel("ollama/llama3.2", options).modelId).toBe("llama3.2");
    expect(createLanguageModel("vllm/qwen3", options).modelId).toBe("qwen3");
  });

  it("lists known providers and explains how to declare an openai-compatible one", () => {
    const error = thrown(() =>
      createLanguageModel("groq/llama", {
        providers: { vllm: { type: "openai-compatible", baseUrl: "http://x/v1", headers: {} } },
        env: {},
      }),
    );
    expect(error.code).toBe("PROVIDER_UNKNOWN");
    expect(error.message).toContain("openai, anthropic, openrouter, ollama, vllm");
    expect(error.message).toContain("type: openai-compatible");
    expect(error.message).toContain("base_url");
    expect(error.message).toContain("GROQ_API_KEY");
  });

  it("rejects an openai-compatible provider without a base URL", () => {
    const error = thrown(() =>
      createLanguageModel("vllm/qwen3", {
        providers: { vllm: { type: "openai-compatible", headers: {} } },
        env: {},
      }),
    );
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain("providers.vllm.base_url");
  });

  it("resolves the OpenAI Responses API by default and Chat Completions with api: chat", () => {
    const responses = createLanguageModel("openai/gpt-5-mini", {
      providers: {},
      env: { OPENAI_API_KEY: "k" },
    });
    const chat = createLanguageModel("openai/gpt-5-mini", {
      providers: { openai: { type: "openai", apiKey: "k", api: "chat", headers: {} } },
      env: {},
    });
    expect(responses.provider).toContain("responses");
    expect(chat.provider).toContain("chat");
  });

  it("keeps provider instances per registry, not per process", () => {
    const first = createModelRegistry({ providers: {}, env: { OPENAI_API_KEY: "a" } });
    const second = createModelRegistry({ providers: {}, env: {} });
    expect(first.languageModel("openai/x").modelId).toBe("x");
    expect(() => second.languageModel("openai/x")).toThrow(
      expect.objectContaining({ code: "PROVIDER_KEY_MISSING" }),
    );
  });
});

describe("keys and base URLs from the environment", () => {
  let fake: FakeModel;
  beforeAll(async () => {
    fake = await startFakeModel();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => fake.clear());

  const run = async (model: string, env: Record<string, string>, providers = {}) => {
    const streamStep = createStreamStep({
      registry: createModelRegistry({ providers, env }),
      models: [model],
      retry: { maxRetries: 0, maxDelayMs: 0 },
    });
    return collect(await streamStep(stepRequest([{ role: "user", text: "ping" }])));
  };

  it("uses OPENAI_API_KEY and OPENAI_BASE_URL", async () => {
    expect(
      (await run("openai/gpt-5-mini", { OPENAI_API_KEY: "sk-env", OPENAI_BASE_URL: `${fake.url}/v1` })).text,
    ).toBe("ping");
    expect(fake.requests[0]?.headers.authorization).toBe("Bearer sk-env");
  });

  it("uses ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL", async () => {
    await run("anthropic/claude-haiku-4-5", {
      ANTHROPIC_API_KEY: "sk-ant-env",
      ANTHROPIC_BASE_URL: `${fake.url}/v1`,
    });
    expect(fake.requests[0]?.headers["x-api-key"]).toBe("sk-ant-env");
  });

  it("uses OLLAMA_BASE_URL with or without /api", async () => {
    await run("ollama/llama3.2", { OLLAMA_BASE_URL: fake.url });
    await run("ollama/llama3.2", { OLLAMA_BASE_URL: `${fake.url}/api/` });
    expect(fake.requests.map((request) => request.path)).toEqual(["/api/chat", "/api/chat"]);
  });

  it("prefers pluto.yaml settings over the environment and sends configured headers", async () => {
    await run(
      "openai/gpt-5-mini",
      { OPENAI_API_KEY: "sk-env", OPENAI_BASE_URL: "http://127.0.0.1:1/v1" },
      {
        openai: {
          type: "openai",
          apiKey: "sk-config",
          baseUrl: `${fake.url}/v1`,
          headers: { "x-team": "pluto" },
        },
      },
    );
    expect(fake.requests[0]?.headers.authorization).toBe("Bearer sk-config");
    expect(fake.requests[0]?.headers["x-team"]).toBe("pluto");
  });

  it("reads an openai-compatible key from <NAME>_API_KEY", async () => {
    await run(
      "my-vllm/qwen3",
      { MY_VLLM_API_KEY: "sk-vllm" },
      { "my-vllm": { type: "openai-compatible", baseUrl: `${fake.url}/v1`, headers: {} } },
    );
    expect(fake.requests[0]?.headers.authorization).toBe("Bearer sk-vllm");
    expect(fake.requests[0]?.body.model).toBe("qwen3");
  });

  it("sends the openrouter model id with its own slash", async () => {
    await run("openrouter/anthropic/claude-sonnet-4", {
      OPENROUTER_API_KEY: "sk-or",
      OPENROUTER_BASE_URL: `${fake.url}/api/v1`,
    });
    expect(fake.requests[0]?.path).toBe("/api/v1/chat/completions");
    expect(fake.requests[0]?.body.model).toBe("anthropic/claude-sonnet-4");
  });
});
