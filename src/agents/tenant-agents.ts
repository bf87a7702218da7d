import path from "node:path";
import { assertSafeName } from "../core/names.js";
import { DEFAULT_TENANT } from "../core/scope.js";
import { AgentCache } from "./agent-cache.js";
import { AgentCatalog, type AgentListOptions, type AgentPage, type AgentSummary } from "./agent-catalog.js";
import type { AgentDefinition } from "./agent-definition.js";
import { ScheduleIndex } from "./schedule-index.js";

/**
 * Keeps local agents folders in step with a shared store of definitions (PostgreSQL in complex mode; the
 * implementation is `AgentFolderSync` in services/agents), so catalogs keep loading folders.
 */
export interface AgentFolderSource {
  /** The local folder holding `tenant`'s copies (`tenant` is a safe name). */
  directoryOf(tenant: string): string;
  /**
   * Brings the copy of agent `name` (or, without a name, of every agent) of `tenant` up to date with the
   * store, when it was not checked within the source's interval.
   * @returns the names whose folders were written or removed (their cached loads are then dropped).
   * @throws PlutoError `BACKEND_UNAVAILABLE` when the store is unreachable and there is no local copy.
   */
  sync(tenant: string, name?: string): Promise<readonly string[]>;
  /** Forgets when `name` (or every agent of `tenant`) was last checked: the next `sync` asks the store. */
  expire(tenant: string, name?: string): void;
}

/** Options for {@link TenantAgents}. */
export interface TenantAgentsOptions {
  /** The default tenant's agents folder (`agents_dir`). */
  agentsDir: string;
  /** State folder; another tenant's agents live in `<dataDir>/tenants/<tenant>/agents`. */
  dataDir: string;
  /** Provider names declared in pluto.yaml. */
  providerNames: readonly string[];
  /** Loaded agents kept in memory, across all tenants (one shared LRU). @default 1000 */
  maxCached?: number;
  /**
   * Estimated bytes of the loaded agents kept in memory, across all tenants (see `estimateAgentBytes`).
   * @default 67108864 (64 MiB)
   */
  maxCachedBytes?: number;
  /** Tenants whose catalogs (folder name indexes) stay in memory (least recently used are dropped). @default 1000 */
  maxTenants?: number;
  /**
   * The array form of `list(tenant)` loads every agent of a folder holding at most this many; larger
   * folders report validity only for cached agents (see `AgentSummary.checked`). @default 256
   */
  validateAllUpTo?: number;
  /**
   * A shared store the agents come from (`services.agents.backend: postgres`): every tenant's folder is then
   * the source's local copy, brought up to date before each `get` and `list`. Without it the agents folders
   * are the definitions.
   */
  source?: AgentFolderSource;
}

/**
 * Agent definitions per tenant: each tenant sees only its own agents folder, so no name a tenant
 * can send ever resolves to another tenant's agent (DESIGN.md: "Tenants other than the default get
 * their own subtree").
 */
export class TenantAgents {
  /** The one cache of loaded agents every tenant's catalog shares. */
  readonly cache: AgentCache;
  readonly #options: TenantAgentsOptions;
  readonly #catalogs = new Map<string, AgentCatalog>();
  #scheduleIndex: ScheduleIndex | undefined;

  constructor(options: TenantAgentsOptions) {
    this.#options = options;
    this.cache = new AgentCache({
      ...(options.maxCached === undefined ? {} : { maxEntries: options.maxCached }),
      ...(options.maxCachedBytes === undefined ? {} : { maxBytes: options.maxCachedBytes }),
    });
  }

  /** Provider names declared in pluto.yaml, as given in the options (for validating agents elsewhere). */
  get providerNames(): readonly string[] {
    return this.#options.providerNames;
  }

  /** The folder holding `tenant`'s agents. @throws PlutoError `INVALID_NAME` for an unsafe tenant. */
  directoryOf(tenant: string = DEFAULT_TENANT): string {
    const source = this.#options.source;
    if (source !== undefined) return path.resolve(source.directoryOf(assertSafeName("tenant", tenant)));
    if (tenant === DEFAULT_TENANT) return path.resolve(this.#options.agentsDir);
    return path.join(
      path.resolve(this.#options.dataDir),
      "tenants",
      assertSafeName("tenant", tenant),
      "agents",
    );
  }

  /**
   * The catalog of one tenant (created on first use, kept in a bounded LRU). A catalog dropped from that LRU
   * loses only its folder name index: its loaded agents stay in the shared cache, keyed by folder.
   */
  catalog(tenant: string = DEFAULT_TENANT): AgentCatalog {
    let catalog = this.#catalogs.get(tenant);
    if (catalog !== undefined) {
      this.#catalogs.delete(tenant);
      this.#catalogs.set(tenant, catalog);
      return catalog;
    }
    catalog = new AgentCatalog({
      agentsDir: this.directoryOf(tenant),
      providerNames: this.#options.providerNames,
      cache: this.cache,
      ...(this.#options.validateAllUpTo === undefined
        ? {}
        : { validateAllUpTo: this.#options.validateAllUpTo }),
    });
    this.#catalogs.set(tenant, catalog);
    if (this.#catalogs.size > (this.#options.maxTenants ?? 1000)) {
      const oldest = this.#catalogs.keys().next().value;
      if (oldest !== undefined) this.#catalogs.delete(oldest);
    }
    return catalog;
  }

  /**
   * One agent of a tenant. @throws as `AgentCatalog.get`; with a `source`, also PlutoError
   * `BACKEND_UNAVAILABLE` when its store is unreachable and the agent has no local copy.
   */
  async get(name: string, tenant: string = DEFAULT_TENANT): Promise<AgentDefinition> {
    const catalog = this.catalog(tenant);
    const source = this.#options.source;
    if (source !== undefined) {
      const changed = await source.sync(tenant, assertSafeName("agent", name));
      for (const agent of changed) catalog.invalidate(agent);
    }
    return catalog.get(name);
  }

  /** A tenant's agents, sorted by name. @see AgentCatalog.list for which ones are loaded to check validity. */
  list(tenant?: string): Promise<AgentSummary[]>;
  /** One page of a tenant's agents, each checked. @throws PlutoError `BAD_REQUEST` for bad paging. */
  list(tenant: string | undefined, options: AgentListOptions): Promise<AgentPage>;
  async list(
    tenant: string = DEFAULT_TENANT,
    options?: AgentListOptions,
  ): Promise<AgentSummary[] | AgentPage> {
    const catalog = this.catalog(tenant);
    const source = this.#options.source;
    if (source !== undefined) {
      for (const agent of await source.sync(tenant)) catalog.invalidate(agent);
    }
    return options === undefined ? catalog.list() : catalog.list(options);
  }

  /**
   * Names of the default tenant's agents that may have `spec.schedules` (a superset: see `ScheduleIndex`),
   * found without loading the others, so the scheduler leaves the agent cache to the runs.
   */
  async scheduledAgentNames(): Promise<string[]> {
    const names = (await this.list(DEFAULT_TENANT)).map((summary) => summary.name);
    this.#scheduleIndex ??= new ScheduleIndex(this.directoryOf(DEFAULT_TENANT));
    return this.#scheduleIndex.candidates(names);
  }

  /**
   * Drops cached definitions of one agent (or all of a tenant) after a change through the admin API or an
   * import, so the next `get` reloads it from disk (and, with a `source`, asks its store at once).
   * @throws PlutoError `INVALID_NAME` for an unsafe tenant.
   */
  invalidate(tenant: string = DEFAULT_TENANT, name?: string): void {
    this.#options.source?.expire(assertSafeName("tenant", tenant), name);
    const catalog = this.#catalogs.get(tenant);
    if (catalog !== undefined) {
      catalog.invalidate(name);
      return;
    }
    // No catalog in memory (never used, or dropped from the tenant LRU): its agents may still be cached.
    const prefix = `${this.directoryOf(tenant)}${path.sep}`;
    if (name === undefined) this.cache.deleteWithPrefix(prefix);
    else this.cache.delete(`${prefix}${assertSafeName("agent", name)}`);
  }
}
