import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { isPlutoError } from "../../src/core/errors.js";
import type { RunEndEvent } from "../../src/core/events.js";
import type { StreamStep } from "../../src/llm/model-step.js";
import { RunManager } from "../../src/runs/run-manager.js";
import { buildState, type State } from "../../src/runtime/build-state.js";
import { PostgresSessionStore } from "../../src/services/postgres/postgres-session-store.js";
import { createTestSchema, type PostgresTestSchema } from "../services/postgres/postgres-fixture.js";
import { TcpProxy } from "../services/postgres/tcp-proxy.js";
import { agentFixture } from "../support/agent-fixture.js";
import { deferred, scriptedStream } from "../support/scripted-step.js";
import { postgresUrlOrSkip, redisUrlOrSkip, uniqueName } from "../support/services.js";
import { fakeCatalog } from "./run-harness.js";

const postgresUrl = await postgresUrlOrSkip();
const redisUrl = await redisUrlOrSkip();

/** services.timeout_seconds of the workers under test. */
const TIMEOUT_SECONDS = 1;
/** Generous bound for "fails within the timeout" on a loaded 2-core machine (timeout + query timeout + slack). */
const FAILS_WITHIN_MS = 15_000;

/**
 * A worker built exactly as `pluto serve` builds one (pluto.yaml → buildState → RunManager with the
 * state's leases and store bound), with a scripted model instead of a provider.
 */
async function worker(configFile: string, cwd: string, streamStep: StreamStep) {
  const config = await loadConfig({ cwd, env: {}, file: configFile });
  const state: State = await buildState(config, () => {});
  const runs = new RunManager({
    agents: fakeCatalog([agentFixture()]),
    sessions: state.sessions,
    memory: state.memory,
    artifacts: state.artifacts,
    bus: state.bus,
    ...(state.leases === undefined ? {} : { leases: state.leases }),
    ...(state.leaseTtlMs === undefined ? {} : { leaseTtlMs: state.leaseTtlMs }),
    storeTimeoutMs: state.storeTimeoutMs,
    streamStepFor: () => streamStep,
    toolsFor: async () => ({ tools: new Map(), specs: [] }),
  });
  return { config, state, runs };
}

describe.skipIf(postgresUrl === undefined || redisUrl === undefined)(
  "a PostgreSQL session store that goes silent mid-run (connections accepted, nothing forwarded)",
  () => {
    let fixture: PostgresTestSchema;
    let proxy: TcpProxy;
    let directory: string;
    const closers: (() => Promise<void>)[] = [];

    beforeAll(async () => {
      fixture = await createTestSchema(postgresUrl ?? "", "run_stall");
      const target = new URL(fixture.url);
      proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
      await proxy.start();
      directory = await mkdtemp(path.join(tmpdir(), "pluto-stall-"));
    });
    afterAll(async () => {
      for (const close of closers.reverse()) await close().catch(() => {});
      await proxy?.stop();
      await fixture?.dispose();
      if (directory !== undefined) await rm(directory, { recursive: true, force: true });
    });

    it("fails the run with BACKEND_UNAVAILABLE within services.timeout_seconds, frees the lease, and the session continues once it answers again", async () => {
      const proxied = new URL(fixture.url);
      proxied.hostname = "127.0.0.1";
      proxied.port = String(proxy.port);
      const prefix = uniqueName("pluto_stall");
      const yaml = (databaseUrl: string) =>
        [
          "services:",
          `  timeout_seconds: ${TIMEOUT_SECONDS}`,
          `  session: { backend: postgres, url: "${databaseUrl}", schema: ${fixture.schema} }`,
          `  coordination: { backend: redis, url: "${redisUrl}", prefix: ${prefix} }`,
          "  memory: { backend: memory }",
          "  artifacts: { backend: memory }",
          "",
        ].join("\n");
      await writeFile(path.join(directory, "stalled.yaml"), yaml(proxied.toString()));
      await writeFile(path.join(directory, "direct.yaml"), yaml(fixture.url));

      const gate = deferred<void>();
      const model = scriptedStream([
        { text: ["never ", "stored"], gate: gate.promise },
        { text: "after the stall" },
        { text: "on the second worker" },
      ]);
      const first = await worker(path.join(directory, "stalled.yaml"), directory, model.streamStep);
      closers.push(() => first.state.close());
      const handle = await first.runs.start({ agent: "test-agent", input: "hello", sessionId: "stalled" });
      const direct = new PostgresSessionStore({ pool: fixture.pool, schema: fixture.schema });
      for (let attempt = 0; attempt < 200 && (await direct.read(handle.key)).length < 2; attempt += 1) {
        await new Promise((done) => setTimeout(done, 10));
      }
      expect((await direct.read(handle.key)).map((event) => event.type)).toEqual(["run-start", "step-start"]);

      proxy.stall();
      const stalledAt = Date.now();
      gate.resolve();
      const failure = await handle.result.then(
        (end: RunEndEvent) => end,
        (error: unknown) => error,
      );
      const failedAfterMs = Date.now() - stalledAt;
      expect(isPlutoError(failure, "BACKEND_UNAVAILABLE")).toBe(true);
      expect((failure as Error).message).toContain("could not be written to the session log");
      expect(failedAfterMs).toBeLessThan(FAILS_WITHIN_MS);
      // The lane is free again at once, though the store is still silent.
      expect(first.runs.isBusy(handle.key)).toBe(false);

      // A second worker on a healthy connection gets the session's lease without waiting for a TTL: the
      // first worker released it when its run failed.
      const second = await worker(path.join(directory, "direct.yaml"), directory, model.streamStep);
      closers.push(() => second.state.close());
      proxy.resume();
      const next = await first.runs.start({ agent: "test-agent", input: "again", sessionId: "stalled" });
      expect(await next.result).toMatchObject({ status: "completed", output: "after the stall" });
      const elsewhere = await second.runs.start({
        agent: "test-agent",
        input: "and again",
        sessionId: "stalled",
      });
      expect(await elsewhere.result).toMatchObject({ status: "completed", output: "on the second worker" });

      const events = await direct.read(handle.key);
      expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
      expect(events.filter((event) => event.type === "run-end").map((event) => event.status)).toEqual([
        "failed",
        "completed",
        "completed",
      ]);
      expect(events.find((event) => event.type === "run-end")).toMatchObject({
        runId: handle.runId,
        error: { code: "RUN_INTERRUPTED" },
      });
    }, 60_000);
  },
);
