import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { ApiKeyRecord } from "../../../src/services/auth/api-key-store.js";
import { createApiKey, hashToken, verifyApiKey } from "../../../src/services/auth/api-keys.js";
import { PostgresApiKeyStore } from "../../../src/services/postgres/postgres-api-key-store.js";
import { PostgresPools } from "../../../src/services/postgres/postgres-pools.js";
import { HOSTILE_KEY_IDS, keyRecord } from "../../contracts/api-key-store.contract.js";
import { rejection } from "../../contracts/session-store.contract.js";
import { postgresUrlOrSkip, uniqueName } from "../../support/services.js";
import { createTestSchema, type PostgresTestSchema } from "./postgres-fixture.js";

/** Behaviour specific to the PostgreSQL API key store; the shared contract runs in test/services/auth. */

const url = await postgresUrlOrSkip();

describe.skipIf(url === undefined)("PostgresApiKeyStore: backend specifics", () => {
  let fixture: PostgresTestSchema;
  let store: PostgresApiKeyStore;

  beforeEach(async () => {
    fixture ??= await createTestSchema(url ?? "", "keys");
    await fixture.pool.query(`DELETE FROM "${fixture.schema}".api_keys`);
    store = new PostgresApiKeyStore({ pool: fixture.pool, schema: fixture.schema });
  });
  afterAll(async () => {
    await fixture?.dispose();
  });

  it("shares keys between workers: a key created on one verifies on another until revoked there", async () => {
    const otherPools = new PostgresPools({ max: 2 });
    try {
      const other = new PostgresApiKeyStore({ pool: otherPools.get(fixture.url), schema: fixture.schema });
      const { record, token } = await createApiKey(store, { tenant: "acme", role: "member", name: "ci" });
      expect(await verifyApiKey(other, token)).toEqual(record);
      expect(await other.revoke(record.id, "2025-02-01T00:00:00.000Z")).toBe(true);
      expect(await verifyApiKey(store, token)).toBeUndefined();
      const revokes = await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          (index % 2 === 0 ? store : other).revoke(record.id, `2025-03-0${index + 1}T00:00:00.000Z`),
        ),
      );
      expect(revokes).toEqual(Array(6).fill(true));
      expect((await store.get(record.id))?.revokedAt).toBe("2025-02-01T00:00:00.000Z");
    } finally {
      await otherPools.close();
    }
  });

  it("stores only the hash: no column holds the token or its secret", async () => {
    const { record, token } = await createApiKey(store, { tenant: "acme", role: "admin" });
    const secret = token.slice("pluto_".length + record.id.length + 1);
    expect(secret).toHaveLength(43);
    const raw = await fixture.pool.query<{ row: string }>(
      `SELECT row_to_json(k)::text AS row FROM "${fixture.schema}".api_keys k`,
    );
    expect(raw.rows).toHaveLength(1);
    expect(raw.rows[0]?.row).not.toContain(secret);
    expect(JSON.parse(raw.rows[0]?.row ?? "{}")).toMatchObject({ tenant: "acme", hash: hashToken(token) });
  });

  it("rejects malformed records with clear codes and writes nothing", async () => {
    const bad: Array<[Partial<ApiKeyRecord>, string]> = [
      [{ id: "../x" }, "INVALID_NAME"],
      [{ id: "a\0b" }, "INVALID_NAME"],
      [{ id: "" }, "INVALID_NAME"],
      [{ tenant: "../etc" }, "INVALID_NAME"],
      [{ tenant: "a\0b" }, "INVALID_NAME"],
      [{ role: "owner" as ApiKeyRecord["role"] }, "BAD_REQUEST"],
      [{ kind: "magic" as ApiKeyRecord["kind"] }, "BAD_REQUEST"],
      [{ name: "nul \0 name" }, "BAD_REQUEST"],
      [{ name: "x".repeat(201) }, "BAD_REQUEST"],
      [{ name: 42 as unknown as string }, "BAD_REQUEST"],
      [{ hash: "not-hex" }, "BAD_REQUEST"],
      [{ hash: `${"a".repeat(64)}\0` }, "BAD_REQUEST"],
      [{ createdAt: "yesterday" }, "BAD_REQUEST"],
      [{ expiresAt: "soon" }, "BAD_REQUEST"],
      [{ revokedAt: "\0" }, "BAD_REQUEST"],
    ];
    for (const [overrides, code] of bad) {
      const error = await rejection(store.insert(keyRecord("k1", overrides)));
      expect(error.code, JSON.stringify(overrides)).toBe(code);
    }
    expect(await store.list()).toEqual([]);
    await store.insert(keyRecord("k1", { name: "x".repeat(200) }));
    expect((await rejection(store.revoke("k1", "not a time"))).code).toBe("BAD_REQUEST");
    expect((await store.get("k1"))?.revokedAt).toBeUndefined();
  });

  it("answers hostile lookups without a query, so they work even with PostgreSQL down", async () => {
    const deadPools = new PostgresPools({ connectionTimeoutMs: 1000 });
    try {
      const dead = new PostgresApiKeyStore({ pool: deadPools.get("postgres://postgres@127.0.0.1:1/test") });
      for (const hostile of HOSTILE_KEY_IDS) {
        expect(await dead.get(hostile)).toBeUndefined();
        expect(await dead.revoke(hostile, "2025-01-01T00:00:00.000Z")).toBe(false);
        expect(await dead.list(hostile)).toEqual([]);
      }
      const error = await rejection(dead.get("0123456789ab"));
      expect(error.code).toBe("BACKEND_UNAVAILABLE");
      expect(error.retryable).toBe(true);
      expect(error.message).toContain("reading API key 0123456789ab");
      expect((await rejection(dead.insert(keyRecord("k1")))).code).toBe("BACKEND_UNAVAILABLE");
    } finally {
      await deadPools.close();
    }
  });

  it("tells the user to run `pluto migrate` when the table is missing, and rejects bad schema names", async () => {
    const missing = new PostgresApiKeyStore({ pool: fixture.pool, schema: uniqueName("pluto_test_none") });
    const error = await rejection(missing.list());
    expect(error.message).toContain("pluto migrate");
    expect(error.details).toMatchObject({ backend: "postgres", reason: "missing-tables" });
    for (const schema of ['x"; DROP TABLE api_keys; --', "Upper", ""]) {
      expect(() => new PostgresApiKeyStore({ pool: fixture.pool, schema })).toThrow(/schema name/);
    }
  });

  it("orders keys created in the same millisecond by insertion", async () => {
    const ids = Array.from({ length: 20 }, (_, index) => `same-${String(index).padStart(2, "0")}`);
    for (const id of [...ids].reverse()) await store.insert(keyRecord(id));
    expect((await store.list("default")).map((record) => record.id)).toEqual([...ids].reverse());
  });
});
