import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isTerminalJobStatus, type Job } from "../../src/jobs/job.js";
import { PostgresJobStore } from "../../src/jobs/postgres-job-store.js";
import { PostgresSessionStore } from "../../src/services/postgres/postgres-session-store.js";
import { type FakeModel, lastUserText, startFakeModel } from "../support/fake-model/fake-model.js";
import { runPluto, startWorker, tempProject, type WorkerProcess } from "../support/pluto-process.js";
import { postgresUrlOrSkip, uniqueName } from "../support/services.js";

const url = await postgresUrlOrSkip();
const JOBS = 200;

describe.skipIf(url === undefined)(
  "three pluto worker processes on PostgreSQL, kill -9 during the run",
  () => {
    const schema = uniqueName("pluto_job_crash");
    let fake: FakeModel;
    let project: Awaited<ReturnType<typeof tempProject>>;
    let pool: pg.Pool;
    let env: Record<string, string>;
    const workers: (WorkerProcess | undefined)[] = [];

    beforeAll(async () => {
      // Each model answer takes a while, so kills land mid-run (and between a run's end and its job's finish).
      fake = await startFakeModel({
        defaultTurn: (request) => ({ text: `done: ${lastUserText(request.body) ?? ""}`, delayMs: 600 }),
        recordRequests: false,
      });
      project = await tempProject();
      env = { OPENAI_API_KEY: "sk-test-jobs", OPENAI_BASE_URL: `${fake.url}/v1` };
      await writeFile(
        join(project.dir, "pluto.yaml"),
        [
          "services:",
          `  session: { backend: postgres, url: "${url}", schema: ${schema} }`,
          `  memory: { backend: postgres, url: "${url}", schema: ${schema} }`,
          "jobs: { concurrency: 4, poll_interval_ms: 100, lease_ms: 2000 }",
          "",
        ].join("\n"),
      );
      expect((await runPluto(["init", "butler"], { cwd: project.dir, env })).code).toBe(0);
      expect((await runPluto(["migrate"], { cwd: project.dir, env })).code).toBe(0);
      pool = new pg.Pool({ connectionString: url, max: 4 });
    }, 60_000);

    afterAll(async () => {
      await Promise.all(workers.map((worker) => worker?.kill()));
      await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool?.end();
      await fake?.close();
      await project?.cleanup();
    });

    it("every one of 200 jobs ends exactly once, none lost, none run twice to completion", async () => {
      const store = new PostgresJobStore({ pool, schema });
      const ids: string[] = [];
      for (let index = 0; index < JOBS; index++) {
        const { job } = await store.create("default", {
          agent: "butler",
          input: `job ${index}`,
          maxAttempts: 20,
        });
        ids.push(job.id);
      }
      for (let index = 0; index < 3; index++) workers[index] = await startWorker({ cwd: project.dir, env });

      const jobsNow = async () => (await Promise.all(ids.map((id) => store.get("default", id)))) as Job[];
      const deadline = Date.now() + 80_000;
      let kills = 0;
      // Kill a random worker every ~1 s (and start a fresh one) until the jobs are nearly done.
      while (Date.now() < deadline) {
        const jobs = await jobsNow();
        const open = jobs.filter((job) => !isTerminalJobStatus(job.status)).length;
        if (open === 0) break;
        // At least 12 s of model time remain for the first kills (200 jobs x 0.6 s / 12 slots), so the
        // kills land however fast the machine is; the last ones may hit an almost drained queue.
        if (kills < 5) {
          await new Promise((resolve) => setTimeout(resolve, 800));
          const victim = Math.floor(Math.random() * 3);
          await workers[victim]?.kill();
          kills += 1;
          workers[victim] = await startWorker({ cwd: project.dir, env });
        } else {
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
      }
      expect(kills).toBeGreaterThanOrEqual(3);

      const jobs = await jobsNow();
      expect(
        jobs.filter((job) => job.status !== "completed").map((job) => `${job.id} ${job.status}`),
      ).toEqual([]);
      // Some jobs were cut off and retried: the kills did land mid-job.
      expect(jobs.some((job) => job.attempts > 1)).toBe(true);
      const sessions = new PostgresSessionStore({ pool, schema });
      for (const job of jobs) {
        const events = await sessions.read({ tenant: "default", agent: "butler", session: job.id });
        const completed = events.filter((event) => event.type === "run-end" && event.status === "completed");
        expect(completed, job.id).toHaveLength(1);
        expect(job.output).toBe(`done: ${job.input}`);
        // Every run of the job has ended (cut-off ones as RUN_INTERRUPTED), and no run started twice per attempt.
        const starts = events.filter((event) => event.type === "run-start").map((event) => event.runId);
        expect(new Set(starts).size, job.id).toBe(starts.length);
        expect(starts.length).toBeLessThanOrEqual(job.attempts);
      }
    }, 120_000);

    it("pause holds new jobs on all three workers; resume releases them", async () => {
      const store = new PostgresJobStore({ pool, schema });
      await store.setPaused("default", true);
      const ids: string[] = [];
      for (let index = 0; index < 6; index++) {
        ids.push((await store.create("default", { agent: "butler", input: `paused ${index}` })).job.id);
      }
      // Three workers poll every 100 ms: over 1.5 s none of them may take a job.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const held = await Promise.all(ids.map((id) => store.get("default", id)));
      expect(held.map((job) => job?.status)).toEqual(ids.map(() => "queued"));
      await store.setPaused("default", false);
      const deadline = Date.now() + 20_000;
      let jobs = held;
      while (jobs.some((job) => job?.status !== "completed") && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        jobs = await Promise.all(ids.map((id) => store.get("default", id)));
      }
      expect(jobs.map((job) => job?.output)).toEqual(ids.map((_, index) => `done: paused ${index}`));
    }, 60_000);
  },
);
