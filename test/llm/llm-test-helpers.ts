/** Shared helpers for the llm tests: provider configs pointed at the fake model, and part collection. */
import type { ProviderConfig } from "../../src/config/pluto-config.js";
import type { ContextMessage } from "../../src/core/messages.js";
import type { ModelStep, ModelStepPart, ModelStepRequest, ModelToolSpec } from "../../src/llm/model-step.js";
import type { FakeFormat } from "../support/fake-model/fake-model.js";

/** One provider setup that talks to the fake model at `url`. */
export interface ProviderCase {
  /** Test label. */
  label: string;
  /** The model id to resolve. */
  model: string;
  /** The wire format the fake should see. */
  format: FakeFormat;
  providers: (url: string) => Record<string, ProviderConfig>;
  /** The header carrying the key, and its expected value. */
  keyHeader?: { name: string; value: string };
}

export const PROVIDER_CASES: ProviderCase[] = [
  {
    label: "openai responses",
    model: "openai/gpt-5-mini",
    format: "openai-responses",
    providers: (url) => ({
      openai: { type: "openai", apiKey: "sk-openai", baseUrl: `${url}/v1`, headers: {} },
    }),
    keyHeader: { name: "authorization", value: "Bearer sk-openai" },
  },
  {
    label: "openai chat",
    model: "openai/gpt-4o-mini",
    format: "openai-chat",
    providers: (url) => ({
      openai: { type: "openai", apiKey: "sk-openai", baseUrl: `${url}/v1`, api: "chat", headers: {} },
    }),
    keyHeader: { name: "authorization", value: "Bearer sk-openai" },
  },
  {
    label: "anthropic",
    model: "anthropic/claude-sonnet-4-5",
    format: "anthropic",
    providers: (url) => ({
      anthropic: { type: "anthropic", apiKey: "sk-ant", baseUrl: `${url}/v1`, headers: {} },
    }),
    keyHeader: { name: "x-api-key", value: "sk-ant" },
  },
  {
    label: "ollama",
    model: "ollama/llama3.2",
    format: "ollama",
    providers: (url) => ({ ollama: { type: "ollama", baseUrl: url, headers: {} } }),
  },
  {
    label: "openai-compatible",
    model: "local/qwen3",
    format: "openai-chat",
    providers: (url) => ({
      local: { type: "openai-compatible", apiKey: "sk-local", baseUrl: `${url}/v1`, headers: {} },
    }),
    keyHeader: { name: "authorization", value: "Bearer sk-local" },
  },
  {
    label: "openrouter",
    model: "openrouter/anthropic/claude-sonnet-4",
    format: "openai-chat",
    providers: (url) => ({
      openrouter: { type: "openrouter", apiKey: "sk-or", baseUrl: `${url}/api/v1`, headers: {} },
    }),
    keyHeader: { name: "authorization", value: "Bearer sk-or" },
  },
];

/** A step request with defaults: system "Be brief.", no tools, a fresh signal. */
export function stepRequest(
  messages: ContextMessage[],
  options: { tools?: ModelToolSpec[]; signal?: AbortSignal } = {},
): ModelStepRequest {
  return {
    system: "Be brief.",
    messages,
    tools: options.tools ?? [],
    signal: options.signal ?? new AbortController().signal,
  };
}

/** Everything a step streamed, gathered. */
export interface CollectedStep {
  parts: ModelStepPart[];
  text: string;
  reasoning: string;
  toolCalls: Extract<ModelStepPart, { type: "tool-call" }>[];
  finish: Extract<ModelStepPart, { type: "finish" }> | undefined;
}

/** Drains a step's parts. Rejects with the iterable's error. */
export async function collect(step: ModelStep): Promise<CollectedStep> {
  const parts: ModelStepPart[] = [];
  for await (const part of step.parts) parts.push(part);
  return summarize(parts);
}

/** Summaries of a list of parts. */
export function summarize(parts: ModelStepPart[]): CollectedStep {
  let text = "";
  let reasoning = "";
  const toolCalls: CollectedStep["toolCalls"] = [];
  let finish: CollectedStep["finish"];
  for (const part of parts) {
    if (part.type === "text-delta") text += part.text;
    else if (part.type === "reasoning-delta") reasoning += part.text;
    else if (part.type === "tool-call") toolCalls.push(part);
    else finish = part;
  }
  return { parts, text, reasoning, toolCalls, finish };
}

/** A weather tool spec used across tests. */
export const WEATHER_TOOL: ModelToolSpec = {
  name: "get_weather",
  description: "Current weather for a city.",
  inputSchema: {
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
    additionalProperties: false,
  },
};
