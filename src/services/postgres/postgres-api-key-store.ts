import type pg from "pg";
import { PlutoError } from "../../core/errors.js";
import { assertSafeName, isSafeName } from "../../core/names.js";
import type { ApiKeyRecord, ApiKeyStore } from "../auth/api-key-store.js";
import {
  checkLoginLinkLimit,
  DEFAULT_MAX_LOGIN_LINKS_PER_TENANT,
  insertTime,
} from "../auth/login-link-limit.js";
import { postgresError, queryPostgres } from "./postgres-errors.js";
import { DEFAULT_POSTGRES_SCHEMA, quoteSchema } from "./postgres-schema.js";
import { withTransaction } from "./postgres-transaction.js";

/** Options for {@link PostgresApiKeyStore}. */
export interface PostgresApiKeyStoreOptions {
  /** A shared pool (from `PostgresPools.get(url)`); the store never ends it. */
  pool: pg.Pool;
  /** Schema holding the tables created by `migratePostgres` (table `api_keys`, migration 0002). @default "pluto" */
  schema?: string;
  /** Live login links one tenant may hold (`services.keys.max_login_links_per_tenant`). @default 100 */
  maxLoginLinksPerTenant?: number;
}

/** Longest key label accepted, in UTF-16 code units (the limit `createApiKey` applies). */
export const MAX_API_KEY_NAME_LENGTH = 200;

interface ApiKeyRow {
  id: string;
  tenant: string;
  role: ApiKeyRecord["role"];
  name: string;
  hash: string;
  kind: NonNullable<ApiKeyRecord["kind"]> | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

const COLUMNS = "id, tenant, role, name, hash, kind, created_at, expires_at, revoked_at";

/** The record a row stores; optional fields are absent (not `undefined`) when the column is NULL. */
function toRecord(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    role: row.role,
    name: row.name,
    hash: row.hash,
    createdAt: row.created_at,
    ...(row.revoked_at === null ? {} : { revokedAt: row.revoked_at }),
    ...(row.kind === null ? {} : { kind: row.kind }),
    ...(row.expires_at === null ? {} : { expiresAt: row.expires_at }),
  };
}

function badRecord(message: string, field: string): PlutoError {
  return new PlutoError("BAD_REQUEST", message, { details: { field } });
}

function checkTime(field: string, value: unknown, optional: boolean): string | null {
  if (value === undefined && optional) return null;
  if (typeof value !== "string" || value.length > 64 || Number.isNaN(Date.parse(value))) {
    throw badRecord(`API key ${field} must be an ISO-8601 time such as "2025-01-31T12:00:00.000Z".`, field);
  }
  return value;
}

/**
 * Checks a record before it reaches SQL: PostgreSQL text cannot hold NUL, and the table's CHECK
 * constraints would otherwise surface as an opaque `INTERNAL` error.
 * @returns the row values in column order.
 * @throws PlutoError `INVALID_NAME` for an unsafe id or tenant; `BAD_REQUEST` for an unknown role or
 *   kind, a hash that is not 64 hex digits, a name that is not a string of at most
 *   {@link MAX_API_KEY_NAME_LENGTH} characters without NUL, or a time `Date.parse` cannot read.
 */
export function checkApiKeyRecord(record: ApiKeyRecord): unknown[] {
  if (typeof record?.id !== "string" || !isSafeName(record.id)) {
    throw new PlutoError(
      "INVALID_NAME",
      `Invalid API key id ${JSON.stringify(String(record?.id).slice(0, 80))}: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit.`,
      { details: { kind: "api key", name: String(record?.id).slice(0, 200) } },
    );
  }
  const tenant = assertSafeName("tenant", record.tenant);
  if (record.role !== "admin" && record.role !== "member") {
    throw badRecord(`Unknown API key role ${JSON.stringify(record.role)}: use "admin" or "member".`, "role");
  }
  if (record.kind !== undefined && !["api", "login", "cookie"].includes(record.kind)) {
    throw badRecord(
      `Unknown API key kind ${JSON.stringify(record.kind)}: use "api", "login" or "cookie".`,
      "kind",
    );
  }
  if (
    typeof record.name !== "string" ||
    record.name.length > MAX_API_KEY_NAME_LENGTH ||
    record.name.includes("\u0000")
  ) {
    throw badRecord(
      `An API key name is a string of at most ${MAX_API_KEY_NAME_LENGTH} characters without NUL.`,
      "name",
    );
  }
  if (typeof record.hash !== "string" || !/^[0-9a-f]{64}$/i.test(record.hash)) {
    throw badRecord("An API key hash is the token's SHA-256 as 64 hex digits (`hashToken`).", "hash");
  }
  return [
    record.id,
    tenant,
    record.role,
    record.name,
    record.hash,
    record.kind ?? null,
    checkTime("createdAt", record.createdAt, false),
    checkTime("expiresAt", record.expiresAt, true),
    checkTime("revokedAt", record.revokedAt, true),
  ];
}

/**
 * An {@link ApiKeyStore} in PostgreSQL (table `api_keys`, migration 0002), so a key created or revoked
 * through any worker (or `pluto keys`) counts on every worker at the next lookup.
 *
 * Key ids are global (a token carries only its key's id; the row names the tenant), so `get` and
 * `revoke` look up by id alone, and `list(tenant)` filters by tenant. `insert` is one
 * `INSERT … ON CONFLICT DO NOTHING`; `revoke` is one `UPDATE` that keeps the first revocation time, so
 * repeating it (from any worker) changes nothing. Times are stored as the exact text given. Lists are
 * oldest first (`createdAt`, then insertion order).
 *
 * Ids and tenants that no stored key can have (unsafe names, NUL) are answered without a query, the
 * same answers as the other backends give: `undefined`, `false` or `[]`.
 */
export class PostgresApiKeyStore implements ApiKeyStore {
  readonly #pool: pg.Pool;
  readonly #schema: string;
  readonly #keys: string;
  readonly #maxLoginLinks: number;

  /** @throws PlutoError `CONFIG_INVALID` for a bad schema name. */
  constructor(options: PostgresApiKeyStoreOptions) {
    this.#pool = options.pool;
    this.#maxLoginLinks = options.maxLoginLinksPerTenant ?? DEFAULT_MAX_LOGIN_LINKS_PER_TENANT;
    this.#schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
    this.#keys = `${quoteSchema(this.#schema)}.api_keys`;
  }

  #query<R extends pg.QueryResultRow>(
    action: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return queryPostgres<R>(this.#pool, this.#schema, action, text, values);
  }

  /**
   * See {@link ApiKeyStore.insert}. In one transaction holding a per-tenant advisory lock (so workers
   * inserting at once count each other): removes used or expired login links and expired
   * cookies (`login-link-limit.ts`), counts its live login links, inserts. Times compare as ISO-8601 UTC
   * text (`toISOString`, as every writer stores them), so a malformed stored time cannot fail an insert. Also validates the record
   * ({@link checkApiKeyRecord}).
   * @throws PlutoError `LIMIT_EXCEEDED` when a login link would pass the tenant's limit;
   *   `BACKEND_UNAVAILABLE` (retryable) when PostgreSQL is unreachable.
   */
  async insert(record: ApiKeyRecord): Promise<void> {
    const values = checkApiKeyRecord(record);
    const now = new Date(insertTime(record)).toISOString();
    const inserted = await withTransaction(this.#pool, async (client) => {
      const run = (action: string, text: string, parameters: unknown[]) =>
        client.query(text, parameters).catch((error: unknown) => {
          throw postgresError(error, action, this.#schema);
        });
      await run("locking the tenant's API keys", "SELECT pg_advisory_xact_lock(hashtext($1))", [
        `pluto.api_keys ${this.#schema} ${record.tenant}`,
      ]);
      await run(
        "removing used and expired login links",
        `DELETE FROM ${this.#keys} WHERE
           (kind = 'login' AND (revoked_at IS NOT NULL OR expires_at COLLATE "C" <= $1))
           OR (kind = 'cookie' AND expires_at COLLATE "C" <= $1)`,
        [now],
      );
      if (record.kind === "login") {
        const live = await run(
          `counting login links of tenant "${record.tenant}"`,
          `SELECT count(*)::int AS live FROM ${this.#keys} WHERE tenant = $1 AND kind = 'login'
           AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at COLLATE "C" > $2)`,
          [record.tenant, now],
        );
        checkLoginLinkLimit(record, Number(live.rows[0]?.live ?? 0), this.#maxLoginLinks);
      }
      const result = await run(
        `storing API key ${record.id}`,
        `INSERT INTO ${this.#keys} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (id) DO NOTHING`,
        values,
      );
      return result.rowCount === 1;
    }).catch((error: unknown) => {
      throw postgresError(error, `storing API key ${record.id}`, this.#schema);
    });
    if (!inserted) {
      throw new PlutoError("SESSION_CONFLICT", `An API key with id ${record.id} already exists.`);
    }
  }

  /** See {@link ApiKeyStore.get}. */
  async get(id: string): Promise<ApiKeyRecord | undefined> {
    if (typeof id !== "string" || !isSafeName(id)) return undefined;
    const result = await this.#query<ApiKeyRow>(
      `reading API key ${id}`,
      `SELECT ${COLUMNS} FROM ${this.#keys} WHERE id = $1`,
      [id],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : toRecord(row);
  }

  /** See {@link ApiKeyStore.list}. */
  async list(tenant?: string): Promise<ApiKeyRecord[]> {
    if (tenant === undefined) {
      const all = await this.#query<ApiKeyRow>(
        "listing API keys",
        `SELECT ${COLUMNS} FROM ${this.#keys} ORDER BY created_at, inserted`,
        [],
      );
      return all.rows.map(toRecord);
    }
    if (typeof tenant !== "string" || !isSafeName(tenant)) return [];
    const result = await this.#query<ApiKeyRow>(
      `listing API keys of tenant "${tenant}"`,
      `SELECT ${COLUMNS} FROM ${this.#keys} WHERE tenant = $1 ORDER BY created_at, inserted`,
      [tenant],
    );
    return result.rows.map(toRecord);
  }

  /**
   * See {@link ApiKeyStore.revoke}. The first revocation time is kept.
   * @throws PlutoError `BAD_REQUEST` when `at` is not an ISO-8601 time.
   */
  async revoke(id: string, at: string): Promise<boolean> {
    if (typeof id !== "string" || !isSafeName(id)) return false;
    const time = checkTime("revokedAt", at, false);
    const result = await this.#query(
      `revoking API key ${id}`,
      `UPDATE ${this.#keys} SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`,
      [id, time],
    );
    return result.rowCount === 1;
  }

  /** Nothing to release: the pool belongs to the caller (`PostgresPools.close()`). */
  async close(): Promise<void> {}
}
