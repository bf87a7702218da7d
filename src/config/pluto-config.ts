/**
 * The resolved `pluto.yaml` (DESIGN.md, State layout; issue "v0.1 core", Config). Produced by
 * `load-config.ts` after `${VAR}` / `${VAR:-default}` interpolation and validation.
 */

/** Durability of the filesystem session log. See docs/state.md. */
export type FsyncPolicy = "always" | "batch" | "never";

/** PostgreSQL connection settings shared by the postgres backends. */
export interface PostgresBackendConfig {
  backend: "postgres";
  /** `postgres://…` connection URL. */
  url: string;
  /** Schema holding Pluto's tables. @default "pluto" */
  schema: string;
  /** Largest pool size for this URL. @default 10 */
  poolMax: number;
}

/** Redis connection settings shared by the redis backends. */
export interface RedisBackendConfig {
  backend: "redis";
  /** `redis://…` connection URL. */
  url: string;
  /** Key prefix. @default "pluto" */
  prefix: string;
}

/**
 * One backend choice per service (issue "state for scale-out"): mixing is allowed, e.g. sessions in
 * Redis, memory in PostgreSQL, artifacts in S3. See docs/configuration.md and docs/backends/.
 */
export type SessionServiceConfig =
  | { backend: "filesystem" /** @default "batch" (group commit) */; fsync: FsyncPolicy }
  | { backend: "memory" }
  | PostgresBackendConfig
  | RedisBackendConfig;

export type MemoryServiceConfig = { backend: "filesystem" } | { backend: "memory" } | PostgresBackendConfig;

export type ArtifactServiceConfig =
  | { backend: "filesystem" }
  | { backend: "memory" }
  | {
      backend: "s3";
      bucket: string;
      /** S3-compatible endpoint; AWS when absent. */
      endpoint?: string;
      /** @default "us-east-1" */
      region: string;
      /** Key prefix inside the bucket. @default "" */
      prefix: string;
      /** Path-style URLs (MinIO, s3rver). @default false */
      forcePathStyle: boolean;
      /** Static credentials; the AWS default credential chain when absent. */
      accessKeyId?: string;
      secretAccessKey?: string;
    };

/** Where run leases (one active run per session across workers) and event fan-out live. */
export type CoordinationServiceConfig =
  | { backend: "local" }
  | (RedisBackendConfig & { /** Run lease time-to-live in ms. @default 15000 */ leaseTtlMs: number });

/**
 * Where agent definitions live: `filesystem` is the agents folder (`agents_dir`, and
 * `<data_dir>/tenants/<tenant>/agents` for other tenants); `postgres` keeps them in PostgreSQL, shared by
 * every worker, each worker loading a local copy under `<data_dir>/agents-cache/<tenant>/`.
 */
export type AgentServiceConfig = { backend: "filesystem" } | PostgresBackendConfig;

/**
 * Where durable jobs live (src/jobs): `filesystem` is `<data_dir>/jobs/` (one process per data
 * directory), `postgres` is shared by every worker, `memory` is lost on exit.
 */
export type JobServiceConfig = MemoryServiceConfig;

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
  /** URL clients reach this server at (agent cards, login links); from each request when absent. */
  publicUrl?: string;
  /** Agent for protocol requests that name none. */
  defaultAgent?: string;
  /** Per-tenant limits, per worker; absent means unlimited. */
  limits: { requestsPerMinute?: number; concurrentRunsPerTenant?: number };
}

export interface PlutoConfig {
  /** Absolute path of the loaded pluto.yaml, or undefined when defaults are used. */
  file?: string;
  /** Absolute path of the state directory. @default "./.pluto" */
  dataDir: string;
  /** Absolute path of the agents folder. @default "<dataDir>/agents" */
  agentsDir: string;
  services: {
    session: SessionServiceConfig;
    memory: MemoryServiceConfig;
    artifacts: ArtifactServiceConfig;
    coordination: CoordinationServiceConfig;
    /** @default { backend: "filesystem" } */
    agents: AgentServiceConfig;
    /** @default { backend: "filesystem" } */
    jobs: JobServiceConfig;
  };
  /** Provider name → settings; built-in providers appear here only when configured. */
  providers: Record<string, ProviderConfig>;
  server: ServerConfig;
  /** Model retries on 429/5xx: attempts after the first, and the backoff cap in ms. */
  retry: { maxRetries: number; maxDelayMs: number };
}
