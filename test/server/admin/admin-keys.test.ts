import { afterEach, describe, expect, it } from "vitest";
import { createAdminHarness, expectError, withToken } from "./admin-harness.js";

const KEYS = "/api/v1/admin/keys";
type Harness = Awaited<ReturnType<typeof createAdminHarness>>;
let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

interface KeyRow {
  id: string;
  tenant: string;
  role: string;
  name: string;
  kind: string;
  created_at: string;
  revoked_at?: string;
}

async function listKeys(app: Harness["app"], token: string, query = ""): Promise<KeyRow[]> {
  const response = await app.request(`${KEYS}${query}`, withToken(token));
  expect(response.status).toBe(200);
  return ((await response.json()) as { keys: KeyRow[] }).keys;
}

describe("admin API: keys", () => {
  it("creates a key of the caller's tenant, shown once, usable at once", async () => {
    harness = await createAdminHarness();
    const { app, tokens } = harness;
    const response = await app.request(
      KEYS,
      withToken(tokens.acmeAdmin, { method: "POST", body: { role: "member", name: "ci" } }),
    );
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(["created_at", "id", "name", "role", "tenant", "token"]);
    expect(body).toMatchObject({ tenant: "acme", role: "member", name: "ci" });
    expect(body.token).toMatch(/^pluto_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(body.token?.startsWith(`pluto_${body.id}_`)).toBe(true);
    expect(Number.isNaN(Date.parse(body.created_at ?? ""))).toBe(false);

    expect((await app.request("/api/v1/agents", withToken(body.token!))).status).toBe(200);
    await expectError(await app.request(KEYS, withToken(body.token!)), 403, "FORBIDDEN");

    const rows = await listKeys(app, tokens.acmeAdmin);
    expect(rows.map((row) => row.tenant)).toEqual(["acme", "acme", "acme"]);
    expect(rows.find((row) => row.id === body.id)).toEqual({
      id: body.id,
      tenant: "acme",
      role: "member",
      name: "ci",
      kind: "api",
      created_at: body.created_at,
    });
    const text = JSON.stringify(rows);
    expect(text).not.toContain("hash");
    expect(text).not.toContain(body.token);
  });

  it("lets only the operator (default tenant admin) name another tenant", async () => {
    harness = await createAdminHarness();
    const { app, tokens } = harness;
    await expectError(
      await app.request(
        KEYS,
        withToken(tokens.acmeAdmin, { method: "POST", body: { role: "admin", tenant: "beta" } }),
      ),
      403,
      "FORBIDDEN",
    );
    const own = await app.request(
      KEYS,
      withToken(tokens.acmeAdmin, { method: "POST", body: { role: "admin", tenant: "acme" } }),
    );
    expect(own.status).toBe(201);
    await expectError(
      await app.request(`${KEYS}?tenant=beta`, withToken(tokens.acmeAdmin)),
      403,
      "FORBIDDEN",
    );
    await expectError(await app.request(`${KEYS}?tenant=*`, withToken(tokens.acmeAdmin)), 403, "FORBIDDEN");

    const created = await app.request(
      KEYS,
      withToken(tokens.operator, {
        method: "POST",
        body: { role: "admin", tenant: "gamma", name: "gamma boss" },
      }),
    );
    expect(created.status).toBe(201);
    const gamma = (await created.json()) as { id: string; tenant: string; token: string };
    expect(gamma.tenant).toBe("gamma");
    expect((await listKeys(app, gamma.token)).map((row) => row.id)).toEqual([gamma.id]);
    expect((await listKeys(app, tokens.operator, "?tenant=gamma")).map((row) => row.id)).toEqual([gamma.id]);
    expect((await listKeys(app, tokens.operator)).map((row) => row.tenant)).toEqual(["default"]);
    expect(new Set((await listKeys(app, tokens.operator, "?tenant=*")).map((row) => row.tenant))).toEqual(
      new Set(["default", "acme", "beta", "gamma"]),
    );
    expect(await listKeys(app, tokens.operator, "?tenant=..%2Fx")).toEqual([]);
    await expectError(
      await app.request(
        KEYS,
        withToken(tokens.operator, { method: "POST", body: { role: "admin", tenant: "../etc" } }),
      ),
      400,
      "INVALID_NAME",
    );
  });

  it("refuses malformed bodies", async () => {
    harness = await createAdminHarness();
    const { app, tokens } = harness;
    for (const body of [
      "{",
      "null",
      [],
      { role: "root" },
      {},
      { role: "admin", extra: 1 },
      { role: "admin", name: "x".repeat(201) },
      { role: "admin", tenant: 5 },
    ]) {
      await expectError(
        await app.request(KEYS, withToken(tokens.acmeAdmin, { method: "POST", body })),
        400,
        "BAD_REQUEST",
      );
    }
    await expectError(
      await app.request(`${KEYS}?kind=secret`, withToken(tokens.acmeAdmin)),
      400,
      "BAD_REQUEST",
    );
    expect((await listKeys(harness.app, tokens.acmeAdmin)).length).toBe(2);
  });

  it("revokes keys of the caller's tenant only; another tenant's id is 404", async () => {
    harness = await createAdminHarness();
    const { app, tokens, apiKeys } = harness;
    const betaKeys = await apiKeys.list("beta");
    const betaId = betaKeys[0]!.id;
    await expectError(
      await app.request(`${KEYS}/${betaId}`, withToken(tokens.acmeAdmin, { method: "DELETE" })),
      404,
      "NOT_FOUND",
    );
    await expectError(
      await app.request(`${KEYS}/${betaId}?tenant=beta`, withToken(tokens.acmeAdmin, { method: "DELETE" })),
      403,
      "FORBIDDEN",
    );
    for (const id of ["nope", "..%2F..%2Fx", "0123456789ab", "%00"]) {
      await expectError(
        await app.request(`${KEYS}/${id}`, withToken(tokens.acmeAdmin, { method: "DELETE" })),
        404,
        "NOT_FOUND",
      );
    }
    expect((await apiKeys.get(betaId))?.revokedAt).toBeUndefined();
    expect((await app.request("/api/v1/agents", withToken(tokens.betaAdmin))).status).toBe(200);

    const memberId = (await apiKeys.list("acme")).find((record) => record.role === "member")!.id;
    const revoked = await app.request(
      `${KEYS}/${memberId}`,
      withToken(tokens.acmeAdmin, { method: "DELETE" }),
    );
    expect(revoked.status).toBe(204);
    await expectError(await app.request("/api/v1/agents", withToken(tokens.acmeMember)), 401, "UNAUTHORIZED");
    const row = (await listKeys(app, tokens.acmeAdmin)).find((key) => key.id === memberId);
    expect(typeof row?.revoked_at).toBe("string");
    // Idempotent.
    expect(
      (await app.request(`${KEYS}/${memberId}`, withToken(tokens.acmeAdmin, { method: "DELETE" }))).status,
    ).toBe(204);

    // The operator revokes another tenant's key by naming the tenant.
    await expectError(
      await app.request(`${KEYS}/${betaId}`, withToken(tokens.operator, { method: "DELETE" })),
      404,
      "NOT_FOUND",
    );
    expect(
      (await app.request(`${KEYS}/${betaId}?tenant=beta`, withToken(tokens.operator, { method: "DELETE" })))
        .status,
    ).toBe(204);
    await expectError(await app.request("/api/v1/agents", withToken(tokens.betaAdmin)), 401, "UNAUTHORIZED");
  });

  it("turns authentication on at once when the first key is created in simple mode", async () => {
    harness = await createAdminHarness({ withKeys: false });
    const { app } = harness;
    expect((await app.request("/api/v1/agents")).status).toBe(200);
    const created = await app.request(KEYS, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ role: "admin" }),
    });
    expect(created.status).toBe(201);
    const { token, tenant } = (await created.json()) as { token: string; tenant: string };
    expect(tenant).toBe("default");
    await expectError(await app.request("/api/v1/agents"), 401, "UNAUTHORIZED");
    expect((await app.request("/api/v1/agents", withToken(token))).status).toBe(200);
  });
});
