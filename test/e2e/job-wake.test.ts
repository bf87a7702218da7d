import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { jsonOf, runPluto, type ServeProcess, startServe, tempProject } from "../support/pluto-process.js";

/** Longest poll interval pluto.yaml allows: an idle worker that only polled would wait this long. */
const POLL_MS = 60_000;
/** Far below POLL_MS, generous for a loaded machine. */
const PICKUP_BOUND_MS = 15_000;

/**
 * A job queued through `pluto serve` wakes the server's idle workers (WakingJobStore): it runs at once,
 * not after `jobs.poll_interval_ms` (bench/jobs.js found the poll interval dominating pickup latency).
 */
describe("pluto serve wakes its idle job workers when a job is queued", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let server: ServeProcess;

  const post = async (path: string, body?: unknown) =>
    jsonOf(
      await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  /** Polls the job until it is completed; returns how long that took, in ms. */
  const completedWithin = async (id: string, since: number): Promise<number> => {
    const deadline = since + PICKUP_BOUND_MS;
    while (Date.now() < deadline) {
      const job = await jsonOf(await fetch(`${server.url}/api/v1/jobs/${id}`));
      if (job.status === "completed") return Date.now() - since;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`job ${id} not completed within ${PICKUP_BOUND_MS} ms`);
  };

  beforeAll(async () => {
    fake = await startFakeModel({ defaultTurn: { text: "done" }, recordRequests: false });
    project = await tempProject();
    const env = { OPENAI_API_KEY: "sk-test-wake", OPENAI_BASE_URL: `${fake.url}/v1` };
    expect((await runPluto(["init", "butler"], { cwd: project.dir, env })).code).toBe(0);
    await writeFile(
      join(project.dir, ".pluto", "pluto.yaml"),
      `jobs: { concurrency: 1, poll_interval_ms: ${POLL_MS} }\n`,
    );
    server = await startServe({ cwd: project.dir, env });
    // Let the worker's first claim find nothing, so it sits in its long wait.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await fake?.close();
    await project?.cleanup();
  });

  it("runs a job created over HTTP at once", async () => {
    const since = Date.now();
    const job = await post("/api/v1/jobs", { agent: "butler", input: "now" });
    expect(job.status).toBe("queued");
    expect(await completedWithin(job.id, since)).toBeLessThan(PICKUP_BOUND_MS);
    expect((await jsonOf(await fetch(`${server.url}/api/v1/jobs/${job.id}`))).output).toBe("done");
  });

  it("runs an approved job at once", async () => {
    const job = await post("/api/v1/jobs", { agent: "butler", input: "later", requires_approval: true });
    expect(job.status).toBe("needs_approval");
    // The worker went back to its long wait after the first test's job.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const since = Date.now();
    expect((await post(`/api/v1/jobs/${job.id}/approve`)).status).toBe("queued");
    expect(await completedWithin(job.id, since)).toBeLessThan(PICKUP_BOUND_MS);
  });

  it("runs a job held by the panic switch at once on resume", async () => {
    expect((await post("/api/v1/admin/pause")).paused).toBe(true);
    const job = await post("/api/v1/jobs", { agent: "butler", input: "held" });
    // The creation woke the worker; its claim found the tenant paused, so it waits its full interval.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await jsonOf(await fetch(`${server.url}/api/v1/jobs/${job.id}`))).status).toBe("queued");
    const since = Date.now();
    expect((await post("/api/v1/admin/resume")).paused).toBe(false);
    expect(await completedWithin(job.id, since)).toBeLessThan(PICKUP_BOUND_MS);
  });
});
