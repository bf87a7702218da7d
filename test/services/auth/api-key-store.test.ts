import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { isPlutoError } from "../../../src/core/errors.js";
import { mintToken } from "../../../src/server/login/session-tokens.js";
import { createApiKey, verifyApiKey } from "../../../src/services/auth/api-keys.js";
import { FsApiKeyStore, type KeyFileReader } from "../../../src/services/auth/fs-api-key-store.js";
import { InMemoryApiKeyStore } from "../../../src/services/auth/in-memory-api-key-store.js";
import { DEFAULT_MAX_LOGIN_LINKS_PER_TENANT } from "../../../src/services/auth/login-link-limit.js";
import { PostgresApiKeyStore } from "../../../src/services/postgres/postgres-api-key-store.js";
import { describeApiKeyStoreContract, keyRecord } from "../../contracts/api-key-store.contract.js";
import { postgresUrlOrSkip } from "../../support/services.js";
import { createTestSchema, type PostgresTestSchema } from "../postgres/postgres-fixture.js";
import { tempDataDir } from "../temp-dir.js";

describeApiKeyStoreContract("in-memory", async (options) => ({
  store: new InMemoryApiKeyStore(options),
  cleanup: async () => {},
}));

describeApiKeyStoreContract("filesystem", async (options) => {
  const { dataDir, cleanup } = await tempDataDir("api-keys");
  return { store: new FsApiKeyStore({ dataDir, ...options }), cleanup };
});

const url = await postgresUrlOrSkip();
if (url !== undefined) {
  let ready: Promise<PostgresTestSchema> | undefined;
  afterAll(async () => {
    await (await ready)?.dispose();
  });
  describeApiKeyStoreContract("postgres", async (options) => {
    ready ??= createTestSchema(url, "api_keys");
    const { pool, schema } = await ready;
    await pool.query(`DELETE FROM "${schema}".api_keys`);
    return { store: new PostgresApiKeyStore({ pool, schema, ...options }), cleanup: async () => {} };
  });
}

describe("FsApiKeyStore file", () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dataDir, cleanup } = await tempDataDir("api-keys-file"));
  });
  afterEach(async () => {
    await cleanup();
  });

  it("keeps keys in <dataDir>/auth/api-keys.json, mode 0600, hashes only", async () => {
    await new FsApiKeyStore({ dataDir }).insert(keyRecord("k1"));
    const file = join(dataDir, "auth", "api-keys.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const parsed = JSON.parse(await readFile(file, "utf8"));
    expect(parsed).toEqual({ version: 1, keys: [keyRecord("k1")] });
  });

  it("10,000 login links from one tenant: the file stays at the cap, and expired links are dropped later", async () => {
    const store = new FsApiKeyStore({ dataDir });
    const now = new Date("2025-01-01T00:00:00.000Z");
    let refused = 0;
    for (let index = 0; index < 10_000; index += 1) {
      await mintToken(store, {
        tenant: "acme",
        role: "member",
        kind: "login",
        name: "link",
        ttlMs: 600_000,
        now,
      }).catch((error: unknown) => {
        if (!isPlutoError(error, "LIMIT_EXCEEDED")) throw error;
        refused += 1;
      });
    }
    expect(refused).toBe(10_000 - DEFAULT_MAX_LOGIN_LINKS_PER_TENANT);
    const file = join(dataDir, "auth", "api-keys.json");
    const stored = JSON.parse(await readFile(file, "utf8")) as { keys: unknown[] };
    expect(stored.keys).toHaveLength(DEFAULT_MAX_LOGIN_LINKS_PER_TENANT);
    expect((await stat(file)).size).toBeLessThan(DEFAULT_MAX_LOGIN_LINKS_PER_TENANT * 400);
    // Eleven minutes later every link has expired: the next insert leaves only itself.
    await mintToken(store, {
      tenant: "acme",
      role: "member",
      kind: "login",
      name: "link",
      ttlMs: 600_000,
      now: new Date(now.getTime() + 11 * 60_000),
    });
    expect(await store.list()).toHaveLength(1);
  });

  it("authenticates from the parsed file while it is unchanged, and re-reads it once another instance revokes", async () => {
    const reads = { stat: 0, readFile: 0 };
    const reader: KeyFileReader = {
      stat: (path) => {
        reads.stat += 1;
        return stat(path, { bigint: true });
      },
      readFile: (path) => {
        reads.readFile += 1;
        return readFile(path, "utf8");
      },
    };
    const server = new FsApiKeyStore({ dataDir, reader });
    const { record, token } = await createApiKey(server, { tenant: "acme", role: "member" });
    for (let index = 0; index < 50; index += 1)
      await createApiKey(server, { tenant: `t${index}`, role: "admin" });
    const before = reads.readFile;
    for (let index = 0; index < 1000; index += 1) expect(await verifyApiKey(server, token)).toEqual(record);
    expect(reads.readFile - before).toBeLessThanOrEqual(1);
    expect(reads.stat - before).toBeGreaterThanOrEqual(1000);

    // `pluto keys revoke` in another process: a second instance on the same file.
    expect(await new FsApiKeyStore({ dataDir }).revoke(record.id, "2025-02-01T00:00:00.000Z")).toBe(true);
    const beforeRevoked = reads.readFile;
    expect(await verifyApiKey(server, token)).toBeUndefined();
    expect(reads.readFile).toBe(beforeRevoked + 1);
  });

  it("shows a revocation made through another instance at the next lookup", async () => {
    const server = new FsApiKeyStore({ dataDir });
    await server.insert(keyRecord("k1"));
    expect(await new FsApiKeyStore({ dataDir }).revoke("k1", "2025-02-01T00:00:00.000Z")).toBe(true);
    expect((await server.get("k1"))?.revokedAt).toBe("2025-02-01T00:00:00.000Z");
  });
});
