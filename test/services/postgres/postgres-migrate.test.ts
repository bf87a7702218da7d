import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import {
  migratePostgres,
  migrationLockKey,
  POSTGRES_MIGRATIONS_TABLE,
} from "../../../src/services/postgres/migrate-postgres.js";
import { PostgresPools } from "../../../src/services/postgres/postgres-pools.js";
import { PostgresSessionStore } from "../../../src/services/postgres/postgres-session-store.js";
import { rejection, textEvent } from "../../contracts/session-store.contract.js";
import { postgresUrlOrSkip, uniqueName } from "../../support/services.js";
import { dropSchema } from "./postgres-fixture.js";

const url = await postgresUrlOrSkip();

/** Every migration in migrations/, in order. */
const ALL_MIGRATIONS = ["0001_state-tables", "0002_tasks-and-api-keys", "0003_agents", "0004_jobs"];

describe.skipIf(url === undefined)("migratePostgres", () => {
  const databaseUrl = url ?? "";
  const pools = new PostgresPools({ max: 4 });
  const schemas: string[] = [];
  const freshSchema = () => {
    const schema = uniqueName("pluto_test_migrate");
    schemas.push(schema);
    return schema;
  };
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(databaseUrl, schema);
    await pools.close();
  });

  async function appliedMigrations(schema: string): Promise<string[]> {
    const result = await pools
      .get(databaseUrl)
      .query<{ name: string }>(`SELECT name FROM "${schema}".${POSTGRES_MIGRATIONS_TABLE} ORDER BY id`);
    return result.rows.map((row) => row.name);
  }

  it("applies the migrations once when 4 workers start at the same time (own connections)", async () => {
    const schema = freshSchema();
    const lines: string[] = [];
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        migratePostgres({ url: databaseUrl, schema, log: (_level, message) => lines.push(message) }),
      ),
    );
    expect(results.flat()).toEqual(ALL_MIGRATIONS);
    expect(results.filter((applied) => applied.length === 0)).toHaveLength(3);
    expect(await appliedMigrations(schema)).toEqual(ALL_MIGRATIONS);
    expect(lines.filter((line) => line.includes("No migrations to run"))).toHaveLength(3);
    expect(await migratePostgres({ url: databaseUrl, schema })).toEqual([]);
  });

  it("applies them once when 4 callers share one pool, and the stores then work", async () => {
    const schema = freshSchema();
    const pool = pools.get(databaseUrl);
    const results = await Promise.all(Array.from({ length: 4 }, () => migratePostgres({ pool, schema })));
    expect(results.flat()).toEqual(ALL_MIGRATIONS);
    expect(await appliedMigrations(schema)).toEqual(ALL_MIGRATIONS);
    const store = new PostgresSessionStore({ pool, schema });
    const key = { tenant: "default", agent: "assistant", session: "s" };
    await store.append(key, [textEvent("after migrate")], { expectedSeq: 0 });
    expect((await store.read(key))[0]).toMatchObject({ seq: 1, text: "after migrate" });
    // Borrowed connections are discarded, so no pooled connection keeps the runner's search_path.
    const searchPath = await pool.query<{ search_path: string }>("SHOW search_path");
    expect(searchPath.rows[0]?.search_path).not.toContain(schema);
  });

  it("keeps schemas apart: lock keys differ and each schema gets its own tables", async () => {
    expect(migrationLockKey("pluto")).not.toBe(migrationLockKey("pluto_b"));
    expect(Number.isSafeInteger(migrationLockKey("pluto"))).toBe(true);
    const [a, b] = [freshSchema(), freshSchema()];
    await Promise.all([
      migratePostgres({ url: databaseUrl, schema: a }),
      migratePostgres({ url: databaseUrl, schema: b }),
    ]);
    expect(await appliedMigrations(a)).toEqual(ALL_MIGRATIONS);
    expect(await appliedMigrations(b)).toEqual(ALL_MIGRATIONS);
  });

  it("rejects bad schema names and missing connection settings with CONFIG_INVALID", async () => {
    for (const schema of ['pluto"; DROP SCHEMA public; --', "Pluto", "", "a".repeat(64), "1abc", "a-b"]) {
      expect((await rejection(migratePostgres({ url: databaseUrl, schema }))).code).toBe("CONFIG_INVALID");
      expect(() => new PostgresSessionStore({ pool: pools.get(databaseUrl), schema })).toThrow(/schema name/);
    }
    expect((await rejection(migratePostgres({}))).code).toBe("CONFIG_INVALID");
  });

  it("fails with a retryable error naming the cause when PostgreSQL is unreachable", async () => {
    const error = await rejection(
      migratePostgres({ url: "postgres://postgres@127.0.0.1:1/test", schema: freshSchema() }),
    );
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/PostgreSQL is unreachable .*ECONNREFUSED/);
  });

  it("tells the user to run `pluto migrate` when the tables are missing", async () => {
    const store = new PostgresSessionStore({ pool: pools.get(databaseUrl), schema: freshSchema() });
    const error = await rejection(store.read({ tenant: "default", agent: "a", session: "s" }));
    expect(error.message).toContain("pluto migrate");
    expect(error.details).toMatchObject({ backend: "postgres", reason: "missing-tables" });
  });

  it("creates the tables in the schema only (nothing in public)", async () => {
    const schema = freshSchema();
    await migratePostgres({ url: databaseUrl, schema });
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const tables = await client.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
        [schema],
      );
      expect(tables.rows.map((row) => row.table_name)).toEqual([
        "agents",
        "api_keys",
        "job_pauses",
        "jobs",
        "memory_documents",
        "memory_lines",
        "pluto_migrations",
        "session_events",
        "sessions",
        "tasks",
      ]);
    } finally {
      await client.end();
    }
  });
});
