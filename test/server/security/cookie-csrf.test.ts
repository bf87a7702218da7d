import { afterEach, describe, expect, it } from "vitest";
import { mintToken } from "../../../src/server/login/session-tokens.js";
import { agentFiles, createAdminHarness, withToken } from "../admin/admin-harness.js";

/**
 * CSRF defence of the `pluto_session` cookie (src/server/auth.ts): besides SameSite=Strict, a request the
 * cookie authenticates that changes state must carry proof it comes from this server's own pages.
 */

type Harness = Awaited<ReturnType<typeof createAdminHarness>>;
let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function browserSession(open: Harness): Promise<string> {
  const { token } = await mintToken(open.apiKeys, {
    tenant: "acme",
    role: "admin",
    kind: "cookie",
    name: "browser",
    ttlMs: 60_000,
  });
  return `pluto_session=${token}`;
}

describe("cookie sessions and cross-site request forgery", () => {
  it("a state-changing cookie request needs a same-origin Origin or Sec-Fetch-Site", async () => {
    harness = await createAdminHarness();
    const cookie = await browserSession(harness);
    const write = (name: string, headers: Record<string, string>) =>
      harness!.app.request("http://localhost/api/v1/admin/agents", {
        method: "POST",
        headers: { "content-type": "application/json", cookie, ...headers },
        body: JSON.stringify({ name, files: agentFiles(name) }),
      });

    // No proof at all (a form post from a browser that strips Origin, or a forged request): refused.
    const bare = await write("bare", {});
    expect(bare.status).toBe(403);
    expect(((await bare.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "ORIGIN_NOT_ALLOWED",
      message: expect.stringContaining("Authorization: Bearer"),
    });
    expect((await write("same-origin", { origin: "http://localhost" })).status).toBe(201);
    expect((await write("fetch-metadata", { "sec-fetch-site": "same-origin" })).status).toBe(201);
    expect((await write("cross", { origin: "https://evil.example" })).status).toBe(403);

    // Reads with the cookie need nothing more, and a bearer key needs no Origin (curl, SDKs).
    const list = await harness.app.request("http://localhost/api/v1/admin/agents", { headers: { cookie } });
    expect(list.status).toBe(200);
    const names = ((await list.json()) as { agents: { name: string }[] }).agents.map((agent) => agent.name);
    expect(names.sort()).toEqual(["fetch-metadata", "same-origin"]);
    const byKey = await harness.app.request(
      "/api/v1/admin/agents",
      withToken(harness.tokens!.acmeAdmin, {
        method: "POST",
        body: { name: "by-key", files: agentFiles("by-key") },
      }),
    );
    expect(byKey.status).toBe(201);
  });

  it("a login link built from Host says so with Vary: Host, and an unknown Host gets none", async () => {
    harness = await createAdminHarness({ allowedHosts: ["pluto.internal"] });
    const ask = (host: string) =>
      harness!.app.request("http://localhost/api/v1/admin/login-links", {
        method: "POST",
        headers: { authorization: `Bearer ${harness!.tokens!.acmeAdmin}`, host },
      });
    const response = await ask("pluto.internal:7400");
    expect(response.status).toBe(201);
    expect(response.headers.get("vary")).toBe("Host");
    expect(((await response.json()) as { url: string }).url).toMatch(
      /^http:\/\/pluto\.internal:7400\/login\?token=/,
    );
    const refused = await ask("attacker.example");
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain("token=");
  });
});
