import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlutoError } from "../../../src/core/errors.js";
import { PostgresMemoryStore } from "../../../src/services/postgres/postgres-memory-store.js";
import { PostgresPools } from "../../../src/services/postgres/postgres-pools.js";
import { PostgresSessionStore } from "../../../src/services/postgres/postgres-session-store.js";
import { rejection, textEvent } from "../../contracts/session-store.contract.js";
import { postgresUrlOrSkip } from "../../support/services.js";
import { createTestSchema, type PostgresTestSchema } from "./postgres-fixture.js";
import { TcpProxy } from "./tcp-proxy.js";

const url = await postgresUrlOrSkip();

/** The error every call gets while PostgreSQL cannot be reached. */
function expectUnavailable(error: PlutoError, action: string): void {
  expect(error.code).toBe("BACKEND_UNAVAILABLE");
  expect(error.retryable).toBe(true);
  expect(error.details).toMatchObject({ backend: "postgres", reason: "unavailable" });
  expect(error.message).toContain(`PostgreSQL is unreachable or dropped the connection while ${action}`);
  expect(error.message).toContain("read before retrying");
}

describe.skipIf(url === undefined)(
  "PostgreSQL unreachable mid-run (TCP proxy between store and server)",
  () => {
    let fixture: PostgresTestSchema;
    let proxy: TcpProxy;
    let proxyPools: PostgresPools;
    let viaProxy: PostgresSessionStore;
    let memoryViaProxy: PostgresMemoryStore;
    let direct: PostgresSessionStore;
    const logs: string[] = [];

    beforeAll(async () => {
      fixture = await createTestSchema(url ?? "", "outage");
      const target = new URL(fixture.url);
      proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
      await proxy.start();
      const proxied = new URL(fixture.url);
      proxied.hostname = "127.0.0.1";
      proxied.port = String(proxy.port);
      proxyPools = new PostgresPools({
        max: 1,
        connectionTimeoutMs: 2000,
        log: (level, message) => logs.push(`${level}: ${message}`),
      });
      const pool = proxyPools.get(proxied.toString());
      viaProxy = new PostgresSessionStore({ pool, schema: fixture.schema });
      memoryViaProxy = new PostgresMemoryStore({ pool, schema: fixture.schema });
      direct = new PostgresSessionStore({ pool: fixture.pool, schema: fixture.schema });
    });
    afterAll(async () => {
      await proxy?.stop();
      await proxyPools?.close();
      await fixture?.dispose();
    });

    it("an append cut mid-request rejects clearly, stores nothing of its batch, and the pool reconnects", async () => {
      const key = { tenant: "outage", agent: "assistant", session: "cut-request" };
      const first = Array.from({ length: 10 }, (_, n) => textEvent(`small ${n}`));
      await viaProxy.append(key, first, { expectedSeq: 0 });
      const big = Array.from({ length: 100 }, (_, n) => textEvent(`${n} ${"x".repeat(10_000)}`));
      proxy.cutAfterClientBytes(200_000);
      const cutsBefore = proxy.cuts;
      const error = await rejection(viaProxy.append(key, big, { expectedSeq: 10 }));
      expect(proxy.cuts).toBe(cutsBefore + 1);
      expectUnavailable(error, 'appending to session "cut-request"');

      const stored = await direct.read(key);
      expect(stored.map((event) => event.seq)).toEqual(Array.from({ length: 10 }, (_, index) => index + 1));
      expect((await direct.info(key))?.lastSeq).toBe(10);

      const [next] = await viaProxy.append(key, [textEvent("after reconnect")], { expectedSeq: 10 });
      expect(next).toMatchObject({ seq: 11, text: "after reconnect" });
      expect((await direct.read(key, { after: 10 })).map((event) => event.seq)).toEqual([11]);
    });

    it("an append whose answer is lost leaves a whole batch or none, and its retry cannot duplicate it", async () => {
      const key = { tenant: "outage", agent: "assistant", session: "lost-answer" };
      await viaProxy.append(key, [textEvent("a"), textEvent("b"), textEvent("c")], { expectedSeq: 0 });
      const batch = ["d", "e", "f", "g", "h"].map((text) => textEvent(text));
      proxy.cutOnServerAnswer();
      expectUnavailable(
        await rejection(viaProxy.append(key, batch, { expectedSeq: 3 })),
        'appending to session "lost-answer"',
      );
      const lastSeq = (await direct.info(key))?.lastSeq;
      expect([3, 8]).toContain(lastSeq);
      expect((await direct.read(key)).map((event) => event.seq)).toEqual(
        Array.from({ length: lastSeq ?? 0 }, (_, index) => index + 1),
      );
      // The caller retries with the seq it had: a stored batch shows up as a conflict, never twice.
      if (lastSeq === 8) {
        const conflict = await rejection(viaProxy.append(key, batch, { expectedSeq: 3 }));
        expect(conflict.code).toBe("SESSION_CONFLICT");
        expect(conflict.details).toMatchObject({ expectedSeq: 3, actualSeq: 8 });
      } else {
        await viaProxy.append(key, batch, { expectedSeq: 3 });
      }
      const events = await direct.read(key);
      expect(events.map((event) => (event.type === "text-delta" ? event.text : ""))).toEqual([
        "a",
        "b",
        "c",
        "d",
        "e",
        "f",
        "g",
        "h",
      ]);
    });

    it("while the server is unreachable every call fails fast and clearly; idle errors are logged, not thrown; then it recovers", async () => {
      const key = { tenant: "outage", agent: "assistant", session: "down" };
      const scope = { tenant: "outage", agent: "assistant" };
      await viaProxy.append(key, [textEvent("before")], { expectedSeq: 0 });
      await proxy.stop();
      // The pool's idle connection died: pg emits 'error' on it, which must reach the log, not crash the process.
      for (
        let waited = 0;
        waited < 2000 && !logs.some((line) => line.includes("failed while idle"));
        waited += 20
      ) {
        await new Promise((resolveWait) => setTimeout(resolveWait, 20));
      }
      expect(logs.some((line) => line.startsWith("warn:") && line.includes("failed while idle"))).toBe(true);

      const started = Date.now();
      expectUnavailable(
        await rejection(viaProxy.append(key, [textEvent("during")], { expectedSeq: 1 })),
        'appending to session "down"',
      );
      expectUnavailable(await rejection(viaProxy.read(key)), 'reading session "down"');
      expectUnavailable(await rejection(viaProxy.list(scope)), 'listing sessions of agent "assistant"');
      expectUnavailable(
        await rejection(
          memoryViaProxy.add(scope, { day: "2026-11-22", section: "Facts Stored", text: "during" }),
        ),
        'adding a note to memory document "2026-11-22"',
      );
      expect(Date.now() - started).toBeLessThan(10_000);

      await proxy.start();
      await viaProxy.append(key, [textEvent("after")], { expectedSeq: 1 });
      expect(
        (await viaProxy.read(key)).map((event) => (event.type === "text-delta" ? event.text : "")),
      ).toEqual(["before", "after"]);
      await memoryViaProxy.add(scope, { day: "2026-11-22", section: "Facts Stored", text: "after" });
      expect(await memoryViaProxy.read(scope, "2026-11-22")).toContain("- after\n");
    });
  },
);
