import { PlutoError } from "../../../src/core/errors.js";
import { InMemoryJobStore } from "../../../src/jobs/in-memory-job-store.js";
import { JobWorkerPool, type JobWorkerPoolOptions } from "../../../src/jobs/job-worker-pool.js";
import { EventBus } from "../../../src/runs/event-bus.js";
import { RunManager } from "../../../src/runs/run-manager.js";
import { createApp } from "../../../src/server/app.js";
import { InMemoryArtifactStore } from "../../../src/services/artifact/in-memory-artifact-store.js";
import { createApiKey } from "../../../src/services/auth/api-keys.js";
import { InMemoryApiKeyStore } from "../../../src/services/auth/in-memory-api-key-store.js";
import { InMemoryMemoryStore } from "../../../src/services/memory/in-memory-memory-store.js";
import { InMemorySessionStore } from "../../../src/services/session/in-memory-session-store.js";
import type { SessionStore } from "../../../src/services/session/session-store.js";
import { agentFixture } from "../../support/agent-fixture.js";
import { type ScriptedStepSpec, scriptedStream } from "../../support/scripted-step.js";

/** Agents every tenant of the harness has. */
export const HARNESS_AGENTS = ["helper", "other"];

/**
 * The HTTP API with the job routes over real in-memory stores (jobs, sessions, keys), a real
 * `RunManager` whose model is a scripted stream, and a real `JobWorkerPool` (not started; call
 * `workers.start()`). Keys: `acmeAdmin`, `acmeMember`, `betaAdmin`.
 */
export async function createJobHarness(
  options: {
    steps?: ScriptedStepSpec[];
    pool?: Partial<JobWorkerPoolOptions>;
    /** @default a new InMemorySessionStore */
    sessions?: SessionStore;
  } = {},
) {
  const agents = {
    async get(name: string) {
      if (!HARNESS_AGENTS.includes(name)) {
        throw new PlutoError("AGENT_NOT_FOUND", `No agent ${JSON.stringify(name)}.`);
      }
      return agentFixture({ name, memory: { enabled: false } });
    },
    async list() {
      return HARNESS_AGENTS.map((name) => ({ name, description: name, valid: true }));
    },
  };
  const model = scriptedStream(options.steps ?? []);
  const sessions = options.sessions ?? new InMemorySessionStore();
  /** A run manager with its own event bus over the shared stores: another process, as far as events go. */
  const runManager = () =>
    new RunManager({
      agents,
      sessions,
      memory: new InMemoryMemoryStore(),
      artifacts: new InMemoryArtifactStore(),
      bus: new EventBus(),
      streamStepFor: () => model.streamStep,
      toolsFor: async () => ({ tools: new Map(), specs: [] }),
    });
  const runs = runManager();
  const jobs = new InMemoryJobStore();
  const apiKeys = new InMemoryApiKeyStore();
  const key = async (tenant: string, role: "admin" | "member") =>
    (await createApiKey(apiKeys, { tenant, role, name: `${tenant}-${role}` })).token;
  const tokens = {
    acmeAdmin: await key("acme", "admin"),
    acmeMember: await key("acme", "member"),
    betaAdmin: await key("beta", "admin"),
  };
  const unexpected: unknown[] = [];
  const app = createApp({
    agents,
    runs,
    sessions,
    jobs,
    apiKeys,
    maxBodyBytes: 1024 * 1024,
    ready: () => true,
    onUnexpectedError: (error) => unexpected.push(error),
  });
  const pool = (poolRuns: RunManager) =>
    new JobWorkerPool({
      store: jobs,
      runs: poolRuns,
      concurrency: 2,
      pollIntervalMs: 20,
      leaseMs: 2000,
      heartbeatMs: 50,
      ...options.pool,
    });
  const workers = pool(runs);
  /** Workers whose runs publish to a bus of their own (a worker process without Redis fan-out). */
  const workersElsewhere = () => pool(runManager());
  /** Sends a request as `token`, with a JSON body when given. */
  const request = (token: string, method: string, path: string, body?: unknown, headers = {}) =>
    app.request(path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  return { app, jobs, runs, sessions, model, workers, workersElsewhere, tokens, request, unexpected };
}

/** Polls `read` every 20 ms until `done` holds, for at most `timeoutMs` (generous: a loaded machine). */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
