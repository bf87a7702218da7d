import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { isPlutoError, PlutoError } from "../../../src/core/errors.js";
import { tenantLimits } from "../../../src/server/limits/tenant-limits.js";
import { TenantRateLimiter } from "../../../src/server/limits/tenant-rate-limiter.js";
import { TenantRunLimiter } from "../../../src/server/limits/tenant-run-limiter.js";
import { deferred, scriptedStream } from "../../support/scripted-step.js";
import { agentFiles, createAdminHarness, expectError, withToken } from "../admin/admin-harness.js";

type Harness = Awaited<ReturnType<typeof createAdminHarness>>;
let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function addAgent(h: Harness, token: string, name: string): Promise<void> {
  const response = await h.app.request(
    "/api/v1/admin/agents",
    withToken(token, { method: "POST", body: { name, files: agentFiles(name) } }),
  );
  expect(response.status).toBe(201);
}

describe("TenantRateLimiter", () => {
  it("allows a burst of perMinute, then refills at perMinute/60 per second, per tenant", () => {
    let now = 1_000_000;
    const limiter = new TenantRateLimiter({ perMinute: 3, now: () => now });
    expect([1, 2, 3].map(() => limiter.take("a").allowed)).toEqual([true, true, true]);
    expect(limiter.take("a")).toEqual({ allowed: false, retryAfterSeconds: 20 });
    expect(limiter.take("b").allowed).toBe(true);
    now += 19_000;
    expect(limiter.take("a")).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 1_000;
    expect(limiter.take("a").allowed).toBe(true);
    expect(limiter.take("a").allowed).toBe(false);
    // A long pause refills to the burst size, never beyond.
    now += 3_600_000;
    expect([1, 2, 3, 4].map(() => limiter.take("a").allowed)).toEqual([true, true, true, false]);
  });

  it("answers Retry-After of at least 1 s for high rates and keeps memory bounded", () => {
    let now = 0;
    const fast = new TenantRateLimiter({ perMinute: 6000, now: () => now });
    for (let index = 0; index < 6000; index++) fast.take("t");
    expect(fast.take("t")).toEqual({ allowed: false, retryAfterSeconds: 1 });
    const bounded = new TenantRateLimiter({ perMinute: 1, maxTenants: 10, now: () => now });
    for (let index = 0; index < 1000; index++) {
      now += 1;
      expect(bounded.take(`tenant-${index}`).allowed).toBe(true);
    }
    expect(() => new TenantRateLimiter({ perMinute: 0 })).toThrow(RangeError);
    expect(() => new TenantRateLimiter({ perMinute: Number.NaN })).toThrow(RangeError);
  });
});

describe("TenantRunLimiter", () => {
  it("counts runs per tenant from start until the run ends, and releases failed starts", async () => {
    const gate = deferred();
    const step = scriptedStream([{ gate: gate.promise, text: "slow" }, { text: "next" }]);
    harness = await createAdminHarness({ streamStep: step.streamStep });
    await addAgent(harness, harness.tokens.acmeAdmin, "bot");
    const limiter = new TenantRunLimiter(1);
    const runs = limiter.wrap(harness.runs);

    const first = await runs.start({ agent: "bot", input: "one", tenant: "acme" });
    expect(limiter.active("acme")).toBe(1);
    expect(runs.activeCount).toBe(1);
    expect(runs.activeRun(first.runId)).toEqual(first.key);
    const refused = await runs
      .start({ agent: "bot", input: "two", tenant: "acme" })
      .catch((error: unknown) => error);
    expect(isPlutoError(refused, "LIMIT_EXCEEDED")).toBe(true);
    expect((refused as PlutoError).details).toEqual({
      limit: "concurrent_runs",
      max: 1,
      retry_after_seconds: 1,
    });
    // Unknown agents of another tenant fail and leave nothing counted.
    await expect(runs.start({ agent: "nobody", input: "x", tenant: "beta" })).rejects.toMatchObject({
      code: "AGENT_NOT_FOUND",
    });
    expect(limiter.active("beta")).toBe(0);

    gate.resolve();
    expect((await first.result).status).toBe("completed");
    await Promise.resolve();
    expect(limiter.active("acme")).toBe(0);
    const second = await runs.start({ agent: "bot", input: "three", tenant: "acme" });
    expect((await second.result).status).toBe("completed");
    expect(() => new TenantRunLimiter(0)).toThrow(RangeError);
    expect(() => new TenantRunLimiter(1.5)).toThrow(RangeError);
  });
});

describe("per-tenant limits over HTTP", () => {
  it("answers 429 LIMIT_EXCEEDED with Retry-After once a tenant exceeds its request rate", async () => {
    harness = await createAdminHarness({ rateLimitPerMinute: 2 });
    const { app, tokens } = harness;
    expect((await app.request("/api/v1/agents", withToken(tokens.acmeMember))).status).toBe(200);
    expect((await app.request("/api/v1/agents", withToken(tokens.acmeAdmin))).status).toBe(200);
    const limited = await app.request("/api/v1/agents", withToken(tokens.acmeMember));
    expect(limited.headers.get("retry-after")).toBe("30");
    const error = await expectError(limited, 429, "LIMIT_EXCEEDED");
    expect(error.details).toEqual({ limit: "requests_per_minute", max: 2, retry_after_seconds: 30 });
    // Every route of the tenant shares the bucket; other tenants and public routes do not.
    await expectError(
      await app.request("/api/v1/admin/keys", withToken(tokens.acmeAdmin)),
      429,
      "LIMIT_EXCEEDED",
    );
    expect((await app.request("/api/v1/agents", withToken(tokens.betaAdmin))).status).toBe(200);
    for (let index = 0; index < 5; index++) expect((await app.request("/healthz")).status).toBe(200);
    // Unauthenticated requests are refused before they can spend a tenant's budget.
    await expectError(await app.request("/api/v1/agents"), 401, "UNAUTHORIZED");
  });

  it("refuses run-starting requests of a tenant at its concurrent-run limit on every API", async () => {
    const gate = deferred();
    const step = scriptedStream([
      { gate: gate.promise, text: "slow answer" },
      { text: "beta answer" },
      { text: "later" },
    ]);
    harness = await createAdminHarness({ streamStep: step.streamStep, maxConcurrentRunsPerTenant: 1 });
    const { app, tokens } = harness;
    await addAgent(harness, tokens.acmeAdmin, "bot");
    await addAgent(harness, tokens.betaAdmin, "bot");

    const streaming = await app.request(
      "/api/v1/agents/bot/runs",
      withToken(tokens.acmeMember, { method: "POST", body: { input: "slow", stream: true } }),
    );
    expect(streaming.status).toBe(200);

    const refusals: Array<[string, unknown]> = [
      ["/api/v1/agents/bot/runs", { input: "again" }],
      ["/v1/chat/completions", { model: "bot", messages: [{ role: "user", content: "hi" }] }],
      ["/ap/v1/agent/tasks/some-task/steps", { input: "hi" }],
      ["/api/v1/agent/tasks/some-task/steps", {}],
      ["/a2a/bot/rest/v1/message:send", { message: {} }],
      ["/a2a/bot/jsonrpc", { jsonrpc: "2.0", id: 1, method: "message/send", params: {} }],
      ["/a2a/bot/jsonrpc", { jsonrpc: "2.0", id: 1, method: "SendStreamingMessage", params: {} }],
      ["/mcp/bot", [{ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "send_message" } }]],
    ];
    for (const [route, body] of refusals) {
      const response = await app.request(route, withToken(tokens.acmeMember, { method: "POST", body }));
      expect(response.headers.get("retry-after"), route).toBe("1");
      const error = await expectError(response, 429, "LIMIT_EXCEEDED");
      expect(error.details).toEqual({ limit: "concurrent_runs", max: 1, retry_after_seconds: 1 });
    }
    // Requests that start no run still pass, and so do other tenants' runs.
    expect((await app.request("/api/v1/agents", withToken(tokens.acmeMember))).status).toBe(200);
    const notRun = await app.request(
      "/a2a/bot/jsonrpc",
      withToken(tokens.acmeMember, {
        method: "POST",
        body: { jsonrpc: "2.0", id: 3, method: "tasks/get", params: { id: "x" } },
      }),
    );
    expect(notRun.status).not.toBe(429);
    const beta = await app.request(
      "/api/v1/agents/bot/runs",
      withToken(tokens.betaAdmin, { method: "POST", body: { input: "beta" } }),
    );
    expect(beta.status).toBe(200);
    expect(((await beta.json()) as { output: string }).output).toBe("beta answer");

    gate.resolve();
    expect(await streaming.text()).toContain("slow answer");
    // The run's counter is released when its result settles, just after the stream's last frame.
    for (let attempt = 0; attempt < 50 && harness.runs.activeCount > 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const later = await app.request(
      "/api/v1/agents/bot/runs",
      withToken(tokens.acmeMember, { method: "POST", body: { input: "later" } }),
    );
    expect(later.status).toBe(200);
    expect(harness.unexpected).toEqual([]);
  });

  it("adds Retry-After to a LIMIT_EXCEEDED thrown by a route", async () => {
    const app = new Hono();
    app.use("*", tenantLimits({ runs: new TenantRunLimiter(1) }));
    app.get("/busy", () => {
      throw new PlutoError("LIMIT_EXCEEDED", "Busy; retry in a few seconds.", {
        details: { retry_after_seconds: 7 },
      });
    });
    app.onError((error, context) =>
      context.json({ error: isPlutoError(error) ? error.toJSON() : { code: "INTERNAL", message: "x" } }, 429),
    );
    const response = await app.request("/busy");
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
  });
});
