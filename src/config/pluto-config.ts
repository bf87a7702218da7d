import type { McpServerSpec } from "./mcp-server-spec.js";

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
 * Where protocol tasks (Agent Protocol, A2A) are kept. Default when `services.tasks` is not written: the
 * session's PostgreSQL (same url and schema) when sessions are in PostgreSQL, memory when sessions are in
 * memory, else files under `data_dir`.
 */
export type TaskServiceConfig = { backend: "filesystem" } | { backend: "memory" } | PostgresBackendConfig;

/** Where API keys, login links and browser sessions are kept; the default follows the session as for tasks. */
export type KeyServiceConfig = ({ backend: "filesystem" } | { backend: "memory" } | PostgresBackendConfig) & {
  /** Live (unused, unexpired) login links one tenant may hold. @default 100 */
  maxLoginLinksPerTenant: number;
};

/**
 * Where durable jobs live (src/jobs): `filesystem` is `<data_dir>/jobs/` (one process per data
 * directory), `postgres` is shared by every worker, `memory` is lost on exit. Default when
 * `services.jobs` is not written: it follows the session as for tasks.
 */
export type JobServiceConfig = { backend: "filesystem" } | { backend: "memory" } | PostgresBackendConfig;

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
  /**
   * `Host` names accepted besides loopback names, IP addresses and `publicUrl`'s host (`"*.x"` for
   * subdomains, `"*"` for any). @default []
   */
  allowedHosts: string[];
  /** HTTP server timeouts in ms and the connection cap (see `startServer`). */
  timeouts: ServerTimeouts;
  /** Per-tenant limits, per worker; absent means unlimited. */
  limits: {
    requestsPerMinute?: number;
    concurrentRunsPerTenant?: number;
    /** Open SSE streams and WebSockets per worker, all tenants. @default 10000 */
    streams: number;
    /** Open streams per tenant per worker. @default streams */
    streamsPerTenant?: number;
    /** Milliseconds a stream write may wait for a client that does not read. @default 30000 */
    slowReaderTimeoutMs: number;
  };
}

/** One server of the operator's catalogue (`mcp_servers`), named by its key. */
export type McpCatalogServer = McpServerSpec & {
  /** Tenants whose agents may use it; every tenant when absent. */
  tenants?: string[];
};

/** The `security` section: what tenant-trust agents may do (docs/security.md). */
export interface SecurityConfig {
  /** Rules for the addresses tenant-trust URL servers connect to (IPs, CIDRs, host names, `*.domain`). */
  network: { allow: string[]; deny: string[] };
  /** Per-tenant allowances; absent tenants have none. */
  tenants: Record<string, { allowMcpCommands: boolean }>;
}

/** `server.timeouts`: how long clients may take, and how many connections one process holds. */
export interface ServerTimeouts {
  /** Time to send the request headers, in ms. @default 10000 */
  headersMs: number;
  /** Time to send the whole request, in ms; 0 is no limit. Responses and WebSockets are not limited. @default 120000 */
  requestMs: number;
  /** Idle time of a keep-alive connection, in ms. @default 5000 */
  keepAliveMs: number;
  /** Open connections accepted at once; more are closed. @default 20000 */
  maxConnections: number;
}

/** `jobs` in pluto.yaml: the job workers each process runs (src/jobs/job-worker-pool.ts). */
export interface JobWorkersConfig {
  /** Jobs run at once per process, 0-256; 0 runs no workers. @default 2 */
  concurrency: number;
  /** Milliseconds an idle worker waits before it looks for due jobs again. @default 500 */
  pollIntervalMs: number;
  /** Lease length in ms: a dead worker's job is retried this long after its last heartbeat. @default 30000 */
  leaseMs: number;
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
    tasks: TaskServiceConfig;
    keys: KeyServiceConfig;
    jobs: JobServiceConfig;
    /** Bound on one call to a state store, in ms (`services.timeout_seconds`). @default 30000 */
    timeoutMs: number;
  };
  /** Provider name → settings; built-in providers appear here only when configured. */
  providers: Record<string, ProviderConfig>;
  server: ServerConfig;
  /** The operator's catalogue of MCP servers, by name. @default {} */
  mcpServers: Record<string, McpCatalogServer>;
  security: SecurityConfig;
  /** `policy`: what a tool call no rule of its agent's `spec.tools.policy` matches gets. @default { default: "allow" } */
  policy: { default: "allow" | "deny" | "ask" };
  /** The job workers of `pluto serve` and `pluto worker` (`jobs` in pluto.yaml). */
  jobs: JobWorkersConfig;
  /** Model retries on 429/5xx: attempts after the first, and the backoff cap in ms. */
  retry: { maxRetries: number; maxDelayMs: number };
}
