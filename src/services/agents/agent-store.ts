/**
 * Agent definitions kept in a shared store (PostgreSQL in complex mode), so every worker serves the same
 * agents without a shared disk. A definition is the admin API's JSON form of an agent folder: relative
 * path (`agent.yaml`, `SYSTEM_PROMPT.md`, `skills/<skill>/SKILL.md`) to UTF-8 text. Workers keep loading
 * folders: `AgentFolderSync` writes what the store holds into a local cache folder.
 */

/** An agent's files: relative `/`-separated path to UTF-8 text. */
export type AgentStoreFiles = Record<string, string>;

/** One stored agent definition. */
export interface StoredAgent {
  /** The files as they were put (same paths, same text). */
  files: AgentStoreFiles;
  /**
   * A positive integer that grows with every `put` of this agent and is never given to it twice, not even
   * after a `delete` and a new `put` (so a stale copy can always be told apart by its version).
   */
  version: number;
  /** ISO-8601 time of the last `put`, from the store's clock. */
  updatedAt: string;
}

/** One row of {@link AgentStore.list}: an agent's name and version, without its files. */
export interface AgentStoreEntry {
  name: string;
  version: number;
  updatedAt: string;
}

/** One page of {@link AgentStore.list}, in name order (by code point), and how many agents there are. */
export interface AgentStorePage {
  agents: AgentStoreEntry[];
  total: number;
}

/** Options of {@link AgentStore.put}. */
export interface AgentStorePutOptions {
  /**
   * Write only if the agent's current version is this (`0`: only if it does not exist). Without it the
   * put creates or replaces unconditionally.
   */
  expectedVersion?: number;
}

/** What {@link AgentStore.put} stored. */
export interface AgentStorePutResult {
  version: number;
  updatedAt: string;
  /** True when the agent did not exist before this put. */
  created: boolean;
}

/**
 * Agent definitions per tenant. Every method checks `tenant` and `name` with `assertSafeName`
 * (PlutoError `INVALID_NAME`) before touching the store, and every read and write is scoped by tenant:
 * no call for one tenant sees another tenant's agents. The contract suite is
 * test/contracts/agent-store.contract.ts; backends: in-memory (`InMemoryAgentStore`) and PostgreSQL
 * (`PostgresAgentStore`).
 */
export interface AgentStore {
  /**
   * Creates or replaces an agent's files in one atomic step (readers see the old files or the new ones).
   * @throws PlutoError `INVALID_NAME` for an unsafe tenant, name or file path (`assertSafePath`);
   *   `BAD_REQUEST` for a non-string file text or more than {@link AGENT_STORE_MAX_FILES} files;
   *   `PAYLOAD_TOO_LARGE` above {@link AGENT_STORE_MAX_BYTES}; `SESSION_CONFLICT` (409) with
   *   `details.expectedVersion` and `details.actualVersion` (0 when absent) when `expectedVersion` is given
   *   and does not match; `BACKEND_UNAVAILABLE` when the store cannot be reached.
   */
  put(
    tenant: string,
    name: string,
    files: AgentStoreFiles,
    options?: AgentStorePutOptions,
  ): Promise<AgentStorePutResult>;

  /** The agent's files and version, or undefined when it does not exist. */
  get(tenant: string, name: string): Promise<StoredAgent | undefined>;

  /** The agent's current version (cheap: no files are read), or undefined when it does not exist. */
  version(tenant: string, name: string): Promise<number | undefined>;

  /**
   * A page of a tenant's agents in name order. `offset` (default 0) is a non-negative integer, `limit`
   * (default 100) an integer from 1 to 1000. @throws PlutoError `BAD_REQUEST` for other paging values.
   */
  list(tenant: string, options?: { offset?: number; limit?: number }): Promise<AgentStorePage>;

  /** Removes an agent. @returns true when it existed. */
  delete(tenant: string, name: string): Promise<boolean>;

  /** Releases resources (never a pool that was passed in). */
  close?(): Promise<void>;
}

/** Most files one stored agent may have (the admin API's limit). */
export const AGENT_STORE_MAX_FILES = 200;
/** Largest total UTF-8 size of one stored agent's files, in bytes (4 MiB, the admin API's limit). */
export const AGENT_STORE_MAX_BYTES = 4 * 1024 * 1024;
/** Largest page of {@link AgentStore.list}. */
export const AGENT_STORE_MAX_PAGE = 1000;
