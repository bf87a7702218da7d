import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, lastUserText, startFakeModel } from "../support/fake-model/fake-model.js";
import { jsonOf, runPluto, type ServeProcess, startServe, tempProject } from "../support/pluto-process.js";

/** `pluto serve` in simple mode (jobs in files) fires schedules too, not only `pluto worker`. */
describe("schedules in pluto serve (filesystem jobs)", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let server: ServeProcess | undefined;

  beforeAll(async () => {
    fake = await startFakeModel({
      defaultTurn: (request) => ({ text: `done: ${lastUserText(request.body) ?? ""}` }),
      recordRequests: false,
    });
    project = await tempProject();
    const env = { OPENAI_API_KEY: "sk-test-schedules", OPENAI_BASE_URL: `${fake.url}/v1` };
    await writeFile(join(project.dir, "pluto.yaml"), "jobs: { concurrency: 1, poll_interval_ms: 100 }\n");
    expect((await runPluto(["init", "butler"], { cwd: project.dir, env })).code).toBe(0);
    await writeFile(
      join(project.dir, ".pluto", "agents", "butler", "agent.yaml"),
      [
        "apiVersion: pluto/v1",
        "kind: Agent",
        "metadata:",
        "  name: butler",
        "spec:",
        "  model: openai/gpt-5-mini",
        "  schedules:",
        "    - name: beat",
        "      every: 1s",
        "      input: beat",
        "",
      ].join("\n"),
    );
    server = await startServe({ cwd: project.dir, env });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await fake?.close();
    await project?.cleanup();
  });

  it("each fire becomes a job that the server's workers complete", async () => {
    const deadline = Date.now() + 20_000;
    let jobs: { status: string; input: string; idempotency_key?: string; output?: string }[] = [];
    while (Date.now() < deadline) {
      const response = await fetch(`${server?.url}/api/v1/jobs?agent=butler&status=completed&limit=200`);
      jobs = (await jsonOf(response)).jobs;
      if (jobs.length >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(jobs.length).toBeGreaterThanOrEqual(3);
    for (const job of jobs) {
      expect(job.idempotency_key).toMatch(/^schedule:butler:beat:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
      expect(job.output).toBe("done: beat");
    }
    expect(server?.stderr()).not.toContain("Schedules");
  }, 30_000);
});
