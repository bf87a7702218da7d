import path from "node:path";
import { assertSafeName } from "../core/names.js";
import { DEFAULT_TENANT } from "../core/scope.js";
import { AgentCatalog, type AgentSummary } from "./agent-catalog.js";
import type { AgentDefinition } from "./agent-definition.js";

/** Options for {@link TenantAgents}. */
export interface TenantAgentsOptions {
  /** The default tenant's agents folder (`agents_dir`). */
  agentsDir: string;
  /** State folder; another tenant's agents live in `<dataDir>/tenants/<tenant>/agents`. */
  dataDir: string;
  /** Provider names declared in pluto.yaml. */
  providerNames: readonly string[];
  /** Loaded agents kept per tenant. @default 1000 */
  maxCachedPerTenant?: number;
  /** Tenants whose catalogs stay in memory (least recently used are dropped). @default 1000 */
  maxTenants?: number;
}

/**
 * Agent definitions per tenant: each tenant sees only its own agents folder, so no name a tenant
 * can send ever resolves to another tenant's agent (DESIGN.md: "Tenants other than the default get
 * their own subtree").
 */
export class TenantAgents {
  readonly #options: TenantAgentsOptions;
  readonly #catalogs = new Map<string, AgentCatalog>();

  constructor(options: TenantAgentsOptions) {
    this.#options = options;
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

  /** The catalog of one tenant (created on first use, kept in a bounded LRU). */
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
      ...(this.#options.maxCachedPerTenant === undefined
        ? {}
        : { maxCached: this.#options.maxCachedPerTenant }),
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

  /** A tenant's agents. */
  list(tenant: string = DEFAULT_TENANT): Promise<AgentSummary[]> {
    return this.catalog(tenant).list();
  }

  /** Drops cached definitions of one agent (or all of a tenant) after a change through the admin API. */
  invalidate(tenant: string = DEFAULT_TENANT, name?: string): void {
    this.#catalogs.get(tenant)?.invalidate(name);
  }
}
