import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { runPluto, startWorker, tempProject, type WorkerProcess } from "../support/pluto-process.js";
import { postgresUrlOrSkip, uniqueName } from "../support/services.js";

const url = await postgresUrlOrSkip();

describe.skipIf(url === undefined)("pluto jobs, pause and resume beside a pluto worker (PostgreSQL)", () => {
  const schema = uniqueName("pluto_cli_jobs");
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let worker: WorkerProcess | undefined;
  let env: Record<string, string>;
  const pluto = (...args: string[]) => runPluto(args, { cwd: project.dir, env });

  beforeAll(async () => {
    fake = await startFakeModel();
    project = await tempProject();
    env = { OPENAI_API_KEY: "sk-test-cli-jobs", OPENAI_BASE_URL: `${fake.url}/v1` };
    await writeFile(
      join(project.dir, "pluto.yaml"),
      [
        "services:",
        `  session: { backend: postgres, url: "${url}", schema: ${schema} }`,
        "jobs: { poll_interval_ms: 100 }",
        "",
      ].join("\n"),
    );
    expect((await pluto("init", "butler")).code).toBe(0);
    expect((await pluto("migrate")).code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
    await fake?.close();
    await project?.cleanup();
  });

  it("create --approval, approve, pause holds it, resume runs it; bad ids and transitions fail clearly", async () => {
    const created = await pluto("jobs", "create", "butler", "Water the plants", "--approval");
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.trim();
    expect(id).toMatch(/^job_[0-9a-f]{32}$/);
    expect(created.stderr).toContain(`pluto jobs approve ${id}`);
    expect((await pluto("jobs", "list", "--status", "needs_approval")).stdout).toContain(
      `${id}\tneeds_approval\tbutler`,
    );

    expect((await pluto("pause")).stdout).toContain("paused");
    expect((await pluto("jobs", "approve", id)).stdout).toBe(`${id}\tqueued\n`);
    fake.enqueue({ text: "Plants watered." });
    worker = await startWorker({ cwd: project.dir, env });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(JSON.parse((await pluto("jobs", "show", id)).stdout).status).toBe("queued");

    expect((await pluto("resume")).code).toBe(0);
    const deadline = Date.now() + 20_000;
    let job = JSON.parse((await pluto("jobs", "show", id)).stdout);
    while (job.status !== "completed" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      job = JSON.parse((await pluto("jobs", "show", id)).stdout);
    }
    expect(job).toMatchObject({ status: "completed", output: "Plants watered.", attempts: 1 });

    const twice = await pluto("jobs", "abort", id);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain("JOB_CONFLICT");
    const forged = await pluto("jobs", "show", `job_${"f".repeat(32)}`);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain("JOB_NOT_FOUND");
    const badTime = await pluto("jobs", "create", "butler", "x", "--run-at", "next tuesday");
    expect(badTime.code).toBe(1);
    expect(badTime.stderr).toContain("RFC 3339");
    const badAgent = await pluto("jobs", "create", "nobody", "x");
    expect(badAgent.stderr).toContain("AGENT_NOT_FOUND");
    expect((await pluto("jobs", "list")).stdout.trim().split("\n")).toHaveLength(1);
    const noWorkers = await pluto("worker", "--concurrency", "0");
    expect(noWorkers.code).toBe(1);
    expect(noWorkers.stderr).toContain("--concurrency must be a whole number from 1 to 256");
    const badStatus = await pluto("jobs", "list", "--status", "done");
    expect(badStatus.code).toBe(1);
    expect(badStatus.stderr).toContain("--status must be one of");
  }, 90_000);
});
