import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { PostgresMemoryStore } from "../../../src/services/postgres/postgres-memory-store.js";
import { PostgresPools } from "../../../src/services/postgres/postgres-pools.js";
import { PostgresSessionStore } from "../../../src/services/postgres/postgres-session-store.js";
import { rejection, textEvent } from "../../contracts/session-store.contract.js";
import { postgresUrlOrSkip } from "../../support/services.js";
import { createTestSchema, type PostgresTestSchema } from "./postgres-fixture.js";

/** Behaviour specific to the PostgreSQL backends, beyond the shared contract suites. */

const url = await postgresUrlOrSkip();

describe.skipIf(url === undefined)("PostgreSQL stores: backend specifics", () => {
  let fixture: PostgresTestSchema;
  let sessions: PostgresSessionStore;
  let memory: PostgresMemoryStore;
  const key = { tenant: "default", agent: "assistant", session: "s1" };
  const scope = { tenant: "default", agent: "assistant" };

  beforeEach(async () => {
    fixture ??= await createTestSchema(url ?? "", "stores");
    await fixture.truncate();
    sessions = new PostgresSessionStore({ pool: fixture.pool, schema: fixture.schema });
    memory = new PostgresMemoryStore({ pool: fixture.pool, schema: fixture.schema });
  });
  afterAll(async () => {
    await fixture?.dispose();
  });

  it("stores NUL characters in events and keeps each event's JSON text with seq first", async () => {
    await sessions.append(key, [textEvent("nul \u0000 inside")], { expectedSeq: 0 });
    expect((await sessions.read(key))[0]).toMatchObject({ seq: 1, text: "nul \u0000 inside" });
    const raw = await fixture.pool.query<{ event: string }>(
      `SELECT event::text AS event FROM "${fixture.schema}".session_events WHERE tenant = $1 AND session = $2`,
      [key.tenant, key.session],
    );
    expect(raw.rows[0]?.event.startsWith('{"seq":1,"type":"text-delta"')).toBe(true);
  });

  it("reports the real seq on conflicts for unknown sessions and empty appends", async () => {
    const unknown = await rejection(sessions.append(key, [textEvent("x")], { expectedSeq: 3 }));
    expect(unknown.details).toMatchObject({ expectedSeq: 3, actualSeq: 0 });
    await sessions.append(key, [textEvent("a"), textEvent("b")], { expectedSeq: 0 });
    expect(await sessions.append(key, [], { expectedSeq: 2 })).toEqual([]);
    const empty = await rejection(sessions.append(key, [], { expectedSeq: 1 }));
    expect(empty.details).toMatchObject({ expectedSeq: 1, actualSeq: 2 });
    expect((await sessions.info(key))?.lastSeq).toBe(2);
  });

  it("scopes every row by tenant and agent: deleting one scope's session leaves another's rows", async () => {
    for (const tenant of ["t1", "t2"]) {
      for (const agent of ["a", "b"]) {
        await sessions.append({ tenant, agent, session: "same" }, [textEvent(`${tenant}/${agent}`)], {
          expectedSeq: 0,
        });
      }
    }
    await sessions.delete({ tenant: "t1", agent: "a", session: "same" });
    const rows = await fixture.pool.query<{ tenant: string; agent: string }>(
      `SELECT tenant, agent FROM "${fixture.schema}".session_events ORDER BY tenant, agent`,
    );
    expect(rows.rows.map((row) => `${row.tenant}/${row.agent}`)).toEqual(["t1/b", "t2/a", "t2/b"]);
    expect(await sessions.read({ tenant: "t2", agent: "a", session: "same" })).toMatchObject([
      { text: "t2/a" },
    ]);
  });

  it("keeps every note when two workers (two pools) add to one day at once", async () => {
    const otherPools = new PostgresPools({ max: 5 });
    try {
      const other = new PostgresMemoryStore({ pool: otherPools.get(fixture.url), schema: fixture.schema });
      await Promise.all(
        Array.from({ length: 40 }, (_, n) =>
          (n % 2 === 0 ? memory : other).add(scope, {
            day: "2026-11-24",
            section: "Decisions Made",
            text: `note ${n}`,
          }),
        ),
      );
      const markdown = (await memory.read(scope, "2026-11-24")) ?? "";
      for (let n = 0; n < 40; n++) expect(markdown).toContain(`- note ${n}\n`);
      expect((await memory.search(scope, "note", { limit: 100 })).length).toBe(40);
    } finally {
      await otherPools.close();
    }
  });

  it("keeps search in step with the document: replaced lines disappear, CRLF lines are numbered like LF", async () => {
    await memory.write(
      scope,
      "MEMORY",
      "# Memory\r\n\r\nold fact about zebras\r\nsecond line zebra crossing\r\n",
    );
    expect((await memory.search(scope, "zebras")).map(({ line, text }) => ({ line, text }))).toEqual([
      { line: 3, text: "old fact about zebras" },
    ]);
    await memory.write(scope, "MEMORY", "# Memory\n\nnew fact about giraffes\n");
    expect(await memory.search(scope, "zebras")).toEqual([]);
    expect(await memory.search(scope, "giraffes")).toMatchObject([{ document: "MEMORY", line: 3 }]);
  });

  it("ranks whole words above prefixes and matches words in any script", async () => {
    await memory.write(
      scope,
      "MEMORY",
      "Uses PostgreSQL daily\npost office opens at nine\nשלום עולם\nКофе без сахара\n",
    );
    const hits = await memory.search(scope, "post");
    expect(hits.map((hit) => hit.line)).toEqual([2, 1]);
    expect(hits[0]?.score).toBeGreaterThan(hits[1]?.score ?? 0);
    expect(await memory.search(scope, "עולם")).toMatchObject([{ line: 3 }]);
    expect(await memory.search(scope, "КОФЕ")).toMatchObject([{ line: 4, text: "Кофе без сахара" }]);
  });

  it("treats tsquery syntax and huge queries as plain words", async () => {
    await memory.add(scope, { day: "2026-11-22", section: "Facts Stored", text: "alpha beta gamma" });
    for (const query of [
      "alpha & !beta",
      "alpha | gamma:*",
      "alpha <-> beta",
      "'alpha' \\ ''",
      "(alpha",
      "alpha:A*",
    ]) {
      expect((await memory.search(scope, query)).length).toBe(1);
    }
    expect(await memory.search(scope, "!!! & | <-> :* ()")).toEqual([]);
    const huge = Array.from({ length: 5000 }, (_, n) => `word${n}`).join(" ");
    expect(await memory.search(scope, `alpha ${huge}`)).toHaveLength(1);
    expect(await memory.search(scope, `${huge} alpha`)).toEqual([]);
  });

  it("rejects NUL in memory Markdown with BAD_REQUEST and writes nothing", async () => {
    expect((await rejection(memory.write(scope, "MEMORY", "a\u0000b"))).code).toBe("BAD_REQUEST");
    expect(
      (await rejection(memory.add(scope, { day: "2026-11-22", section: "Facts Stored", text: "a\u0000b" })))
        .code,
    ).toBe("BAD_REQUEST");
    expect(await memory.list(scope)).toEqual([]);
  });
});
