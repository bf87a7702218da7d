/**
 * The resolved `pluto.yaml` (DESIGN.md, State layout; issue "v0.1 core", Config). Produced by
 * `load-config.ts` after `${VAR}` / `${VAR:-default}` interpolation and validation.
 */

/** Durability of the filesystem session log. See docs/state.md. */
export type FsyncPolicy = "always" | "batch" | "never";

/** One backend choice per service; only `filesystem` exists in v0.1, other backends slot in beside it. */
export interface SessionServiceConfig {
  backend: "filesystem" | "memory";
  /** @default "batch" (group commit: one fsync per batch of appends) */
  fsync: FsyncPolicy;
}
export interface MemoryServiceConfig {
  backend: "filesystem" | "memory";
}
export interface ArtifactServiceConfig {
  backend: "filesystem" | "memory";
}

/** A provider entry. Built-in names: `openai`, `anthropic`, `openrouter`, `ollama`; any other name needs `type: openai-compatible` and `base_url`. */
export interface ProviderConfig {
  type: "openai" | "anthropic" | "openrouter" | "ollama" | "openai-compatible";
  apiKey?: string;
  baseUrl?: string;
  /** `chat` (chat completions) or `responses` for OpenAI. @default "responses" for openai */
  api?: "chat" | "responses";
  headers: Record<string, string>;
}

export interface ServerConfig {
  /** @default "127.0.0.1" */
  host: string;
  /** @default 7400 */
  port: number;
  auth: { token?: string };
  /** Largest accepted request body in bytes. @default 1048576 */
  maxBodyBytes: number;
}

export interface PlutoConfig {
  /** Absolute path of the loaded pluto.yaml, or undefined when defaults are used. */
  file?: string;
  /** Absolute path of the state directory. @default "./.pluto" */
  dataDir: string;
  /** Absolute path of the agents folder. @default "<dataDir>/agents" */
  agentsDir: string;
  services: { session: SessionServiceConfig; memory: MemoryServiceConfig; artifacts: ArtifactServiceConfig };
  /** Provider name → settings; built-in providers appear here only when configured. */
  providers: Record<string, ProviderConfig>;
  server: ServerConfig;
  /** Model retries on 429/5xx: attempts after the first, and the backoff cap in ms. */
  retry: { maxRetries: number; maxDelayMs: number };
}
