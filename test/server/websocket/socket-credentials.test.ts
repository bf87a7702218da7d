import { describe, expect, it } from "vitest";
import { SocketCredentials } from "../../../src/server/websocket/socket-credentials.js";
import { createApiKey } from "../../../src/services/auth/api-keys.js";
import { InMemoryApiKeyStore } from "../../../src/services/auth/in-memory-api-key-store.js";

describe("SocketCredentials", () => {
  it("closes every socket of a key revoked behind its back within one re-check interval, once", async () => {
    const apiKeys = new InMemoryApiKeyStore();
    const { record } = await createApiKey(apiKeys, { tenant: "acme", role: "member" });
    const { record: other } = await createApiKey(apiKeys, { tenant: "acme", role: "member" });
    const credentials = new SocketCredentials({ apiKeys, intervalMs: 50 });
    const closed: string[] = [];
    credentials.register(record.id, () => closed.push("a1"));
    credentials.register(record.id, () => closed.push("a2"));
    const unregisterOther = credentials.register(other.id, () => closed.push("b"));
    expect(credentials.keyCount).toBe(2);

    await apiKeys.revoke(record.id, new Date().toISOString());
    const deadline = Date.now() + 2_000;
    while (closed.length < 2 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed.sort()).toEqual(["a1", "a2"]);
    expect(credentials.keyCount).toBe(1);
    expect(await credentials.check(other.id)).toBe(true);
    unregisterOther();
    expect(credentials.keyCount).toBe(0);
    // Closed sockets are not closed again by later checks.
    expect(await credentials.check(record.id)).toBe(false);
    expect(closed).toHaveLength(2);
  });

  it("treats an expired key like a revoked one", async () => {
    const apiKeys = new InMemoryApiKeyStore();
    const { record } = await createApiKey(apiKeys, { tenant: "acme", role: "member" });
    let now = Date.now();
    await apiKeys.insert({ ...record, id: "0123456789ab", expiresAt: new Date(now + 1_000).toISOString() });
    const credentials = new SocketCredentials({ apiKeys, now: () => now, intervalMs: 60_000 });
    let closes = 0;
    const unregister = credentials.register("0123456789ab", () => {
      closes += 1;
    });
    expect(await credentials.check("0123456789ab")).toBe(true);
    now += 2_000;
    expect(await credentials.check("0123456789ab")).toBe(false);
    expect(closes).toBe(1);
    unregister();
  });
});
