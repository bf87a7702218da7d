import pg from "pg";
import { migratePostgres } from "../../../src/services/postgres/migrate-postgres.js";
import { PostgresPools } from "../../../src/services/postgres/postgres-pools.js";
import { uniqueName } from "../../support/services.js";

/**
 * One migrated PostgreSQL schema for one test file (vitest runs files in parallel against the same
 * server), its pool, and helpers to empty it between tests and drop it at the end.
 */
export interface PostgresTestSchema {
  url: string;
  schema: string;
  pools: PostgresPools;
  pool: pg.Pool;
  /** Deletes every row of Pluto's tables in this schema. */
  truncate(): Promise<void>;
  /** Drops the schema and closes the pools. */
  dispose(): Promise<void>;
}

/** Creates a schema `pluto_test_<label>_<random>` and migrates it. */
export async function createTestSchema(url: string, label: string): Promise<PostgresTestSchema> {
  const schema = uniqueName(`pluto_test_${label}`);
  const pools = new PostgresPools({ max: 10 });
  const pool = pools.get(url);
  await migratePostgres({ pool, schema });
  return {
    url,
    schema,
    pools,
    pool,
    truncate: async () => {
      // DELETE, not TRUNCATE: on these tiny tables it avoids recreating files (much faster per test).
      for (const table of ["session_events", "sessions", "memory_lines", "memory_documents"]) {
        await pool.query(`DELETE FROM "${schema}".${table}`);
      }
    },
    dispose: async () => {
      await dropSchema(url, schema);
      await pools.close();
    },
  };
}

/** Drops a schema and everything in it, on a connection of its own. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
