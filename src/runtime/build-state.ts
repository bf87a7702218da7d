import { randomUUID } from "node:crypto";
import type {
  ArtifactServiceConfig,
  KeyServiceConfig,
  PlutoConfig,
  TaskServiceConfig,
} from "../config/pluto-config.js";
import { FsJobStore } from "../jobs/fs-job-store.js";
import { InMemoryJobStore } from "../jobs/in-memory-job-store.js";
import type { JobStore } from "../jobs/job-store.js";
import { EventBus } from "../runs/event-bus.js";
import type { AgentStore } from "../services/agents/agent-store.js";
import type { ArtifactStore } from "../services/artifact/artifact-store.js";
import { FsArtifactStore } from "../services/artifact/fs-artifact-store.js";
import { InMemoryArtifactStore } from "../services/artifact/in-memory-artifact-store.js";
import type { ApiKeyStore } from "../services/auth/api-key-store.js";
import { FsApiKeyStore } from "../services/auth/fs-api-key-store.js";
import { InMemoryApiKeyStore } from "../services/auth/in-memory-api-key-store.js";
import type { EventFanout, SessionLeases } from "../services/coordination/coordination.js";
import { FsMemoryStore } from "../services/memory/fs-memory-store.js";
import { InMemoryMemoryStore } from "../services/memory/in-memory-memory-store.js";
import type { MemoryStore } from "../services/memory/memory-store.js";
import type { PostgresPools } from "../services/postgres/postgres-pools.js";
import { FsSessionStore } from "../services/session/fs-session-store.js";
import { InMemorySessionStore } from "../services/session/in-memory-session-store.js";
import type { SessionStore } from "../services/session/session-store.js";
import { FsTaskStore } from "../services/task/fs-task-store.js";
import { InMemoryTaskStore } from "../services/task/in-memory-task-store.js";
import type { TaskStore } from "../services/task/task-store.js";
import type { RuntimeLog } from "./runtime-log.js";

/** The state services of one process, built from `pluto.yaml`'s `services` section. */
export interface State {
  sessions: SessionStore;
  memory: MemoryStore;
  artifacts: ArtifactStore;
  tasks: TaskStore;
  apiKeys: ApiKeyStore;
  /** Durable jobs (`services.jobs`). */
  jobs: JobStore;
  bus: EventFanout;
  leases?: SessionLeases;
  leaseTtlMs?: number;
  /** Bound on one session-log call of a run, in ms (`services.timeout_seconds`), for the run manager. */
  storeTimeoutMs: number;
  /** Agent definitions in PostgreSQL (`services.agents.backend: postgres`); absent: the agents folders. */
  agentStore?: AgentStore;
  /** Closes stores, then the shared pools and connections. */
  close(): Promise<void>;
}

/**
 * Builds every state service the config names (part of the composition root). Client libraries for
 * PostgreSQL, Redis and S3 are imported only when a service uses them, so simple mode starts fast.
 * PostgreSQL migrations run here (safe with many workers starting at once: an advisory lock).
 * Protocol tasks and API keys live where `services.tasks` and `services.keys` say (by default beside
 * the sessions: in PostgreSQL or memory when sessions are, else in files).
 * @throws PlutoError `BACKEND_UNAVAILABLE` when a configured server cannot be reached at start-up.
 */
export async function buildState(config: PlutoConfig, log: RuntimeLog): Promise<State> {
  const closers: (() => Promise<void>)[] = [];
  const {
    session,
    memory,
    artifacts,
    coordination,
    agents,
    tasks: taskService,
    keys,
    jobs,
  } = config.services;
  const timeoutMs = config.services.timeoutMs;

  const postgres = await (async () => {
    const urls = [session, memory, agents, taskService, keys, jobs].filter(
      (service) => service.backend === "postgres",
    );
    if (urls.length === 0) return undefined;
    const { PostgresPools } = await import("../services/postgres/postgres-pools.js");
    const { migratePostgres } = await import("../services/postgres/migrate-postgres.js");
    const pools = new PostgresPools({
      max: Math.max(...urls.map((service) => service.poolMax)),
      // The server cancels a statement at the bound; the client gives up shortly after when it is silent.
      statementTimeoutMs: timeoutMs,
      queryTimeoutMs: timeoutMs + 2000,
      connectionTimeoutMs: Math.min(5000, timeoutMs),
      log,
    });
    closers.push(() => pools.close());
    const migrated = new Set<string>();
    for (const service of urls) {
      const id = `${service.url} ${service.schema}`;
      if (migrated.has(id)) continue;
      migrated.add(id);
      const applied = await migratePostgres({ pool: pools.get(service.url), schema: service.schema, log });
      if (applied.length > 0)
        log("info", `PostgreSQL schema "${service.schema}": applied ${applied.join(", ")}`);
    }
    return pools;
  })();

  const redis = await (async () => {
    const urls = [
      session.backend === "redis" ? session.url : undefined,
      coordination.backend === "redis" ? coordination.url : undefined,
    ].filter((url): url is string => url !== undefined);
    if (urls.length === 0) return undefined;
    const module = await import("../services/redis/redis-client.js");
    const connections = new module.RedisConnections();
    closers.push(() => connections.close());
    for (const url of new Set(urls)) await module.waitForRedis(connections.client(url));
    return connections;
  })();

  let sessions: SessionStore;
  switch (session.backend) {
    case "memory":
      sessions = new InMemorySessionStore();
      break;
    case "filesystem":
      sessions = new FsSessionStore({ dataDir: config.dataDir, fsync: session.fsync });
      break;
    case "postgres": {
      const { PostgresSessionStore } = await import("../services/postgres/postgres-session-store.js");
      sessions = new PostgresSessionStore({ pool: postgres!.get(session.url), schema: session.schema });
      break;
    }
    case "redis": {
      const { RedisSessionStore } = await import("../services/redis/redis-session-store.js");
      sessions = new RedisSessionStore({ redis: redis!.client(session.url), prefix: session.prefix });
      break;
    }
  }

  let memoryStore: MemoryStore;
  switch (memory.backend) {
    case "memory":
      memoryStore = new InMemoryMemoryStore();
      break;
    case "filesystem":
      memoryStore = new FsMemoryStore({ dataDir: config.dataDir });
      break;
    case "postgres": {
      const { PostgresMemoryStore } = await import("../services/postgres/postgres-memory-store.js");
      memoryStore = new PostgresMemoryStore({ pool: postgres!.get(memory.url), schema: memory.schema });
      break;
    }
  }

  const artifactStore = await buildArtifactStore(artifacts, config.dataDir);
  const tasks = await buildTaskStore(taskService, config.dataDir, postgres);
  const apiKeys = await buildApiKeyStore(keys, config.dataDir, postgres);

  let agentStore: AgentStore | undefined;
  if (agents.backend === "postgres") {
    const { PostgresAgentStore } = await import("../services/postgres/postgres-agent-store.js");
    agentStore = new PostgresAgentStore({ pool: postgres!.get(agents.url), schema: agents.schema });
  }

  let jobStore: JobStore;
  if (jobs.backend === "postgres") {
    const { PostgresJobStore } = await import("../jobs/postgres-job-store.js");
    jobStore = new PostgresJobStore({ pool: postgres!.get(jobs.url), schema: jobs.schema });
  } else {
    jobStore =
      jobs.backend === "memory" ? new InMemoryJobStore() : new FsJobStore({ dataDir: config.dataDir });
  }

  let bus: EventFanout = new EventBus();
  let leases: SessionLeases | undefined;
  let leaseTtlMs: number | undefined;
  if (coordination.backend === "redis") {
    const { RedisEventFanout } = await import("../services/redis/redis-event-fanout.js");
    const { RedisSessionLeases } = await import("../services/redis/redis-session-leases.js");
    const workerId = randomUUID();
    const onError = (error: unknown) =>
      log("warn", `Redis coordination: ${String((error as Error)?.message ?? error)}`);
    bus = new RedisEventFanout({
      publisher: redis!.client(coordination.url),
      subscriber: redis!.subscriber(coordination.url),
      prefix: coordination.prefix,
      workerId,
      onError,
    });
    leases = new RedisSessionLeases({
      redis: redis!.client(coordination.url),
      prefix: coordination.prefix,
      ownerId: workerId,
      onError,
    });
    leaseTtlMs = coordination.leaseTtlMs;
  }

  const state: State = {
    sessions,
    memory: memoryStore,
    artifacts: artifactStore,
    tasks,
    apiKeys,
    jobs: jobStore,
    bus,
    storeTimeoutMs: timeoutMs,
    async close() {
      await leases?.close?.();
      await bus.close?.();
      await Promise.all([
        sessions.close?.(),
        memoryStore.close?.(),
        artifactStore.close?.(),
        tasks.close?.(),
        agentStore?.close?.(),
        jobStore.close?.(),
      ]);
      for (const close of closers.reverse()) await close();
    },
  };
  if (leases !== undefined) state.leases = leases;
  if (leaseTtlMs !== undefined) state.leaseTtlMs = leaseTtlMs;
  if (agentStore !== undefined) state.agentStore = agentStore;
  return state;
}

async function buildArtifactStore(service: ArtifactServiceConfig, dataDir: string): Promise<ArtifactStore> {
  switch (service.backend) {
    case "memory":
      return new InMemoryArtifactStore();
    case "filesystem":
      return new FsArtifactStore({ dataDir });
    case "s3": {
      const { createS3ArtifactStore } = await import("./build-s3.js");
      return createS3ArtifactStore(service);
    }
  }
}

async function buildTaskStore(
  service: TaskServiceConfig,
  dataDir: string,
  postgres: PostgresPools | undefined,
): Promise<TaskStore> {
  switch (service.backend) {
    case "memory":
      return new InMemoryTaskStore();
    case "filesystem":
      return new FsTaskStore({ dataDir });
    case "postgres": {
      const { PostgresTaskStore } = await import("../services/postgres/postgres-task-store.js");
      return new PostgresTaskStore({ pool: postgres!.get(service.url), schema: service.schema });
    }
  }
}

async function buildApiKeyStore(
  service: KeyServiceConfig,
  dataDir: string,
  postgres: PostgresPools | undefined,
): Promise<ApiKeyStore> {
  const maxLoginLinksPerTenant = service.maxLoginLinksPerTenant;
  switch (service.backend) {
    case "memory":
      return new InMemoryApiKeyStore({ maxLoginLinksPerTenant });
    case "filesystem":
      return new FsApiKeyStore({ dataDir, maxLoginLinksPerTenant });
    case "postgres": {
      const { PostgresApiKeyStore } = await import("../services/postgres/postgres-api-key-store.js");
      const pool = postgres!.get(service.url);
      return new PostgresApiKeyStore({ pool, schema: service.schema, maxLoginLinksPerTenant });
    }
  }
}
