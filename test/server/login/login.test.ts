import { afterEach, describe, expect, it } from "vitest";
import { mintToken } from "../../../src/server/login/session-tokens.js";
import { agentFiles, createAdminHarness, expectError, withToken } from "../admin/admin-harness.js";

type Harness = Awaited<ReturnType<typeof createAdminHarness>>;
let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function loginLink(
  app: Harness["app"],
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const init = withToken(token, { method: "POST", ...(body === undefined ? {} : { body }) });
  const response = await app.request("/api/v1/admin/login-links", {
    ...init,
    headers: { ...(init.headers as Record<string, string>), ...headers },
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { url: string; expires_at: string };
}

function cookieValue(setCookie: string): string {
  return /^pluto_session=([^;]+)/.exec(setCookie)?.[1] ?? "";
}

describe("login links and the session cookie", () => {
  it("exchanges a one-time link for an HttpOnly SameSite cookie that authenticates the tenant", async () => {
    harness = await createAdminHarness();
    const { app, tokens } = harness;
    await app.request(
      "/api/v1/admin/agents",
      withToken(tokens.acmeAdmin, {
        method: "POST",
        body: { name: "acme-bot", files: agentFiles("acme-bot") },
      }),
    );
    const before = Date.now();
    const link = await loginLink(app, tokens.acmeAdmin);
    expect(link.url).toMatch(/^http:\/\/localhost\/login\?token=pluto_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const expires = Date.parse(link.expires_at);
    expect(expires - before).toBeGreaterThan(9.9 * 60_000);
    expect(expires - before).toBeLessThanOrEqual(10 * 60_000 + 1000);

    const login = await app.request(link.url.replace("http://localhost", ""));
    expect(login.status).toBe(303);
    expect(login.headers.get("location")).toBe("/");
    expect(login.headers.get("cache-control")).toBe("no-store");
    expect(login.headers.get("referrer-policy")).toBe("no-referrer");
    const setCookie = login.headers.get("set-cookie") ?? "";
    const attributes = setCookie.split("; ");
    expect(attributes.slice(1).sort()).toEqual(["HttpOnly", "Max-Age=43200", "Path=/", "SameSite=Strict"]);
    const session = cookieValue(setCookie);
    expect(session).toMatch(/^pluto_[0-9a-f]{12}_/);
    expect(link.url).not.toContain(session);

    const agents = await app.request("/api/v1/agents", { headers: { cookie: `pluto_session=${session}` } });
    expect(agents.status).toBe(200);
    expect(
      ((await agents.json()) as { agents: Array<{ name: string }> }).agents.map((agent) => agent.name),
    ).toEqual(["acme-bot"]);
    // Default role of a link is member.
    await expectError(
      await app.request("/api/v1/admin/keys", { headers: { cookie: `pluto_session=${session}` } }),
      403,
      "FORBIDDEN",
    );

    // One time only: a second use gets 401, plain text, no cookie.
    const again = await app.request(link.url.replace("http://localhost", ""));
    expect(again.status).toBe(401);
    expect(again.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(again.headers.get("set-cookie")).toBeNull();
    const text = await again.text();
    expect(text).toContain("invalid, expired or already used");
    expect(text).not.toContain("pluto_");

    // The cookie value is never a bearer token, and tokens in query strings are ignored everywhere else.
    await expectError(await app.request("/api/v1/agents", withToken(session)), 401, "UNAUTHORIZED");
    await expectError(await app.request(`/api/v1/agents?token=${session}`), 401, "UNAUTHORIZED");
    await expectError(await app.request(`/api/v1/agents?token=${tokens.acmeAdmin}`), 401, "UNAUTHORIZED");
    await expectError(
      await app.request(`/api/v1/agents?access_token=${tokens.acmeAdmin}`),
      401,
      "UNAUTHORIZED",
    );
    // An API key in the cookie is refused too.
    await expectError(
      await app.request("/api/v1/agents", { headers: { cookie: `pluto_session=${tokens.acmeAdmin}` } }),
      401,
      "UNAUTHORIZED",
    );
    expect(harness.unexpected).toEqual([]);
  });

  it("gives an admin session for an admin link, Secure over https, origin from the proxy headers", async () => {
    harness = await createAdminHarness({ allowedHosts: ["pluto.example.com"] });
    const { app, tokens } = harness;
    const link = await loginLink(
      app,
      tokens.betaAdmin,
      { role: "admin" },
      {
        host: "pluto.example.com",
        "x-forwarded-proto": "https",
      },
    );
    expect(link.url.startsWith("https://pluto.example.com/login?token=pluto_")).toBe(true);
    const login = await app.request(link.url, { headers: { "x-forwarded-proto": "https" } });
    expect(login.status).toBe(303);
    const setCookie = login.headers.get("set-cookie") ?? "";
    expect(setCookie.split("; ")).toContain("Secure");
    const keys = await app.request("/api/v1/admin/keys", {
      headers: { cookie: `pluto_session=${cookieValue(setCookie)}` },
    });
    expect(keys.status).toBe(200);
    expect(
      ((await keys.json()) as { keys: Array<{ tenant: string }> }).keys.every((key) => key.tenant === "beta"),
    ).toBe(true);
    const cookies = await app.request("/api/v1/admin/keys?kind=cookie", withToken(tokens.betaAdmin));
    expect(((await cookies.json()) as { keys: Array<{ kind: string; expires_at: string }> }).keys).toEqual([
      expect.objectContaining({ kind: "cookie", expires_at: expect.any(String) }),
    ]);
    await expectError(
      await app.request(
        "/api/v1/admin/login-links",
        withToken(tokens.acmeAdmin, { method: "POST", body: { role: "root" } }),
      ),
      400,
      "BAD_REQUEST",
    );
    await expectError(
      await app.request(
        "/api/v1/admin/login-links",
        withToken(tokens.acmeAdmin, { method: "POST", body: { tenant: "beta" } }),
      ),
      400,
      "BAD_REQUEST",
    );
  });

  it("refuses missing, malformed, expired and non-login tokens without revoking API keys", async () => {
    harness = await createAdminHarness();
    const { app, tokens, apiKeys } = harness;
    const expiredLink = await mintToken(apiKeys, {
      tenant: "acme",
      role: "admin",
      kind: "login",
      name: "old",
      ttlMs: -1000,
    });
    const expiredCookie = await mintToken(apiKeys, {
      tenant: "acme",
      role: "admin",
      kind: "cookie",
      name: "old",
      ttlMs: -1000,
    });
    const liveCookie = await mintToken(apiKeys, {
      tenant: "acme",
      role: "admin",
      kind: "cookie",
      name: "c",
      ttlMs: 60_000,
    });
    const bad = [
      "/login",
      "/login?token=",
      "/login?token=nonsense",
      `/login?token=${"a".repeat(5000)}`,
      `/login?token=${expiredLink.token}`,
      `/login?token=${tokens.acmeAdmin}`,
      `/login?token=${liveCookie.token}`,
      `/login?token=${encodeURIComponent(`${tokens.acmeAdmin}\u0000`)}`,
    ];
    for (const url of bad) {
      const response = await app.request(url);
      expect(response.status, url.slice(0, 60)).toBe(401);
      expect(response.headers.get("set-cookie")).toBeNull();
    }
    // An API key sent to /login stays valid; a login token is never a bearer token or cookie.
    expect((await app.request("/api/v1/agents", withToken(tokens.acmeAdmin))).status).toBe(200);
    await expectError(
      await app.request("/api/v1/agents", { headers: { cookie: `pluto_session=${expiredCookie.token}` } }),
      401,
      "UNAUTHORIZED",
    );
    const link = await loginLink(app, tokens.acmeAdmin);
    const linkToken = new URL(link.url).searchParams.get("token")!;
    await expectError(await app.request("/api/v1/agents", withToken(linkToken)), 401, "UNAUTHORIZED");
    await expectError(
      await app.request("/api/v1/agents", { headers: { cookie: `pluto_session=${linkToken}` } }),
      401,
      "UNAUTHORIZED",
    );
  });

  it("lets one of two concurrent uses of a link win", async () => {
    harness = await createAdminHarness();
    const { app, tokens } = harness;
    const link = await loginLink(app, tokens.acmeAdmin);
    const path = link.url.replace("http://localhost", "");
    const responses = await Promise.all([app.request(path), app.request(path), app.request(path)]);
    expect(responses.map((response) => response.status).sort()).toEqual([303, 401, 401]);
  });
});

describe("login links per tenant", () => {
  it("answers 429 LIMIT_EXCEEDED past 100 live links of one tenant; other tenants still get theirs", async () => {
    harness = await createAdminHarness();
    const { app, tokens } = harness;
    for (let index = 0; index < 100; index += 1) await loginLink(app, tokens.acmeAdmin);
    const refused = await app.request(
      "/api/v1/admin/login-links",
      withToken(tokens.acmeAdmin, { method: "POST" }),
    );
    const error = await expectError(refused, 429, "LIMIT_EXCEEDED");
    expect(error.message).toContain("max_login_links_per_tenant");
    await loginLink(app, tokens.betaAdmin);
  });
});
