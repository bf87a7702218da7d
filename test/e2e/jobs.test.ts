import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { jsonOf, runPluto, type ServeProcess, startServe, tempProject } from "../support/pluto-process.js";
import { postgresUrlOrSkip, uniqueName } from "../support/services.js";

const url = await postgresUrlOrSkip();

describe.skipIf(url === undefined)("jobs through the built pluto serve (PostgreSQL)", () => {
  const schema = uniqueName("pluto_jobs_e2e");
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let server: ServeProcess | undefined;

  beforeAll(async () => {
    fake = await startFakeModel();
    project = await tempProject();
    const env = { OPENAI_API_KEY: "sk-test-jobs", OPENAI_BASE_URL: `${fake.url}/v1` };
    await writeFile(
      join(project.dir, "pluto.yaml"),
      [
        "services:",
        `  session: { backend: postgres, url: "${url}", schema: ${schema} }`,
        "jobs: { concurrency: 2, poll_interval_ms: 100 }",
        "",
      ].join("\n"),
    );
    expect((await runPluto(["init", "butler"], { cwd: project.dir, env })).code).toBe(0);
    server = await startServe({ cwd: project.dir, env });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
    await fake?.close();
    await project?.cleanup();
  });

  const call = async (method: string, path: string, body?: unknown) =>
    fetch(`${server?.url}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    });
  const statusOf = async (id: string) => (await jsonOf(await call("GET", `/api/v1/jobs/${id}`))).status;
  /** Polls the job until `status` (15 s bound for a loaded machine); returns what it saw last. */
  const waitFor = async (id: string, status: string) => {
    const deadline = Date.now() + 15_000;
    let job = await jsonOf(await call("GET", `/api/v1/jobs/${id}`));
    while (job.status !== status && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      job = await jsonOf(await call("GET", `/api/v1/jobs/${id}`));
    }
    return job;
  };

  it("requires_approval: needs_approval → queued → running → completed after /approve", async () => {
    fake.enqueue({ text: "Inbox sorted." });
    const created = await call("POST", "/api/v1/jobs", {
      agent: "butler",
      input: "Sort my inbox",
      requires_approval: true,
    });
    expect(created.status).toBe(201);
    const job = await jsonOf(created);
    expect(job.status).toBe("needs_approval");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await statusOf(job.id)).toBe("needs_approval");

    expect((await jsonOf(await call("POST", `/api/v1/jobs/${job.id}/approve`))).status).toBe("queued");
    const done = await waitFor(job.id, "completed");
    expect(done).toMatchObject({ status: "completed", output: "Inbox sorted.", attempts: 1 });
    const events = await jsonOf(await call("GET", `/api/v1/jobs/${job.id}/events`));
    expect(events.events.at(-1)).toMatchObject({ type: "run-end", status: "completed" });
  });

  it("pause holds new jobs in queued, resume releases them; abort stops a running job", async () => {
    expect((await call("POST", "/api/v1/admin/pause")).status).toBe(200);
    fake.enqueue({ text: "After the pause." });
    const held = await jsonOf(await call("POST", "/api/v1/jobs", { agent: "butler", input: "Hold me" }));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await statusOf(held.id)).toBe("queued");
    expect(await jsonOf(await call("GET", "/api/v1/admin/state"))).toMatchObject({ paused: true, queued: 1 });
    expect((await call("POST", "/api/v1/admin/resume")).status).toBe(200);
    expect((await waitFor(held.id, "completed")).output).toBe("After the pause.");

    fake.enqueue({ text: "too slow", delayMs: 20_000 });
    const slow = await jsonOf(await call("POST", "/api/v1/jobs", { agent: "butler", input: "Take forever" }));
    await waitFor(slow.id, "running");
    const abort = await call("POST", `/api/v1/jobs/${slow.id}/abort`);
    expect(abort.status).toBe(200);
    expect((await waitFor(slow.id, "aborted")).status).toBe("aborted");
  });
});
