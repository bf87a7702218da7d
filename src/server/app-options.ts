import type { AgentDefinition } from "../agents/agent-definition.js";
import type { JobStore } from "../jobs/job-store.js";
import type { RunManager } from "../runs/run-manager.js";
import type { AgentStore } from "../services/agents/agent-store.js";
import type { ArtifactStore } from "../services/artifact/artifact-store.js";
import type { ApiKeyStore } from "../services/auth/api-key-store.js";
import type { SessionStore } from "../services/session/session-store.js";
import type { TaskStore } from "../services/task/task-store.js";
import type { McpServerPolicy } from "../tools/mcp/mcp-server-policy.js";
import type { AgentFolders } from "./admin/agent-folder-writer.js";

/** Default of {@link AppOptions.maxStreams}: DESIGN.md's budget of 10,000 concurrent idle SSE streams. */
export const DEFAULT_MAX_STREAMS = 10_000;
/** Default of {@link AppOptions.slowReaderTimeoutMs}. */
export const DEFAULT_SLOW_READER_TIMEOUT_MS = 30_000;

/** What the HTTP API needs; built by `runtime.ts`. */
export interface AppOptions {
  /** Agent definitions per tenant (`TenantAgents`); `tenant` defaults to the default tenant. */
  agents: {
    get(name: string, tenant?: string): Promise<AgentDefinition>;
    list(tenant?: string): Promise<{ name: string; description: string; valid: boolean }[]>;
  };
  runs: RunManager;
  sessions: SessionStore;
  /** Artifacts served as MCP resources at `/mcp/{agent}`; without it the MCP servers offer no resources. */
  artifacts?: ArtifactStore;
  /**
   * Durable jobs: with them the job API (`/api/v1/jobs`) and the panic switch (`/api/v1/admin/state`,
   * `pause`, `resume`) are served; workers run the jobs elsewhere (docs/jobs.md).
   */
  jobs?: JobStore;
  /** Protocol tasks (Agent Protocol, A2A), shared by every worker. */
  tasks?: TaskStore;
  /**
   * Agent of a new Agent Protocol task when the request names none and the tenant has more than one
   * agent (see docs/api-agent-protocol.md, "Which agent").
   */
  defaultAgent?: string;
  /**
   * Absolute URL clients reach this instance at, for A2A agent cards and login links; else each request's
   * origin (a `Host` the origin guard accepted). Its host is an accepted `Host` and `Origin`.
   */
  publicUrl?: string;
  /** `server.allowed_hosts`: further `Host` names the server answers to (see `security/allowed-hosts.ts`). */
  allowedHosts?: readonly string[];
  /** Largest request body in bytes; larger bodies get 413. */
  maxBodyBytes: number;
  /** `server.auth.token`: when set, every route but health checks and agent cards needs a credential. */
  authToken?: string;
  /** Tenant API keys and login cookies; with at least one key, every non-public route needs a credential. */
  apiKeys?: ApiKeyStore;
  /**
   * Agents folders the admin API writes (`TenantAgents`: `directoryOf`, `invalidate`, `providerNames`);
   * without them `/api/v1/admin/agents` can list agents but not read or change their files.
   */
  agentFolders?: AgentFolders;
  /**
   * Store of agent definitions when `services.agents.backend` is `postgres`: the admin API writes and reads
   * agents there (validated as for folders), and `agentFolders` is this worker's local copy of it.
   */
  agentStore?: AgentStore;
  /** MCP rules the admin API applies to agents it writes (docs/security.md). @default none allowed */
  mcpPolicy?: McpServerPolicy;
  /** Requests per minute per tenant (token bucket); above it 429 `LIMIT_EXCEEDED` with Retry-After. Off when absent. */
  rateLimitPerMinute?: number;
  /** Runs a tenant may have queued or running at once through the HTTP APIs; above it 429. Off when absent. */
  maxConcurrentRunsPerTenant?: number;
  /**
   * Open streams (SSE responses and WebSockets) this process holds at once, all tenants together; above
   * it 503 `SERVER_BUSY` with Retry-After. @default 10000
   */
  maxStreams?: number;
  /** Open streams one tenant may hold in this process; above it 429 `LIMIT_EXCEEDED`. @default maxStreams */
  maxStreamsPerTenant?: number;
  /**
   * Milliseconds a write to a stream may wait for a client that does not read before the connection is
   * closed. @default 30000
   */
  slowReaderTimeoutMs?: number;
  /** True once start-up finished (for `/readyz`). */
  ready: () => boolean;
  /** Receives unexpected errors (they are hidden from clients). */
  onUnexpectedError?: (error: unknown) => void;
}
