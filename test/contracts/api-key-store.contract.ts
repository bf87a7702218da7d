import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ApiKeyRecord, ApiKeyStore } from "../../src/services/auth/api-key-store.js";
import { createApiKey, hashToken, verifyApiKey } from "../../src/services/auth/api-keys.js";
import { rejection } from "./session-store.contract.js";

/** What a contract factory returns: a fresh, empty store and how to dispose of it. */
export interface ApiKeyStoreFixture {
  store: ApiKeyStore;
  cleanup(): Promise<void>;
}

/** Ids and tenants no stored key can have; lookups with them find nothing on every backend. */
export const HOSTILE_KEY_IDS = ["../x", "a/b", "/etc/passwd", "", "a\0b", "..", "a\\b", "x".repeat(200)];

/** A key record with defaults for the fields a test does not care about; created at minute `minute`. */
export function keyRecord(id: string, overrides: Partial<ApiKeyRecord> = {}, minute = 0): ApiKeyRecord {
  return {
    id,
    tenant: "default",
    role: "member",
    name: `key ${id}`,
    hash: hashToken(`pluto_${id}_secret`),
    createdAt: new Date(Date.parse("2025-01-01T00:00:00.000Z") + minute * 60_000).toISOString(),
    ...overrides,
  };
}

/** Options a contract factory passes on to the store it builds. */
export interface ApiKeyStoreFactoryOptions {
  maxLoginLinksPerTenant?: number;
}

/** A login link of `tenant` created at `minute` that expires 10 minutes later. */
function loginLink(id: string, tenant: string, minute: number): ApiKeyRecord {
  const expires = new Date(Date.parse("2025-01-01T00:00:00.000Z") + (minute + 10) * 60_000).toISOString();
  return keyRecord(id, { tenant, kind: "login", expiresAt: expires }, minute);
}

/**
 * Registers the {@link ApiKeyStore} contract: every backend (in-memory, filesystem, PostgreSQL, …) must
 * pass it unchanged. `factory` is called before each test (without options) and must return an empty
 * store; the login-link tests call it again with a small `maxLoginLinksPerTenant`.
 */
export function describeApiKeyStoreContract(
  name: string,
  factory: (options?: ApiKeyStoreFactoryOptions) => Promise<ApiKeyStoreFixture>,
): void {
  describe(`ApiKeyStore contract: ${name}`, () => {
    let fixture: ApiKeyStoreFixture;
    let store: ApiKeyStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await store.close?.();
      await fixture.cleanup();
    });

    it("inserts a key and reads it back exactly; unknown ids are undefined", async () => {
      const record = keyRecord("0123456789ab", { role: "admin", name: "alice's laptop 🔑 שלום" });
      await store.insert(record);
      const got = await store.get("0123456789ab");
      expect(got).toEqual(record);
      expect(got && Object.keys(got).sort()).toEqual(Object.keys(record).sort());
      expect(await store.get("ffffffffffff")).toBeUndefined();
    });

    it("round-trips kinds and expiry and revocation times; absent optional fields stay absent", async () => {
      const records = [
        keyRecord("k-api", { kind: "api" }, 1),
        keyRecord("k-login", { kind: "login", expiresAt: "2025-01-01T00:15:00.000Z" }, 2),
        keyRecord("k-cookie", { kind: "cookie", expiresAt: "2025-01-31T00:00:00.000Z" }, 3),
        keyRecord("k-revoked", { revokedAt: "2025-01-02T00:00:00.000Z" }, 4),
        keyRecord("k-plain", {}, 5),
      ];
      for (const record of records) await store.insert(record);
      for (const record of records) expect(await store.get(record.id)).toEqual(record);
      const plain = await store.get("k-plain");
      expect(plain && "kind" in plain).toBe(false);
      expect(plain && "expiresAt" in plain).toBe(false);
      expect(plain && "revokedAt" in plain).toBe(false);
      expect(await store.list()).toEqual(records);
    });

    it("lists every key or one tenant's, oldest first; unknown tenants list nothing", async () => {
      const a1 = keyRecord("a1", { tenant: "acme" }, 1);
      const b1 = keyRecord("b1", { tenant: "globex" }, 2);
      const a2 = keyRecord("a2", { tenant: "acme", role: "admin" }, 3);
      const d1 = keyRecord("d1", {}, 4);
      for (const record of [a1, b1, a2, d1]) await store.insert(record);
      expect(await store.list()).toEqual([a1, b1, a2, d1]);
      expect(await store.list("acme")).toEqual([a1, a2]);
      expect(await store.list("globex")).toEqual([b1]);
      expect(await store.list("default")).toEqual([d1]);
      expect(await store.list("initech")).toEqual([]);
    });

    it("lists nothing in an empty store", async () => {
      expect(await store.list()).toEqual([]);
      expect(await store.list("default")).toEqual([]);
    });

    it("revokes idempotently: the first time is kept, the key stays readable, unknown ids give false", async () => {
      await store.insert(keyRecord("k1", {}, 1));
      await store.insert(keyRecord("k2", {}, 2));
      expect(await store.revoke("k1", "2025-02-01T00:00:00.000Z")).toBe(true);
      expect(await store.revoke("k1", "2025-03-01T00:00:00.000Z")).toBe(true);
      expect((await store.get("k1"))?.revokedAt).toBe("2025-02-01T00:00:00.000Z");
      expect((await store.get("k2"))?.revokedAt).toBeUndefined();
      expect((await store.list()).map((record) => [record.id, record.revokedAt])).toEqual([
        ["k1", "2025-02-01T00:00:00.000Z"],
        ["k2", undefined],
      ]);
      expect(await store.revoke("missing", "2025-02-01T00:00:00.000Z")).toBe(false);
      expect(await store.get("missing")).toBeUndefined();
    });

    it("rejects a duplicate id with SESSION_CONFLICT and keeps the first record", async () => {
      const first = keyRecord("dup", { tenant: "acme", role: "admin" });
      await store.insert(first);
      const error = await rejection(store.insert(keyRecord("dup", { tenant: "globex" })));
      expect(error.code).toBe("SESSION_CONFLICT");
      expect(error.message).toContain("dup");
      expect(await store.get("dup")).toEqual(first);
      expect(await store.list("globex")).toEqual([]);
    });

    it("lets exactly one of concurrent inserts of one id win, and keeps every distinct concurrent insert", async () => {
      const racing = await Promise.allSettled(
        ["acme", "globex", "initech", "umbrella"].map((tenant) =>
          store.insert(keyRecord("race", { tenant })),
        ),
      );
      expect(racing.filter((result) => result.status === "fulfilled")).toHaveLength(1);
      for (const result of racing) {
        if (result.status === "rejected") expect(result.reason).toMatchObject({ code: "SESSION_CONFLICT" });
      }
      await Promise.all(
        Array.from({ length: 30 }, (_, index) =>
          store.insert(keyRecord(`many-${index}`, { tenant: index % 2 === 0 ? "even" : "odd" }, index)),
        ),
      );
      expect(await store.list()).toHaveLength(31);
      expect((await store.list("even")).map((record) => record.id)).toEqual(
        Array.from({ length: 15 }, (_, index) => `many-${index * 2}`),
      );
    });

    it("does not let callers mutate stored records", async () => {
      const record = keyRecord("k1");
      await store.insert(record);
      record.role = "admin";
      const got = await store.get("k1");
      expect(got?.role).toBe("member");
      if (got !== undefined) got.revokedAt = "2025-01-05T00:00:00.000Z";
      const listed = await store.list();
      if (listed[0] !== undefined) listed[0].tenant = "other";
      expect(await store.get("k1")).toEqual(keyRecord("k1"));
    });

    it("finds nothing for hostile ids and tenants, and writes nothing", async () => {
      await store.insert(keyRecord("k1"));
      for (const hostile of HOSTILE_KEY_IDS) {
        expect(await store.get(hostile), JSON.stringify(hostile)).toBeUndefined();
        expect(await store.revoke(hostile, "2025-02-01T00:00:00.000Z")).toBe(false);
        expect(await store.list(hostile)).toEqual([]);
      }
      expect(await store.list()).toEqual([keyRecord("k1")]);
    });

    it("caps live login links per tenant with LIMIT_EXCEEDED; other tenants, API keys and used links do not count", async () => {
      const limited = await factory({ maxLoginLinksPerTenant: 3 });
      try {
        const keys = limited.store;
        for (const id of ["l1", "l2", "l3"]) await keys.insert(loginLink(id, "acme", 1));
        const refused = await rejection(keys.insert(loginLink("l4", "acme", 2)));
        expect(refused.code).toBe("LIMIT_EXCEEDED");
        expect(refused.message).toContain("max_login_links_per_tenant");
        expect(refused.details).toEqual({ tenant: "acme", limit: 3 });
        expect(await keys.get("l4")).toBeUndefined();
        await keys.insert(loginLink("g1", "globex", 2));
        await keys.insert(keyRecord("api1", { tenant: "acme" }, 2));
        // A used link (revoked by the exchange) frees its place and is removed at the next insert.
        expect(await keys.revoke("l1", "2025-01-01T00:02:30.000Z")).toBe(true);
        await keys.insert(loginLink("l5", "acme", 3));
        expect(await keys.get("l1")).toBeUndefined();
        expect((await keys.list("acme")).map((record) => record.id).sort()).toEqual([
          "api1",
          "l2",
          "l3",
          "l5",
        ]);
      } finally {
        await limited.store.close?.();
        await limited.cleanup();
      }
    });

    it("removes expired login links and cookies on insert, and keeps revoked API keys", async () => {
      await store.insert(loginLink("old-login", "acme", 0));
      await store.insert(
        keyRecord("old-cookie", { kind: "cookie", expiresAt: "2025-01-01T00:05:00.000Z" }, 1),
      );
      await store.insert(keyRecord("old-api", { revokedAt: "2025-01-01T00:03:00.000Z" }, 2));
      await store.insert(loginLink("live-login", "acme", 5));
      // Inserted at minute 12: the first link (expired at minute 10) and the cookie go; the rest stays.
      await store.insert(keyRecord("new-api", {}, 12));
      expect((await store.list()).map((record) => record.id)).toEqual(["old-api", "live-login", "new-api"]);
    });

    it("works with createApiKey and verifyApiKey: a created token verifies until revoked", async () => {
      const { record, token } = await createApiKey(store, { tenant: "acme", role: "admin", name: "ci" });
      expect(await store.get(record.id)).toEqual(record);
      expect(await verifyApiKey(store, token)).toEqual(record);
      expect(await verifyApiKey(store, `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`)).toBe(
        undefined,
      );
      expect(await store.revoke(record.id, new Date().toISOString())).toBe(true);
      expect(await verifyApiKey(store, token)).toBeUndefined();
    });
  });
}
