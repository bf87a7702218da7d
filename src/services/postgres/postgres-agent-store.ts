import type pg from "pg";
import { assertSafeName } from "../../core/names.js";
import type {
  AgentStore,
  AgentStoreFiles,
  AgentStorePage,
  AgentStorePutOptions,
  AgentStorePutResult,
  StoredAgent,
} from "../agents/agent-store.js";
import { agentConflict, checkAgentListOptions, checkAgentPut } from "../agents/agent-store-input.js";
import { queryPostgres } from "./postgres-errors.js";
import { DEFAULT_POSTGRES_SCHEMA, quoteSchema } from "./postgres-schema.js";

/** Options for {@link PostgresAgentStore}. */
export interface PostgresAgentStoreOptions {
  /** A shared pool (from `PostgresPools.get(url)`); the store never ends it. */
  pool: pg.Pool;
  /**
   * Schema holding the tables created by `migratePostgres` (table `agents` and sequence `agent_versions`,
   * migration 0003). @default "pluto"
   */
  schema?: string;
}

interface VersionRow {
  version: string;
  updated_at: Date;
}

/**
 * An {@link AgentStore} in PostgreSQL (table `agents`, migration 0003): one row per agent of a tenant
 * with its files as `json` text, a version and the time of the last write.
 *
 * Every write is ONE statement, so readers see the old files or the new ones. Versions come from the
 * sequence `agent_versions` (one for the schema), so they grow with every put and never repeat, even for an
 * agent deleted and created again. A conditional put (`expectedVersion`) is guarded in the statement
 * itself (`INSERT … ON CONFLICT DO NOTHING` for 0, `UPDATE … WHERE version = $expected` otherwise): of
 * concurrent writers with the same expectation exactly one wins, across processes. `updatedAt` is the
 * database clock at millisecond precision. Every statement is scoped by tenant.
 * Unreachable server: PlutoError `BACKEND_UNAVAILABLE` (retryable), from `postgresError`.
 */
export class PostgresAgentStore implements AgentStore {
  readonly #pool: pg.Pool;
  readonly #schema: string;
  readonly #agents: string;
  readonly #nextVersion: string;

  /** @throws PlutoError `CONFIG_INVALID` for a bad schema name. */
  constructor(options: PostgresAgentStoreOptions) {
    this.#pool = options.pool;
    this.#schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
    const schema = quoteSchema(this.#schema);
    this.#agents = `${schema}.agents`;
    this.#nextVersion = `nextval('${schema}.agent_versions')`;
  }

  #query<R extends pg.QueryResultRow>(
    action: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return queryPostgres<R>(this.#pool, this.#schema, action, text, values);
  }

  /** See {@link AgentStore.put}. */
  async put(
    tenant: string,
    name: string,
    files: AgentStoreFiles,
    options?: AgentStorePutOptions,
  ): Promise<AgentStorePutResult> {
    const checked = checkAgentPut(tenant, name, files, options);
    const action = `storing agent "${checked.name}"`;
    const now = "date_trunc('milliseconds', now())";
    const values = [checked.tenant, checked.name, checked.filesJson];
    const expected = checked.expectedVersion;
    if (expected === undefined) {
      // `xmax = 0` holds for a freshly inserted row and not for one updated by ON CONFLICT.
      const result = await this.#query<VersionRow & { created: boolean }>(
        action,
        `INSERT INTO ${this.#agents} AS stored (tenant, name, files, version, updated_at)
         VALUES ($1, $2, $3::json, ${this.#nextVersion}, ${now})
         ON CONFLICT (tenant, name) DO UPDATE
           SET files = EXCLUDED.files, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
         RETURNING stored.version, stored.updated_at, (stored.xmax = 0) AS created`,
        values,
      );
      const row = result.rows[0] as VersionRow & { created: boolean };
      return { version: Number(row.version), updatedAt: row.updated_at.toISOString(), created: row.created };
    }
    const result =
      expected === 0
        ? await this.#query<VersionRow>(
            action,
            `INSERT INTO ${this.#agents} (tenant, name, files, version, updated_at)
             VALUES ($1, $2, $3::json, ${this.#nextVersion}, ${now})
             ON CONFLICT (tenant, name) DO NOTHING
             RETURNING version, updated_at`,
            values,
          )
        : await this.#query<VersionRow>(
            action,
            `UPDATE ${this.#agents}
             SET files = $3::json, version = ${this.#nextVersion}, updated_at = ${now}
             WHERE tenant = $1 AND name = $2 AND version = $4
             RETURNING version, updated_at`,
            [...values, String(expected)],
          );
    const row = result.rows[0];
    if (row === undefined) {
      throw agentConflict(checked.name, expected, (await this.version(checked.tenant, checked.name)) ?? 0);
    }
    return { version: Number(row.version), updatedAt: row.updated_at.toISOString(), created: expected === 0 };
  }

  /** See {@link AgentStore.get}. */
  async get(tenant: string, name: string): Promise<StoredAgent | undefined> {
    const key = checkKey(tenant, name);
    const result = await this.#query<VersionRow & { files: AgentStoreFiles }>(
      `reading agent "${key.name}"`,
      `SELECT files, version, updated_at FROM ${this.#agents} WHERE tenant = $1 AND name = $2`,
      [key.tenant, key.name],
    );
    const row = result.rows[0];
    return row === undefined
      ? undefined
      : { files: row.files, version: Number(row.version), updatedAt: row.updated_at.toISOString() };
  }

  /** See {@link AgentStore.version}: one primary-key lookup that reads no files. */
  async version(tenant: string, name: string): Promise<number | undefined> {
    const key = checkKey(tenant, name);
    const result = await this.#query<{ version: string }>(
      `checking the version of agent "${key.name}"`,
      `SELECT version FROM ${this.#agents} WHERE tenant = $1 AND name = $2`,
      [key.tenant, key.name],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : Number(row.version);
  }

  /** See {@link AgentStore.list}: the total and the page come from one statement, so they agree. */
  async list(tenant: string, options?: { offset?: number; limit?: number }): Promise<AgentStorePage> {
    assertSafeName("tenant", tenant);
    const { offset, limit } = checkAgentListOptions(options);
    const result = await this.#query<{ total: string; name: string | null } & Partial<VersionRow>>(
      "listing agents",
      `SELECT counted.total, page.name, page.version, page.updated_at
       FROM (SELECT count(*) AS total FROM ${this.#agents} WHERE tenant = $1) AS counted
       LEFT JOIN LATERAL (
         SELECT name, version, updated_at FROM ${this.#agents} WHERE tenant = $1
         ORDER BY name OFFSET $2 LIMIT $3
       ) AS page ON true`,
      [tenant, String(offset), String(limit)],
    );
    return {
      agents: result.rows
        .filter((row) => row.name !== null)
        .map((row) => ({
          name: row.name as string,
          version: Number(row.version),
          updatedAt: (row.updated_at as Date).toISOString(),
        })),
      total: Number(result.rows[0]?.total ?? 0),
    };
  }

  /** See {@link AgentStore.delete}. */
  async delete(tenant: string, name: string): Promise<boolean> {
    const key = checkKey(tenant, name);
    const result = await this.#query(
      `deleting agent "${key.name}"`,
      `DELETE FROM ${this.#agents} WHERE tenant = $1 AND name = $2`,
      [key.tenant, key.name],
    );
    return (result.rowCount ?? 0) > 0;
  }

  /** Nothing to release: the pool belongs to the caller (`PostgresPools.close()`). */
  async close(): Promise<void> {}
}

function checkKey(tenant: string, name: string): { tenant: string; name: string } {
  return { tenant: assertSafeName("tenant", tenant), name: assertSafeName("agent", name) };
}
