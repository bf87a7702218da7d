import path from "node:path";
import { assertSafeName } from "../core/names.js";
import { DEFAULT_TENANT } from "../core/scope.js";
import { AgentCache } from "./agent-cache.js";
import { AgentCatalog, type AgentListOptions, type AgentPage, type AgentSummary } from "./agent-catalog.js";
import type { AgentDefinition } from "./agent-definition.js";

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

  /** One agent of a tenant. @throws as `AgentCatalog.get`. */
  get(name: string, tenant: string = DEFAULT_TENANT): Promise<AgentDefinition> {
    return this.catalog(tenant).get(name);
  }

  /** A tenant's agents, sorted by name. @see AgentCatalog.list for which ones are loaded to check validity. */
  list(tenant?: string): Promise<AgentSummary[]>;
  /** One page of a tenant's agents, each checked. @throws PlutoError `BAD_REQUEST` for bad paging. */
  list(tenant: string | undefined, options: AgentListOptions): Promise<AgentPage>;
  list(tenant: string = DEFAULT_TENANT, options?: AgentListOptions): Promise<AgentSummary[] | AgentPage> {
    const catalog = this.catalog(tenant);
    return options === undefined ? catalog.list() : catalog.list(options);
  }

  /**
   * Drops cached definitions of one agent (or all of a tenant) after a change through the admin API or an
   * import, so the next `get` reloads it from disk. @throws PlutoError `INVALID_NAME` for an unsafe tenant.
   */
  invalidate(tenant: string = DEFAULT_TENANT, name?: string): void {
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
