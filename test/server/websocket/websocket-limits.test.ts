import { afterEach, describe, expect, it } from "vitest";
import { CLOSE_CREDENTIAL_REVOKED } from "../../../src/server/websocket/websocket-routes.js";
import { scriptedStream } from "../../support/scripted-step.js";
import { refusedStatus, startWebSocketHarness } from "./websocket-harness.js";

type Harness = Awaited<ReturnType<typeof startWebSocketHarness>>;

/** The key id inside a `pluto_<id>_<secret>` token. */
function keyIdOf(token: string): string {
  return token.split("_")[1] as string;
}

/** Resolves with how the socket closed, or rejects after `ms`. */
function closedWithin<T>(closed: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    closed,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms)),
  ]);
}

describe("WebSocket credentials, rate limit and stream cap", () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it("closes a socket with 1008 as soon as its API key is revoked through the admin API", async () => {
    harness = await startWebSocketHarness({ streamStep: scriptedStream().streamStep, withKeys: true });
    const acme = await harness.connect({ authorization: `Bearer ${harness.tokens.acme}` });
    const revoked = await fetch(
      `${harness.server.url}/api/v1/admin/keys/${keyIdOf(harness.tokens.acme)}?tenant=acme`,
      { method: "DELETE", headers: { authorization: `Bearer ${harness.tokens.operator}` } },
    );
    expect(revoked.status).toBe(204);
    const closed = await closedWithin(acme.closed, 2_000);
    expect(closed.code).toBe(CLOSE_CREDENTIAL_REVOKED);
    expect(closed.reason).toMatch(/revoked/);
  });

  it("refuses the next message of a socket whose key was revoked elsewhere (CLI, another worker)", async () => {
    harness = await startWebSocketHarness({ streamStep: scriptedStream().streamStep, withKeys: true });
    const beta = await harness.connect({ authorization: `Bearer ${harness.tokens.beta}` });
    // Straight in the store, as `pluto keys revoke` on the same data directory does: this app is not told.
    await harness.apiKeys?.revoke(keyIdOf(harness.tokens.beta), new Date().toISOString());
    beta.send({ type: "run", id: "after-revoke", agent: "test-agent", input: "hi" });
    const closed = await closedWithin(beta.closed, 2_000);
    expect(closed.code).toBe(CLOSE_CREDENTIAL_REVOKED);
    expect(harness.runs.activeCount).toBe(0);
    expect(beta.events()).toEqual([]);
    // The operator's socket is untouched.
    const operator = await harness.connect({ authorization: `Bearer ${harness.tokens.operator}` });
    operator.send({ type: "subscribe", id: "s", session_id: "missing" });
    await operator.nextError(1);
    expect(operator.errors()[0]?.error.code).toBe("SESSION_NOT_FOUND");
  });

  it("counts every message against the tenant's per-minute limit and answers LIMIT_EXCEEDED frames", async () => {
    harness = await startWebSocketHarness({ streamStep: scriptedStream().streamStep, rateLimitPerMinute: 4 });
    // The upgrade request takes one token; three messages fit, the rest are refused with their id.
    const client = await harness.connect();
    for (let index = 0; index < 6; index += 1) {
      client.send({ type: "subscribe", id: `m${index}`, session_id: "nope" });
    }
    await client.nextError(6);
    const codes = client.errors().map((message) => [message.id, message.error.code]);
    expect(codes.filter(([, code]) => code === "SESSION_NOT_FOUND")).toHaveLength(3);
    const limited = client.errors().filter((message) => message.error.code === "LIMIT_EXCEEDED");
    expect(limited.map((message) => message.id)).toEqual(["m3", "m4", "m5"]);
    expect(limited[0]?.error.details).toMatchObject({ limit: "requests_per_minute", max: 4 });
    expect(Number(limited[0]?.error.details?.retry_after_seconds)).toBeGreaterThanOrEqual(1);
    // The HTTP API shares the same bucket: it is empty now.
    expect((await fetch(`${harness.server.url}/api/v1/agents`)).status).toBe(429);
  });

  it("counts open sockets against the stream cap and frees the slot when one closes", async () => {
    harness = await startWebSocketHarness({ streamStep: scriptedStream().streamStep, maxStreams: 1 });
    const first = await harness.connect();
    expect(await refusedStatus(harness.wsUrl)).toBe(429);
    first.socket.close();
    await first.closed;
    // The server sees the close shortly after the client does.
    let status = 0;
    for (let attempt = 0; attempt < 20 && status !== 200; attempt += 1) {
      const second = await harness.connect().then(
        (client) => {
          client.socket.close();
          return 200;
        },
        () => 429,
      );
      status = second;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(200);
  });
});
