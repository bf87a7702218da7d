import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { FsApiKeyStore } from "../../../src/services/auth/fs-api-key-store.js";
import { InMemoryApiKeyStore } from "../../../src/services/auth/in-memory-api-key-store.js";
import { PostgresApiKeyStore } from "../../../src/services/postgres/postgres-api-key-store.js";
import { describeApiKeyStoreContract, keyRecord } from "../../contracts/api-key-store.contract.js";
import { postgresUrlOrSkip } from "../../support/services.js";
import { createTestSchema, type PostgresTestSchema } from "../postgres/postgres-fixture.js";
import { tempDataDir } from "../temp-dir.js";

describeApiKeyStoreContract("in-memory", async () => ({
  store: new InMemoryApiKeyStore(),
  cleanup: async () => {},
}));

describeApiKeyStoreContract("filesystem", async () => {
  const { dataDir, cleanup } = await tempDataDir("api-keys");
  return { store: new FsApiKeyStore({ dataDir }), cleanup };
});

const url = await postgresUrlOrSkip();
if (url !== undefined) {
  let ready: Promise<PostgresTestSchema> | undefined;
  afterAll(async () => {
    await (await ready)?.dispose();
  });
  describeApiKeyStoreContract("postgres", async () => {
    ready ??= createTestSchema(url, "api_keys");
    const { pool, schema } = await ready;
    await pool.query(`DELETE FROM "${schema}".api_keys`);
    return { store: new PostgresApiKeyStore({ pool, schema }), cleanup: async () => {} };
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

  it("shows a revocation made through another instance at the next lookup", async () => {
    const server = new FsApiKeyStore({ dataDir });
    await server.insert(keyRecord("k1"));
    expect(await new FsApiKeyStore({ dataDir }).revoke("k1", "2025-02-01T00:00:00.000Z")).toBe(true);
    expect((await server.get("k1"))?.revokedAt).toBe("2025-02-01T00:00:00.000Z");
  });
});
