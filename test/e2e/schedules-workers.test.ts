import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job } from "../../src/jobs/job.js";
import { PostgresJobStore } from "../../src/jobs/postgres-job-store.js";
import { scheduleKeyPrefix } from "../../src/jobs/scheduler.js";
import { PostgresSessionStore } from "../../src/services/postgres/postgres-session-store.js";
import { type FakeModel, lastUserText, startFakeModel } from "../support/fake-model/fake-model.js";
import { runPluto, startWorker, tempProject, type WorkerProcess } from "../support/pluto-process.js";
import { postgresUrlOrSkip, uniqueName } from "../support/services.js";

const url = await postgresUrlOrSkip();

function agentYaml(schedules: string[]): string {
  return [
    "apiVersion: pluto/v1",
    "kind: Agent",
    "metadata:",
    "  name: butler",
    "spec:",
    "  model: openai/gpt-5-mini",
    "  schedules:",
    ...schedules,
    "",
  ].join("\n");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(url === undefined)("schedules across three pluto worker processes on PostgreSQL", () => {
  const schema = uniqueName("pluto_schedules");
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let pool: pg.Pool;
  let env: Record<string, string>;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    fake = await startFakeModel({
      defaultTurn: (request) => ({ text: `done: ${lastUserText(request.body) ?? ""}` }),
      recordRequests: false,
    });
    project = await tempProject();
    env = { OPENAI_API_KEY: "sk-test-schedules", OPENAI_BASE_URL: `${fake.url}/v1` };
    await writeFile(
      join(project.dir, "pluto.yaml"),
      [
        "services:",
        `  session: { backend: postgres, url: "${url}", schema: ${schema} }`,
        `  memory: { backend: postgres, url: "${url}", schema: ${schema} }`,
        "jobs: { concurrency: 2, poll_interval_ms: 100, lease_ms: 5000 }",
        "",
      ].join("\n"),
    );
    expect((await runPluto(["init", "butler"], { cwd: project.dir, env })).code).toBe(0);
    expect((await runPluto(["migrate"], { cwd: project.dir, env })).code).toBe(0);
    pool = new pg.Pool({ connectionString: url, max: 4 });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.kill()));
    await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool?.end();
    await fake?.close();
    await project?.cleanup();
  });

  it("every: 2s for ~20 s: each fire time runs exactly once; an edit of agent.yaml applies without a restart", async () => {
    const agentFile = join(project.dir, ".pluto", "agents", "butler", "agent.yaml");
    await writeFile(agentFile, agentYaml(["    - name: tick", "      every: 2s", "      input: tick"]));
    for (let index = 0; index < 3; index++) workers.push(await startWorker({ cwd: project.dir, env }));
    const started = Date.now();
    await sleep(10_000);
    // Add a second schedule while the workers run.
    const edited = Date.now();
    await writeFile(
      agentFile,
      agentYaml([
        "    - name: tick",
        "      every: 2s",
        "      input: tick",
        "    - name: tock",
        "      every: 3s",
        "      input: tock",
      ]),
    );
    await sleep(10_000);
    const stopped = Date.now();
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));

    const store = new PostgresJobStore({ pool, schema });
    const jobs: Job[] = [];
    for (let cursor: string | undefined, first = true; first || cursor !== undefined; first = false) {
      const page = await store.list("default", { limit: 200, ...(cursor === undefined ? {} : { cursor }) });
      jobs.push(...page.jobs);
      cursor = page.nextCursor;
    }
    const firesOf = (name: string) =>
      jobs
        .filter((job) => job.idempotencyKey?.startsWith(scheduleKeyPrefix("butler", name)))
        .map((job) => Date.parse(job.idempotencyKey?.slice(scheduleKeyPrefix("butler", name).length) ?? ""))
        .sort((a, b) => a - b);

    const ticks = firesOf("tick");
    // One job per fire time, and every 2 s between the first and the last fire has its job.
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(ticks.length).toBeGreaterThanOrEqual(7);
    const first = ticks[0] ?? 0;
    expect(ticks).toEqual(ticks.map((_, index) => first + index * 2000));
    expect(first).toBeLessThan(started + 6000);
    expect(ticks.at(-1)).toBeGreaterThan(stopped - 6000);

    const tocks = firesOf("tock");
    expect(new Set(tocks).size).toBe(tocks.length);
    expect(tocks.length).toBeGreaterThanOrEqual(2);
    expect(tocks.every((fire) => fire % 3000 === 0 && fire > edited - 3000)).toBe(true);

    // Each fire ran once: its job completed with one run that started once.
    const sessions = new PostgresSessionStore({ pool, schema });
    const scheduled = jobs.filter((job) => job.idempotencyKey?.startsWith("schedule:"));
    // Jobs created just before the stop may not have run yet: they stay queued, never run twice.
    for (const job of scheduled) {
      if (job.status === "queued") continue;
      expect(job.status, `${job.id} ${job.idempotencyKey}`).toBe("completed");
      expect(job.output).toBe(`done: ${job.input}`);
      const events = await sessions.read({ tenant: "default", agent: "butler", session: job.id });
      expect(events.filter((event) => event.type === "run-start")).toHaveLength(1);
    }
    expect(scheduled.filter((job) => job.status === "completed").length).toBeGreaterThanOrEqual(
      ticks.length + tocks.length - 3,
    );
  }, 90_000);
});
