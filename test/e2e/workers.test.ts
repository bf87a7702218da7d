import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import {
  jsonOf,
  parseSse,
  runPluto,
  type ServeProcess,
  startServe,
  tempProject,
} from "../support/pluto-process.js";
import { postgresUrlOrSkip, redisUrlOrSkip, uniqueName } from "../support/services.js";

describe("two pluto serve workers sharing PostgreSQL sessions and Redis coordination", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let workerA: ServeProcess | undefined;
  let workerB: ServeProcess | undefined;
  let env: Record<string, string>;
  const schema = uniqueName("pluto_workers");
  const prefix = uniqueName("pluto_workers");
  let postgresUrl: string | undefined;
  let redisUrl: string | undefined;

  beforeAll(async () => {
    postgresUrl = await postgresUrlOrSkip();
    redisUrl = await redisUrlOrSkip();
    if (postgresUrl === undefined || redisUrl === undefined) return;
    fake = await startFakeModel();
    project = await tempProject();
    env = { OPENAI_API_KEY: "sk-test-workers", OPENAI_BASE_URL: `${fake.url}/v1` };
    await writeFile(
      join(project.dir, "pluto.yaml"),
      [
        "services:",
        `  session: { backend: postgres, url: "${postgresUrl}", schema: ${schema} }`,
        `  coordination: { backend: redis, url: "${redisUrl}", prefix: ${prefix}, lease_ttl_ms: 5000 }`,
        "",
      ].join("\n"),
    );
    expect((await runPluto(["init", "shared"], { cwd: project.dir, env })).code).toBe(0);
    [workerA, workerB] = await Promise.all([
      startServe({ cwd: project.dir, env }),
      startServe({ cwd: project.dir, env }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await workerA?.stop();
    await workerB?.stop();
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

  const post = (worker: ServeProcess, body: unknown) =>
    fetch(`${worker.url}/api/v1/agents/shared/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("an SSE client on worker A follows a run executing on worker B, and resumes with Last-Event-ID", async () => {
    if (workerA === undefined || workerB === undefined) return;
    const session = "cross-worker";
    fake.enqueue({ text: "warm up" });
    expect(await jsonOf(await post(workerB, { input: "first", session_id: session }))).toMatchObject({
      status: "completed",
    });

    fake.enqueue({ text: Array.from({ length: 30 }, (_, index) => `part${index} `), chunkDelayMs: 30 });
    const running = post(workerB, { input: "a slow answer", session_id: session, stream: true });
    // Wait until worker B has written the run's first events, then follow from worker A.
    let replay: { events: { type: string; seq: number }[] } = { events: [] };
    for (let attempt = 0; attempt < 100; attempt += 1) {
      replay = await jsonOf(await fetch(`${workerA.url}/api/v1/sessions/${session}/events`));
      if (replay.events.some((event) => event.type === "text-delta" && event.seq > 6)) break;
      await new Promise((done) => setTimeout(done, 20));
    }
    const follow = await fetch(`${workerA.url}/api/v1/sessions/${session}/events`, {
      headers: { accept: "text/event-stream", "last-event-id": "5" },
    });
    const frames = parseSse(await follow.text());
    const events = frames.map(
      (frame) => JSON.parse(frame.data) as { type: string; seq: number; runId: string },
    );
    expect(events[0]!.seq).toBe(6);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 6));
    expect(events.at(-1)).toMatchObject({ type: "run-end", status: "completed" });
    expect(events.filter((event) => event.type === "text-delta")).toHaveLength(30);
    const streamedOnB = parseSse(await (await running).text());
    expect(streamedOnB.at(-1)!.id).toBe(frames.at(-1)!.id);
  });

  it("keeps one active run per session across workers: runs never interleave", async () => {
    if (workerA === undefined || workerB === undefined) return;
    const session = "one-at-a-time";
    fake.enqueue(
      { text: ["a1 ", "a2 ", "a3"], chunkDelayMs: 40 },
      { text: ["b1 ", "b2 ", "b3"], chunkDelayMs: 40 },
      { text: ["c1 ", "c2 ", "c3"], chunkDelayMs: 40 },
      { text: ["d1 ", "d2 ", "d3"], chunkDelayMs: 40 },
    );
    const results = await Promise.all([
      post(workerA, { input: "one", session_id: session }),
      post(workerB, { input: "two", session_id: session }),
      post(workerA, { input: "three", session_id: session }),
      post(workerB, { input: "four", session_id: session }),
    ]);
    for (const result of results) expect((await jsonOf(result)).status).toBe("completed");
    const { events } = await jsonOf(await fetch(`${workerB.url}/api/v1/sessions/${session}/events`));
    const runOrder: string[] = [];
    let open: string | undefined;
    for (const event of events as { type: string; runId: string; seq: number }[]) {
      if (event.type === "run-start") {
        expect(open, "a run started while another was open").toBeUndefined();
        open = event.runId;
        runOrder.push(event.runId);
      } else {
        expect(event.runId).toBe(open);
        if (event.type === "run-end") open = undefined;
      }
    }
    expect(runOrder).toHaveLength(4);
    expect(events.map((event: { seq: number }) => event.seq)).toEqual(
      events.map((_: unknown, index: number) => index + 1),
    );
  });
});
