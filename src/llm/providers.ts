/**
 * Resolves `provider/model-id` strings (DESIGN.md, Agent format: `spec.model`) to AI SDK language
 * models. Built-in providers: `openai` (Responses API by default, Chat Completions with `api: chat`),
 * `anthropic`, `openrouter`, `ollama`; any other name is declared in pluto.yaml as
 * `type: openai-compatible` with a `base_url`. See docs/providers.md.
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { createOpenRouter } from "@openrouter/ai-sdk-provider";
import type { LanguageModel } from "ai";
import { createOllama } from "ollama-ai-provider-v2";
import type { ProviderConfig } from "../config/pluto-config.js";
import { PlutoError } from "../core/errors.js";
import { ollamaFetch } from "./ollama-stream-errors.js";

/** A language model object the AI SDK's `streamText` accepts (never a bare gateway id string). */
export type ResolvedLanguageModel = Exclude<LanguageModel, string>;

/** The provider names that work without a pluto.yaml entry. */
export const BUILT_IN_PROVIDERS = ["openai", "anthropic", "openrouter", "ollama"] as const;

/** Default base URLs, from each provider's API reference. Ollama's is its local default port. */
const DEFAULT_BASE_URLS: Record<(typeof BUILT_IN_PROVIDERS)[number], string> = {
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com/v1",
  openrouter: "https://openrouter.ai/api/v1",
  ollama: "http://127.0.0.1:11434",
};

/** Inputs of {@link createModelRegistry}. */
export interface ModelRegistryOptions {
  /** Provider name → settings, from pluto.yaml `providers` (may be empty). */
  providers: Record<string, ProviderConfig>;
  /** Environment used for keys and base URLs (pass `process.env` at the composition root). */
  env: Record<string, string | undefined>;
}

/** Resolves model ids to AI SDK models, creating each provider once. */
export interface ModelRegistry {
  /**
   * The model for `provider/model-id` (the model id may itself contain `/`, e.g.
   * `openrouter/anthropic/claude-sonnet-4`).
   * @throws PlutoError `PROVIDER_UNKNOWN` (bad id or undeclared provider), `PROVIDER_KEY_MISSING`,
   *   `CONFIG_INVALID` (an openai-compatible provider without `base_url`)
   */
  languageModel(modelId: string): ResolvedLanguageModel;
}

/** A parsed model id. */
export interface ModelReference {
  provider: string;
  model: string;
}

/**
 * Splits `provider/model-id` at the first `/`.
 * @throws PlutoError `PROVIDER_UNKNOWN` when either side is empty
 */
export function parseModelId(modelId: string): ModelReference {
  const slash = modelId.indexOf("/");
  const provider = slash > 0 ? modelId.slice(0, slash) : "";
  const model = slash > 0 ? modelId.slice(slash + 1) : "";
  if (provider === "" || model === "") {
    throw new PlutoError(
      "PROVIDER_UNKNOWN",
      `Model "${modelId}" has no provider. Write spec.model as provider/model-id, e.g. "openai/gpt-5-mini", ` +
        `"anthropic/claude-sonnet-4-5", "openrouter/anthropic/claude-sonnet-4" or "ollama/llama3.2".`,
      { details: { model: modelId } },
    );
  }
  return { provider, model };
}

/**
 * The environment variable prefix of a provider name: upper case, non-alphanumerics as `_`
 * (`openai` → `OPENAI`, `my-vllm` → `MY_VLLM`); keys come from `<PREFIX>_API_KEY`, base URLs from
 * `<PREFIX>_BASE_URL`.
 */
export function envPrefix(providerName: string): string {
  return providerName.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

function isBuiltIn(name: string): name is (typeof BUILT_IN_PROVIDERS)[number] {
  return (BUILT_IN_PROVIDERS as readonly string[]).includes(name);
}

function unknownProvider(name: string, modelId: string, configured: string[]): PlutoError {
  const known = [...new Set([...BUILT_IN_PROVIDERS, ...configured])].join(", ");
  return new PlutoError(
    "PROVIDER_UNKNOWN",
    `Unknown provider "${name}" in model "${modelId}". Known providers: ${known}. ` +
      `To use an OpenAI-compatible endpoint, declare it in pluto.yaml:\n` +
      `providers:\n  ${name}:\n    type: openai-compatible\n    base_url: https://example.com/v1\n` +
      `    api_key: \${${envPrefix(name)}_API_KEY}`,
    { details: { provider: name, model: modelId, known: known.split(", ") } },
  );
}

/** Removes one trailing slash so paths join cleanly. */
function trimSlash(url: string): string {
  return url.endsWith("/") ? url.slice(0, -1) : url;
}

type ProviderFactory = (modelId: string) => ResolvedLanguageModel;

/**
 * Builds a registry that resolves model ids against `options.providers` and `options.env`.
 * Provider instances are cached per provider name inside the registry (no module state).
 * Keys: `providers.<name>.api_key`, else `<NAME>_API_KEY` (OPENAI_API_KEY, ANTHROPIC_API_KEY,
 * OPENROUTER_API_KEY); Ollama and openai-compatible providers work without one. Base URLs:
 * `providers.<name>.base_url`, else `<NAME>_BASE_URL` (OPENAI_BASE_URL, ANTHROPIC_BASE_URL,
 * OLLAMA_BASE_URL, OPENROUTER_BASE_URL), else the provider's public endpoint.
 */
export function createModelRegistry(options: ModelRegistryOptions): ModelRegistry {
  const factories = new Map<string, ProviderFactory>();
  const configured = Object.keys(options.providers);

  const createFactory = (name: string, modelId: string): ProviderFactory => {
    const config = options.providers[name];
    const type = config?.type ?? (isBuiltIn(name) ? name : undefined);
    if (type === undefined) throw unknownProvider(name, modelId, configured);
    const prefix = envPrefix(name);
    const apiKey = nonEmpty(config?.apiKey) ?? nonEmpty(options.env[`${prefix}_API_KEY`]);
    const configuredUrl = nonEmpty(config?.baseUrl) ?? nonEmpty(options.env[`${prefix}_BASE_URL`]);
    const headers = config?.headers ?? {};
    const requireKey = (): string => {
      if (apiKey !== undefined) return apiKey;
      throw new PlutoError(
        "PROVIDER_KEY_MISSING",
        `No API key for provider "${name}" (model "${modelId}"). Set the ${prefix}_API_KEY environment variable, ` +
          `or set providers.${name}.api_key in pluto.yaml (for example api_key: \${${prefix}_API_KEY}).`,
        { details: { provider: name, envVar: `${prefix}_API_KEY`, configKey: `providers.${name}.api_key` } },
      );
    };
    switch (type) {
      case "openai": {
        const provider = createOpenAI({
          apiKey: requireKey(),
          baseURL: trimSlash(configuredUrl ?? DEFAULT_BASE_URLS.openai),
          headers,
          name,
        });
        return config?.api === "chat" ? (id) => provider.chat(id) : (id) => provider.responses(id);
      }
      case "anthropic": {
        const provider = createAnthropic({
          apiKey: requireKey(),
          baseURL: trimSlash(configuredUrl ?? DEFAULT_BASE_URLS.anthropic),
          headers,
        });
        return (id) => provider.messages(id);
      }
      case "openrouter": {
        const provider = createOpenRouter({
          apiKey: requireKey(),
          baseURL: trimSlash(configuredUrl ?? DEFAULT_BASE_URLS.openrouter),
          headers,
          compatibility: "strict",
        });
        return (id) => provider.chat(id);
      }
      case "ollama": {
        // Ollama's native API lives under /api; accept base URLs written with or without it.
        const root = trimSlash(configuredUrl ?? DEFAULT_BASE_URLS.ollama);
        const provider = createOllama({
          baseURL: root.endsWith("/api") ? root : `${root}/api`,
          headers: apiKey === undefined ? headers : { authorization: `Bearer ${apiKey}`, ...headers },
          fetch: ollamaFetch(),
        });
        return (id) => provider.chat(id);
      }
      case "openai-compatible": {
        if (configuredUrl === undefined) {
          throw new PlutoError(
            "CONFIG_INVALID",
            `Provider "${name}" is openai-compatible but has no base URL. Set providers.${name}.base_url in ` +
              `pluto.yaml (e.g. http://127.0.0.1:8000/v1) or the ${prefix}_BASE_URL environment variable.`,
            { details: { provider: name } },
          );
        }
        const provider = createOpenAICompatible({
          name,
          baseURL: trimSlash(configuredUrl),
          headers,
          includeUsage: true,
          ...(apiKey === undefined ? {} : { apiKey }),
        });
        return (id) => provider.chatModel(id);
      }
    }
  };

  return {
    languageModel(modelId) {
      const { provider, model } = parseModelId(modelId);
      let factory = factories.get(provider);
      if (factory === undefined) {
        factory = createFactory(provider, modelId);
        factories.set(provider, factory);
      }
      return factory(model);
    },
  };
}

/**
 * One-off resolution of a model id (builds a fresh registry; prefer {@link createModelRegistry}
 * where models are resolved repeatedly).
 * @throws PlutoError as {@link ModelRegistry.languageModel}
 */
export function createLanguageModel(modelId: string, options: ModelRegistryOptions): ResolvedLanguageModel {
  return createModelRegistry(options).languageModel(modelId);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
