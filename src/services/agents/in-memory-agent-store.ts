import { assertSafeName } from "../../core/names.js";
import type {
  AgentStore,
  AgentStoreFiles,
  AgentStorePage,
  AgentStorePutOptions,
  AgentStorePutResult,
  StoredAgent,
} from "./agent-store.js";
import { agentConflict, checkAgentListOptions, checkAgentPut } from "./agent-store-input.js";

interface Row {
  filesJson: string;
  version: number;
  updatedAt: string;
}

/**
 * An {@link AgentStore} in process memory: the test twin of `PostgresAgentStore`, with the same contract
 * (validation, versions that never repeat, conflicts, tenant isolation). Files are kept as JSON text, so
 * callers never share objects with the store; nothing survives the process.
 */
export class InMemoryAgentStore implements AgentStore {
  readonly #rows = new Map<string, Map<string, Row>>();
  /** One counter for the whole store, like the PostgreSQL sequence: versions never repeat. */
  #lastVersion = 0;

  /** See {@link AgentStore.put}. */
  async put(
    tenant: string,
    name: string,
    files: AgentStoreFiles,
    options?: AgentStorePutOptions,
  ): Promise<AgentStorePutResult> {
    const checked = checkAgentPut(tenant, name, files, options);
    let agents = this.#rows.get(checked.tenant);
    const current = agents?.get(checked.name);
    if (checked.expectedVersion !== undefined && checked.expectedVersion !== (current?.version ?? 0)) {
      throw agentConflict(checked.name, checked.expectedVersion, current?.version ?? 0);
    }
    this.#lastVersion += 1;
    const row: Row = {
      filesJson: checked.filesJson,
      version: this.#lastVersion,
      updatedAt: new Date().toISOString(),
    };
    if (agents === undefined) {
      agents = new Map();
      this.#rows.set(checked.tenant, agents);
    }
    agents.set(checked.name, row);
    return { version: row.version, updatedAt: row.updatedAt, created: current === undefined };
  }

  /** See {@link AgentStore.get}. */
  async get(tenant: string, name: string): Promise<StoredAgent | undefined> {
    const row = this.#row(tenant, name);
    return row === undefined
      ? undefined
      : {
          files: JSON.parse(row.filesJson) as AgentStoreFiles,
          version: row.version,
          updatedAt: row.updatedAt,
        };
  }

  /** See {@link AgentStore.version}. */
  async version(tenant: string, name: string): Promise<number | undefined> {
    return this.#row(tenant, name)?.version;
  }

  /** See {@link AgentStore.list}. */
  async list(tenant: string, options?: { offset?: number; limit?: number }): Promise<AgentStorePage> {
    assertSafeName("tenant", tenant);
    const { offset, limit } = checkAgentListOptions(options);
    const agents = this.#rows.get(tenant) ?? new Map<string, Row>();
    const names = [...agents.keys()].sort((left, right) => (left < right ? -1 : left > right ? 1 : 0));
    return {
      agents: names.slice(offset, offset + limit).map((name) => {
        const row = agents.get(name) as Row;
        return { name, version: row.version, updatedAt: row.updatedAt };
      }),
      total: names.length,
    };
  }

  /** See {@link AgentStore.delete}. */
  async delete(tenant: string, name: string): Promise<boolean> {
    assertSafeName("tenant", tenant);
    assertSafeName("agent", name);
    return this.#rows.get(tenant)?.delete(name) ?? false;
  }

  #row(tenant: string, name: string): Row | undefined {
    assertSafeName("tenant", tenant);
    assertSafeName("agent", name);
    return this.#rows.get(tenant)?.get(name);
  }
}
