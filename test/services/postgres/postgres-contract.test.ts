import { afterAll } from "vitest";
import { PostgresMemoryStore } from "../../../src/services/postgres/postgres-memory-store.js";
import { PostgresSessionStore } from "../../../src/services/postgres/postgres-session-store.js";
import { describeMemoryStoreContract } from "../../contracts/memory-store.contract.js";
import { describeSessionStoreContract } from "../../contracts/session-store.contract.js";
import { postgresUrlOrSkip } from "../../support/services.js";
import { createTestSchema, type PostgresTestSchema } from "./postgres-fixture.js";

const url = await postgresUrlOrSkip();

if (url !== undefined) {
  let ready: Promise<PostgresTestSchema> | undefined;
  const emptySchema = async () => {
    ready ??= createTestSchema(url, "contract");
    const fixture = await ready;
    await fixture.truncate();
    return fixture;
  };
  afterAll(async () => {
    await (await ready)?.dispose();
  });

  describeSessionStoreContract("postgres", async () => {
    const { pool, schema } = await emptySchema();
    return { store: new PostgresSessionStore({ pool, schema }), cleanup: async () => {} };
  });

  describeMemoryStoreContract("postgres", async () => {
    const { pool, schema } = await emptySchema();
    return { store: new PostgresMemoryStore({ pool, schema }), cleanup: async () => {} };
  });
}
