import { readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { runPluto, tempProject } from "../support/pluto-process.js";
import { type S3rverFixture, startS3rver } from "../support/s3rver.js";
import { postgresUrlOrSkip, redisUrlOrSkip, uniqueName } from "../support/services.js";

/** Every regular file below `root` (hidden index files excluded), relative path → bytes. */
async function filesUnder(root: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const walk = async (directory: string): Promise<void> => {
    for (const entry of await readdir(directory, { withFileTypes: true }).catch(() => [])) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && !entry.name.startsWith(".index"))
        files.set(relative(root, path), await readFile(path));
    }
  };
  await walk(root);
  return files;
}

/** A session log without its header line (its `createdAt` is the import time by design). */
function eventLines(log: Buffer): string {
  return log.toString("utf8").split("\n").slice(1).join("\n");
}

/** Artifact metadata without `createdAt` (set by the importing store). */
function metadataWithoutTime(bytes: Buffer): unknown {
  const { createdAt: _ignored, ...rest } = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
  return rest;
}

describe("export/import round trip: filesystem → PostgreSQL/Redis/S3 → filesystem", () => {
  let fake: FakeModel;
  let s3: S3rverFixture;
  let source: Awaited<ReturnType<typeof tempProject>>;
  let postgresUrl: string | undefined;
  let redisUrl: string | undefined;
  const schema = uniqueName("pluto_rt");
  const prefix = uniqueName("pluto_rt");
  let env: Record<string, string>;

  beforeAll(async () => {
    postgresUrl = await postgresUrlOrSkip();
    redisUrl = await redisUrlOrSkip();
    fake = await startFakeModel();
    s3 = await startS3rver();
    source = await tempProject();
    env = { OPENAI_API_KEY: "sk-test-rt", OPENAI_BASE_URL: `${fake.url}/v1` };
    expect((await runPluto(["init", "rt"], { cwd: source.dir, env })).code).toBe(0);
    fake.enqueue(
      {
        toolCalls: [
          {
            name: "memory_write",
            input: { text: "Prefers green tea ☕ in the morning", section: "preference" },
          },
        ],
      },
      {
        toolCalls: [
          {
            name: "memory_write",
            input: { text: "Project codename: Pluto", section: "fact", long_term: true },
          },
        ],
      },
      {
        toolCalls: [
          {
            name: "artifact_write",
            input: { name: "notes/plan.md", content: "# Plan\n- ünïcödé ✓\n- שלום\n" },
          },
        ],
      },
      { text: "Saved." },
      { text: "Second session answer." },
    );
    expect(
      (await runPluto(["run", "rt", "remember things", "--session", "first"], { cwd: source.dir, env })).code,
    ).toBe(0);
    expect(
      (await runPluto(["run", "rt", "hello again", "--session", "second"], { cwd: source.dir, env })).code,
    ).toBe(0);
    expect((await runPluto(["export", "rt", "--out", "bundle.tar.gz"], { cwd: source.dir, env })).code).toBe(
      0,
    );
  }, 120_000);

  afterAll(async () => {
    if (postgresUrl !== undefined) {
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
    await s3?.close();
    await fake?.close();
    await source?.cleanup();
  });

  const combinations = [
    {
      name: "agents, sessions and memory in PostgreSQL, artifacts in S3",
      config: (): string =>
        [
          "services:",
          `  agents: { backend: postgres, url: "${postgresUrl}", schema: ${schema} }`,
          `  session: { backend: postgres, url: "${postgresUrl}", schema: ${schema} }`,
          `  memory: { backend: postgres, url: "${postgresUrl}", schema: ${schema} }`,
          `  artifacts: { backend: s3, bucket: ${s3.bucket}, endpoint: "${s3.endpoint}", force_path_style: true, access_key_id: S3RVER, secret_access_key: S3RVER }`,
          "",
        ].join("\n"),
    },
    {
      name: "sessions in Redis with Redis coordination, tasks, keys and jobs in PostgreSQL, memory and artifacts on files",
      config: (): string =>
        [
          "services:",
          `  session: { backend: redis, url: "${redisUrl}", prefix: ${prefix} }`,
          `  coordination: { backend: redis, url: "${redisUrl}", prefix: ${prefix} }`,
          `  tasks: { backend: postgres, url: "${postgresUrl}", schema: ${schema} }`,
          `  keys: { backend: postgres, url: "${postgresUrl}", schema: ${schema} }`,
          `  jobs: { backend: postgres, url: "${postgresUrl}", schema: ${schema} }`,
          "",
        ].join("\n"),
    },
  ];

  for (const combination of combinations) {
    it(`reproduces every event and every byte: ${combination.name}`, async () => {
      const middle = await tempProject();
      const target = await tempProject();
      try {
        await writeFile(join(middle.dir, "pluto.yaml"), combination.config());
        const bundle = join(source.dir, "bundle.tar.gz");
        const imported = await runPluto(["import", bundle], { cwd: middle.dir, env, timeoutMs: 60_000 });
        expect(imported.code, imported.stderr).toBe(0);
        expect(imported.stdout).toContain("2 sessions");
        const again = await runPluto(["import", bundle], { cwd: middle.dir, env });
        expect(again.code).toBe(1);
        expect(again.stderr).toMatch(/already|exist/i);

        const exported = await runPluto(["export", "rt", "--out", join(target.dir, "back.tar.gz")], {
          cwd: middle.dir,
          env,
        });
        expect(exported.code, exported.stderr).toBe(0);
        const back = await runPluto(["import", "back.tar.gz"], { cwd: target.dir, env });
        expect(back.code, back.stderr).toBe(0);

        const before = await filesUnder(join(source.dir, ".pluto"));
        const after = await filesUnder(join(target.dir, ".pluto"));
        const stateFiles = [...before.keys()]
          .filter((path) => /^(sessions|memory|artifacts|agents)\//.test(path))
          .sort();
        expect(stateFiles.length).toBeGreaterThan(6);
        expect(
          [...after.keys()].filter((path) => /^(sessions|memory|artifacts|agents)\//.test(path)).sort(),
        ).toEqual(stateFiles);
        for (const path of stateFiles) {
          const original = before.get(path)!;
          const copy = after.get(path)!;
          if (path.startsWith("sessions/")) expect(eventLines(copy), path).toBe(eventLines(original));
          else if (path.includes("/.meta/"))
            expect(metadataWithoutTime(copy), path).toEqual(metadataWithoutTime(original));
          else expect(copy.equals(original), path).toBe(true);
        }
        expect(stateFiles.some((path) => path.endsWith("notes/plan.md"))).toBe(true);
        expect(stateFiles.some((path) => path.endsWith("MEMORY.md"))).toBe(true);
      } finally {
        await middle.cleanup();
        await target.cleanup();
      }
    }, 120_000);
  }
});
