import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { migratePostgres } from "../../../src/services/postgres/migrate-postgres.js";
import { PostgresPools } from "../../../src/services/postgres/postgres-pools.js";
import { PostgresTaskStore } from "../../../src/services/postgres/postgres-task-store.js";
import type { TaskInput } from "../../../src/services/task/task-store.js";
import { rejection } from "../../contracts/session-store.contract.js";
import { describeTaskStoreContract } from "../../contracts/task-store.contract.js";
import { postgresUrlOrSkip, uniqueName } from "../../support/services.js";
import { createTestSchema, dropSchema, type PostgresTestSchema } from "./postgres-fixture.js";

const url = await postgresUrlOrSkip();

let ready: Promise<PostgresTestSchema> | undefined;
/** This file's migrated schema with an empty `tasks` table. */
async function emptySchema(): Promise<PostgresTestSchema> {
  ready ??= createTestSchema(url ?? "", "tasks");
  const fixture = await ready;
  await fixture.pool.query(`DELETE FROM "${fixture.schema}".tasks`);
  return fixture;
}
afterAll(async () => {
  await (await ready)?.dispose();
});

function taskInput(id: string, overrides: Partial<TaskInput> = {}): TaskInput {
  return {
    id,
    protocol: "a2a",
    agent: "assistant",
    session: "s1",
    createdAt: "2025-01-01T00:00:00.000Z",
    data: { status: "submitted" },
    ...overrides,
  };
}

if (url !== undefined) {
  describeTaskStoreContract("postgres", async () => {
    const { pool, schema } = await emptySchema();
    return { store: new PostgresTaskStore({ pool, schema }), cleanup: async () => {} };
  });
}

describe.skipIf(url === undefined)("PostgresTaskStore: backend specifics", () => {
  let fixture: PostgresTestSchema;
  let store: PostgresTaskStore;

  beforeEach(async () => {
    fixture = await emptySchema();
    store = new PostgresTaskStore({ pool: fixture.pool, schema: fixture.schema });
  });

  it("lets exactly one of two workers (two pools) win each round of concurrent writes", async () => {
    const otherPools = new PostgresPools({ max: 4 });
    try {
      const other = new PostgresTaskStore({ pool: otherPools.get(fixture.url), schema: fixture.schema });
      await store.put("default", taskInput("shared"), { expectedVersion: 0 });
      for (let version = 1; version <= 10; version++) {
        const results = await Promise.allSettled(
          [store, other, store, other].map((writer, index) =>
            writer.put("default", taskInput("shared", { data: { round: version, writer: index } }), {
              expectedVersion: version,
            }),
          ),
        );
        expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
        for (const result of results) {
          if (result.status === "rejected") {
            expect(result.reason).toMatchObject({
              code: "SESSION_CONFLICT",
              details: { expectedVersion: version, actualVersion: version + 1 },
            });
          }
        }
      }
      expect((await other.get("default", "a2a", "shared"))?.version).toBe(11);
    } finally {
      await otherPools.close();
    }
  });

  it("keeps NUL characters, lone surrogates, unicode and key order in data", async () => {
    const data = {
      z: "nul \u0000 inside",
      a: "lone \ud800 surrogate",
      emoji: "👩‍💻 שלום",
      "": [1.5, -0, 1e21],
    };
    await store.put("default", taskInput("t1", { data }), { expectedVersion: 0 });
    const got = await store.get("default", "a2a", "t1");
    expect(got?.data).toEqual(JSON.parse(JSON.stringify(data)));
    expect(Object.keys(got?.data ?? {})).toEqual(["z", "a", "emoji", ""]);
    const raw = await fixture.pool.query<{ data: string }>(
      `SELECT data::text AS data FROM "${fixture.schema}".tasks WHERE tenant = 'default' AND id = 't1'`,
    );
    expect(raw.rows[0]?.data).toBe(JSON.stringify(data));
  });

  it("returns createdAt exactly as written and sorts by it as text, like the other backends", async () => {
    await store.put("default", taskInput("b", { createdAt: "2025-01-01T00:00:00Z" }), { expectedVersion: 0 });
    await store.put("default", taskInput("a", { createdAt: "2025-01-01T00:00:00.000+02:00" }), {
      expectedVersion: 0,
    });
    await store.put("default", taskInput("c", { createdAt: "2025-01-01T00:00:00Z" }), { expectedVersion: 0 });
    const page = await store.list("default", "a2a");
    expect(page.tasks.map((task) => [task.id, task.createdAt])).toEqual([
      ["a", "2025-01-01T00:00:00.000+02:00"],
      ["b", "2025-01-01T00:00:00Z"],
      ["c", "2025-01-01T00:00:00Z"],
    ]);
  });

  it("uses the database clock at millisecond precision for updatedAt, and the stored value matches", async () => {
    const record = await store.put("default", taskInput("t1"), { expectedVersion: 0 });
    const clock = await fixture.pool.query<{ now: Date }>("SELECT now() AS now");
    expect(Math.abs((clock.rows[0]?.now.getTime() ?? 0) - Date.parse(record.updatedAt))).toBeLessThan(5000);
    expect(record.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect((await store.get("default", "a2a", "t1"))?.updatedAt).toBe(record.updatedAt);
  });

  it("scopes rows by tenant and protocol: a delete leaves the same id elsewhere", async () => {
    for (const tenant of ["t1", "t2"]) {
      for (const protocol of ["a2a", "agent-protocol"] as const) {
        await store.put(tenant, taskInput("same", { protocol, data: { tenant, protocol } }), {
          expectedVersion: 0,
        });
      }
    }
    await store.delete("t1", "a2a", "same");
    const rows = await fixture.pool.query<{ tenant: string; protocol: string }>(
      `SELECT tenant, protocol FROM "${fixture.schema}".tasks ORDER BY tenant, protocol`,
    );
    expect(rows.rows.map((row) => `${row.tenant}/${row.protocol}`)).toEqual([
      "t1/agent-protocol",
      "t2/a2a",
      "t2/agent-protocol",
    ]);
    expect((await store.get("t2", "a2a", "same"))?.data).toEqual({ tenant: "t2", protocol: "a2a" });
  });

  it("pages a large tenant with a huge limit and an offset past the end", async () => {
    await Promise.all(
      Array.from({ length: 250 }, (_, index) =>
        store.put("big", taskInput(`t${String(index).padStart(3, "0")}`), { expectedVersion: 0 }),
      ),
    );
    const all = await store.list("big", "a2a", { limit: Number.MAX_SAFE_INTEGER });
    expect(all.total).toBe(250);
    expect(all.tasks.map((task) => task.id)).toEqual(
      Array.from({ length: 250 }, (_, index) => `t${String(index).padStart(3, "0")}`),
    );
    expect(await store.list("big", "a2a", { offset: Number.MAX_SAFE_INTEGER })).toEqual({
      tasks: [],
      total: 250,
    });
  });

  it("rejects bad schema names before any query", () => {
    for (const schema of ['x"; DROP TABLE tasks; --', "Upper", ""]) {
      expect(() => new PostgresTaskStore({ pool: fixture.pool, schema })).toThrow(/schema name/);
    }
  });

  it("tells the user to run `pluto migrate` when the tasks table is missing", async () => {
    const missing = new PostgresTaskStore({ pool: fixture.pool, schema: uniqueName("pluto_test_nothing") });
    const error = await rejection(missing.get("default", "a2a", "t1"));
    expect(error.message).toContain("pluto migrate");
    expect(error.details).toMatchObject({ backend: "postgres", reason: "missing-tables" });
  });

  it("fails with retryable BACKEND_UNAVAILABLE when PostgreSQL is unreachable", async () => {
    const deadPools = new PostgresPools({ connectionTimeoutMs: 1000 });
    try {
      const dead = new PostgresTaskStore({ pool: deadPools.get("postgres://postgres@127.0.0.1:1/test") });
      const error = await rejection(dead.put("default", taskInput("t1"), { expectedVersion: 0 }));
      expect(error.code).toBe("BACKEND_UNAVAILABLE");
      expect(error.retryable).toBe(true);
      expect(error.message).toContain('writing task "t1"');
    } finally {
      await deadPools.close();
    }
  });

  it("is added to a schema already at migration 0001 without touching existing rows", async () => {
    const schema = uniqueName("pluto_test_upgrade");
    try {
      await migratePostgres({ pool: fixture.pool, schema });
      await fixture.pool.query(
        `INSERT INTO "${schema}".sessions (tenant, agent, id, last_seq) VALUES ('default', 'a', 's', 0)`,
      );
      // Roll the schema back to 0001, as a database migrated by an older Pluto would be.
      await fixture.pool.query(
        `DROP TABLE "${schema}".tasks, "${schema}".api_keys, "${schema}".agents, "${schema}".jobs, "${schema}".job_pauses`,
      );
      await fixture.pool.query(`DROP SEQUENCE "${schema}".agent_versions`);
      await fixture.pool.query(`DELETE FROM "${schema}".pluto_migrations WHERE name > '0002'`);
      expect(await migratePostgres({ pool: fixture.pool, schema })).toEqual([
        "0002_tasks-and-api-keys",
        "0003_agents",
        "0004_jobs",
      ]);
      const upgraded = new PostgresTaskStore({ pool: fixture.pool, schema });
      expect((await upgraded.put("default", taskInput("t1"), { expectedVersion: 0 })).version).toBe(1);
      const sessions = await fixture.pool.query(`SELECT id FROM "${schema}".sessions`);
      expect(sessions.rows).toEqual([{ id: "s" }]);
    } finally {
      await dropSchema(fixture.url, schema);
    }
  });
});
