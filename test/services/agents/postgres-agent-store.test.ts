import { afterAll, describe, expect, it } from "vitest";
import { migratePostgres } from "../../../src/services/postgres/migrate-postgres.js";
import { PostgresAgentStore } from "../../../src/services/postgres/postgres-agent-store.js";
import { PostgresPools } from "../../../src/services/postgres/postgres-pools.js";
import { describeAgentStoreContract, storedAgentFiles } from "../../contracts/agent-store.contract.js";
import { rejection } from "../../contracts/session-store.contract.js";
import { postgresUrlOrSkip, uniqueName } from "../../support/services.js";
import { createTestSchema, dropSchema, type PostgresTestSchema } from "../postgres/postgres-fixture.js";

const url = await postgresUrlOrSkip();

let ready: Promise<PostgresTestSchema> | undefined;
/** This file's migrated schema with an empty `agents` table. */
async function emptySchema(): Promise<PostgresTestSchema> {
  ready ??= createTestSchema(url ?? "", "agents");
  const fixture = await ready;
  await fixture.pool.query(`DELETE FROM "${fixture.schema}".agents`);
  return fixture;
}
afterAll(async () => {
  await (await ready)?.dispose();
});

if (url !== undefined) {
  describeAgentStoreContract("postgres", async () => {
    const { pool, schema } = await emptySchema();
    return { store: new PostgresAgentStore({ pool, schema }), cleanup: async () => {} };
  });
}

describe.skipIf(url === undefined)("PostgresAgentStore: backend specifics", () => {
  it("lets exactly one of two workers (two pools) win each conditional replace", async () => {
    const fixture = await emptySchema();
    const store = new PostgresAgentStore({ pool: fixture.pool, schema: fixture.schema });
    const otherPools = new PostgresPools({ max: 4 });
    try {
      const other = new PostgresAgentStore({ pool: otherPools.get(fixture.url), schema: fixture.schema });
      let version = (await store.put("default", "shared", storedAgentFiles("shared"))).version;
      for (let round = 0; round < 5; round++) {
        const results = await Promise.allSettled(
          [store, other, store, other].map((writer, index) =>
            writer.put("default", "shared", storedAgentFiles("shared", `${round}-${index}`), {
              expectedVersion: version,
            }),
          ),
        );
        const won = results.filter((result) => result.status === "fulfilled");
        expect(won).toHaveLength(1);
        version = (won[0] as PromiseFulfilledResult<{ version: number }>).value.version;
        expect(await other.version("default", "shared")).toBe(version);
      }
    } finally {
      await otherPools.close();
    }
  });

  it("stores one row per agent, files as json text, scoped by tenant", async () => {
    const fixture = await emptySchema();
    const store = new PostgresAgentStore({ pool: fixture.pool, schema: fixture.schema });
    await store.put("acme", "helper", { "agent.yaml": "a\u0000b" });
    await store.put("acme", "helper", { "agent.yaml": "c" });
    const rows = await fixture.pool.query<{ tenant: string; name: string; files: string }>(
      `SELECT tenant, name, files::text AS files FROM "${fixture.schema}".agents`,
    );
    expect(rows.rows).toEqual([{ tenant: "acme", name: "helper", files: '{"agent.yaml":"c"}' }]);
  });

  it("names `pluto migrate` when its tables are missing", async () => {
    const fixture = await emptySchema();
    const store = new PostgresAgentStore({ pool: fixture.pool, schema: "pluto_test_no_such_schema" });
    const error = await rejection(store.version("default", "helper"));
    expect(error.code).toBe("INTERNAL");
    expect(error.message).toContain("pluto migrate");
  });

  it("refuses a bad schema name at construction", () => {
    expect(() => new PostgresAgentStore({ pool: {} as never, schema: 'x"; DROP TABLE agents; --' })).toThrow(
      /schema name/,
    );
  });
});

describe.skipIf(url === undefined)("migration 0003 on an older schema", () => {
  it("is added to a schema at migration 0002 without touching existing rows", async () => {
    const fixture = await emptySchema();
    const schema = uniqueName("pluto_test_agents_upgrade");
    try {
      await migratePostgres({ pool: fixture.pool, schema });
      await fixture.pool.query(
        `INSERT INTO "${schema}".sessions (tenant, agent, id, last_seq) VALUES ('default', 'a', 's', 0)`,
      );
      // Roll the schema back to 0002, as a database migrated by an older Pluto would be.
      await fixture.pool.query(`DROP TABLE "${schema}".agents`);
      await fixture.pool.query(`DROP SEQUENCE "${schema}".agent_versions`);
      await fixture.pool.query(`DROP TABLE "${schema}".jobs, "${schema}".job_pauses`);
      await fixture.pool.query(`DELETE FROM "${schema}".pluto_migrations WHERE name > '0003'`);
      expect(await migratePostgres({ pool: fixture.pool, schema })).toEqual(["0003_agents", "0004_jobs"]);
      const upgraded = new PostgresAgentStore({ pool: fixture.pool, schema });
      expect((await upgraded.put("default", "helper", storedAgentFiles("helper"))).created).toBe(true);
      const sessions = await fixture.pool.query(`SELECT id FROM "${schema}".sessions`);
      expect(sessions.rows).toEqual([{ id: "s" }]);
    } finally {
      await dropSchema(fixture.url, schema);
    }
  });
});
