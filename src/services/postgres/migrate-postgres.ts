import { createHash } from "node:crypto";
import { resolve } from "node:path";
import type pg from "pg";
import { errorMessage, PlutoError } from "../../core/errors.js";
import { postgresError } from "./postgres-errors.js";
import type { PostgresLog } from "./postgres-pools.js";
import { DEFAULT_POSTGRES_SCHEMA, quoteSchema } from "./postgres-schema.js";

/**
 * The versioned migrations shipped with Pluto: `migrations/NNNN_name.sql` at the package root (plain
 * SQL with `-- Up Migration` / `-- Down Migration` sections, node-pg-migrate's SQL format), found from
 * both `src/services/postgres` and `dist/services/postgres`.
 */
export const POSTGRES_MIGRATIONS_DIR = resolve(import.meta.dirname, "../../../migrations");

/** Table (inside the schema) that records which migrations have run. */
export const POSTGRES_MIGRATIONS_TABLE = "pluto_migrations";

/** Options for {@link migratePostgres}: give `url` or `pool`. */
export interface MigratePostgresOptions {
  /** Connection string; the runner opens and closes one connection of its own. */
  url?: string;
  /** A shared pool instead of `url`: one connection is borrowed, then discarded (its search_path changed). */
  pool?: pg.Pool;
  /** Schema for Pluto's tables, created when missing. @default "pluto" */
  schema?: string;
  /** Progress lines ("> Migrating files: …"). @default no-op */
  log?: PostgresLog;
}

/**
 * The advisory-lock key for one schema's migrations: a stable 48-bit hash of its name, so workers
 * migrating the same schema wait for each other while different schemas (test files) do not.
 */
export function migrationLockKey(schema: string): number {
  return createHash("sha256").update(`pluto-migrate:${schema}`).digest().readUIntBE(0, 6);
}

/**
 * Applies pending migrations from {@link POSTGRES_MIGRATIONS_DIR} to `schema` with node-pg-migrate's
 * programmatic runner, all pending ones in one transaction. Safe to call from many workers at once:
 * the runner holds a PostgreSQL advisory lock ({@link migrationLockKey}) in `wait` mode, so the first
 * caller migrates and the others wait, then find nothing to do.
 * @returns the names of the migrations this call applied (`[]` when the schema was up to date).
 * @throws PlutoError `CONFIG_INVALID` for a bad schema name or neither `url` nor `pool`; `BACKEND_UNAVAILABLE`
 *   (retryable) when PostgreSQL is unreachable; `INTERNAL` when a migration fails (nothing applied).
 */
export async function migratePostgres(options: MigratePostgresOptions): Promise<string[]> {
  const schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
  quoteSchema(schema);
  const log = options.log ?? (() => {});
  if (options.url === undefined && options.pool === undefined) {
    throw new PlutoError("CONFIG_INVALID", "migratePostgres() needs a PostgreSQL url or pool.");
  }
  // Loaded on demand: node-pg-migrate pulls in a TypeScript loader that the CLI should not pay for at start-up.
  const { runner } = await import("node-pg-migrate");
  const common = {
    dir: POSTGRES_MIGRATIONS_DIR,
    direction: "up" as const,
    schema,
    createSchema: true,
    migrationsSchema: schema,
    migrationsTable: POSTGRES_MIGRATIONS_TABLE,
    checkOrder: true,
    singleTransaction: true,
    lockValue: migrationLockKey(schema),
    advisoryLockMode: "wait" as const,
    logger: {
      debug: () => {},
      info: (message: string) => log("info", message),
      warn: (message: string) => log("warn", message),
      error: (message: string) => log("error", message),
    },
  };
  const action = `migrating schema "${schema}"`;
  let client: pg.PoolClient | undefined;
  try {
    if (options.url !== undefined) {
      const applied = await runner({ ...common, databaseUrl: options.url });
      return applied.map((migration) => migration.name);
    }
    client = await (options.pool as pg.Pool).connect();
    client.on("error", () => {});
    // Waiting for another worker's lock must not trip the pool's statement timeout.
    await client.query("SET statement_timeout = 0");
    const applied = await runner({ ...common, dbClient: client });
    return applied.map((migration) => migration.name);
  } catch (error) {
    if (error instanceof PlutoError) throw error;
    const mapped = postgresError(error, action, schema);
    if (mapped.retryable) throw mapped;
    throw new PlutoError(
      "INTERNAL",
      `Migrating PostgreSQL schema "${schema}" failed and pending migrations were rolled back: ${errorMessage(error)}`,
      { details: { backend: "postgres", reason: "migration-failed", schema }, cause: error },
    );
  } finally {
    client?.release(true);
  }
}
