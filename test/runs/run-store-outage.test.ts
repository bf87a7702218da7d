import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPlutoError } from "../../src/core/errors.js";
import { PostgresPools } from "../../src/services/postgres/postgres-pools.js";
import { PostgresSessionStore } from "../../src/services/postgres/postgres-session-store.js";
import { createTestSchema, type PostgresTestSchema } from "../services/postgres/postgres-fixture.js";
import { TcpProxy } from "../services/postgres/tcp-proxy.js";
import { deferred, scriptedStream } from "../support/scripted-step.js";
import { postgresUrlOrSkip } from "../support/services.js";
import { createRunHarness } from "./run-harness.js";

const url = await postgresUrlOrSkip();

describe.skipIf(url === undefined)("a run whose PostgreSQL session store goes away mid-run", () => {
  let fixture: PostgresTestSchema;
  let proxy: TcpProxy;
  let pools: PostgresPools;

  beforeAll(async () => {
    fixture = await createTestSchema(url ?? "", "run_outage");
    const target = new URL(fixture.url);
    proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await proxy.start();
    pools = new PostgresPools({ max: 2, connectionTimeoutMs: 1000, log: () => {} });
  });
  afterAll(async () => {
    await proxy?.stop();
    await pools?.close();
    await fixture?.dispose();
  });

  it("fails with BACKEND_UNAVAILABLE, leaves only whole batches, and the session goes on once it is back", async () => {
    const proxied = new URL(fixture.url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(proxy.port);
    const viaProxy = new PostgresSessionStore({
      pool: pools.get(proxied.toString()),
      schema: fixture.schema,
    });
    const direct = new PostgresSessionStore({ pool: fixture.pool, schema: fixture.schema });
    const gate = deferred<void>();
    const harness = createRunHarness({
      sessions: viaProxy,
      streamStep: scriptedStream([{ text: ["never ", "stored"], gate: gate.promise }]).streamStep,
    });
    const handle = await harness.runs.start({ agent: "test-agent", input: "hello", sessionId: "outage" });
    const key = handle.key;
    // run-start and step-start are durable before the model answers.
    for (let attempt = 0; attempt < 100 && (await direct.read(key)).length < 2; attempt += 1) {
      await new Promise((done) => setTimeout(done, 10));
    }
    expect((await direct.read(key)).map((event) => event.type)).toEqual(["run-start", "step-start"]);

    proxy.cutNow();
    await proxy.stop();
    gate.resolve();
    const failure = await handle.result.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isPlutoError(failure, "BACKEND_UNAVAILABLE")).toBe(true);
    expect((failure as Error).message).toContain("could not be written to the session log");
    expect((failure as Error).message).toContain("PostgreSQL");

    // Nothing half-written: the log is still exactly the two durable events.
    const afterCut = await direct.read(key);
    expect(afterCut.map((event) => event.seq)).toEqual([1, 2]);

    // Back online (a run manager on a healthy connection): the cut-off run is marked, the next one works.
    const healthy = createRunHarness({
      sessions: direct,
      streamStep: scriptedStream([{ text: "back" }]).streamStep,
    });
    const next = await healthy.runs.start({ agent: "test-agent", input: "again", sessionId: "outage" });
    expect(await next.result).toMatchObject({ status: "completed", output: "back" });
    const events = await direct.read(key);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(events[2]).toMatchObject({
      type: "run-end",
      status: "failed",
      error: { code: "RUN_INTERRUPTED" },
    });
  });
});
