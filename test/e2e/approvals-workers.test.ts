import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { writeMemoryApprovalAgent } from "../support/memory-approval-project.js";
import { jsonOf, type ServeProcess, startServe, tempProject } from "../support/pluto-process.js";
import { postgresUrlOrSkip, redisUrlOrSkip, uniqueName } from "../support/services.js";

/**
 * A decision posted to two workers at once (sessions in PostgreSQL, leases in Redis): the session's
 * lease and the log read under it let exactly one through; the approved MCP call runs once.
 */
describe("approvals across two pluto serve workers", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let workers: ServeProcess[] = [];
  let storedEntities: (name: string) => Promise<number>;
  const schema = uniqueName("pluto_approvals");
  const prefix = uniqueName("pluto_approvals");
  let postgresUrl: string | undefined;
  let redisUrl: string | undefined;

  beforeAll(async () => {
    postgresUrl = await postgresUrlOrSkip();
    redisUrl = await redisUrlOrSkip();
    if (postgresUrl === undefined || redisUrl === undefined) return;
    fake = await startFakeModel();
    project = await tempProject();
    const env = { OPENAI_API_KEY: "sk-test-approvals-workers", OPENAI_BASE_URL: `${fake.url}/v1` };
    await writeFile(
      join(project.dir, "pluto.yaml"),
      [
        "services:",
        `  session: { backend: postgres, url: "${postgresUrl}", schema: ${schema} }`,
        `  coordination: { backend: redis, url: "${redisUrl}", prefix: ${prefix}, lease_ttl_ms: 5000 }`,
        "",
      ].join("\n"),
    );
    storedEntities = (await writeMemoryApprovalAgent(project.dir)).stored;
    workers = await Promise.all([
      startServe({ cwd: project.dir, env }),
      startServe({ cwd: project.dir, env }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    if (postgresUrl !== undefined) {
      const pg = (await import("pg")).default;
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
    if (redisUrl !== undefined) {
      const { Redis } = await import("ioredis");
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
    await fake?.close();
    await project?.cleanup();
  });

  const post = (worker: ServeProcess, path: string, body: unknown) =>
    fetch(`${worker.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  it("pauses on worker A, lists on worker B, and takes one of two decisions sent to both", async () => {
    const [workerA, workerB] = workers;
    if (workerA === undefined || workerB === undefined) return;
    fake.enqueue({
      toolCalls: [
        {
          id: "call_w1",
          name: "memory__create_entities",
          input: { entities: [{ name: "Wendy", entityType: "person", observations: ["two workers"] }] },
        },
      ],
    });
    const paused = await jsonOf(
      await post(workerA, "/api/v1/agents/butler/runs", { input: "remember Wendy", session_id: "s-workers" }),
    );
    expect(paused).toMatchObject({ status: "awaiting-approval" });
    const listed = await jsonOf(await fetch(`${workerB.url}/api/v1/sessions/s-workers/approvals`));
    expect(listed.approvals.map((approval: { tool_call_id: string }) => approval.tool_call_id)).toEqual([
      "call_w1",
    ]);

    fake.enqueue({ text: "Saved Wendy." }, { text: "a second continuation would read this" });
    const answers = await Promise.all(
      [workerA, workerB].map((worker) =>
        post(worker, "/api/v1/sessions/s-workers/approvals/call_w1", { decision: "approve" }),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    const accepted = await jsonOf(answers.find((answer) => answer.status === 200)!);
    expect(accepted).toMatchObject({ status: "completed", output: "Saved Wendy." });
    expect(await storedEntities("Wendy")).toBe(1);
    fake.clear();
  });
});
