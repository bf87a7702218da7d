import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { FsJobStore } from "../../src/jobs/fs-job-store.js";
import { InMemoryJobStore } from "../../src/jobs/in-memory-job-store.js";
import { PostgresJobStore } from "../../src/jobs/postgres-job-store.js";
import { buildState } from "../../src/runtime/build-state.js";
import { dropSchema } from "../services/postgres/postgres-fixture.js";
import { tempDataDir } from "../services/temp-dir.js";
import { runPluto } from "../support/pluto-process.js";
import { postgresUrlOrSkip, uniqueName } from "../support/services.js";

const url = await postgresUrlOrSkip();
const schema = uniqueName("pluto_test_build_jobs");
const folders: (() => Promise<void>)[] = [];
afterAll(async () => {
  if (url !== undefined) await dropSchema(url, schema);
  for (const cleanup of folders) await cleanup();
});

/** Builds the state of a pluto.yaml with the given text in a fresh folder. */
async function stateOf(yaml: string) {
  const { dataDir: cwd, cleanup } = await tempDataDir("build-jobs");
  folders.push(cleanup);
  await writeFile(path.join(cwd, "pluto.yaml"), yaml);
  const config = await loadConfig({ cwd, env: { DATABASE_URL: url ?? "" } });
  return { cwd, state: await buildState(config, () => {}) };
}

describe("services.jobs in the composition root", () => {
  it("keeps jobs in <data_dir>/jobs by default and in process memory with backend: memory", async () => {
    const { cwd, state } = await stateOf("# defaults\n");
    try {
      expect(state.jobs).toBeInstanceOf(FsJobStore);
      const { job } = await state.jobs.create("default", { agent: "a", input: "hi" });
      expect(await readdir(path.join(cwd, ".pluto", "jobs"))).toEqual([`${job.id}.json`]);
    } finally {
      await state.close();
    }
    const memory = await stateOf("services:\n  jobs: { backend: memory }\n");
    expect(memory.state.jobs).toBeInstanceOf(InMemoryJobStore);
    await memory.state.close();
  });

  it.skipIf(url === undefined)(
    "migrates PostgreSQL (migration 0004) and uses it with backend: postgres",
    async () => {
      const { state } = await stateOf(
        `services:\n  jobs: { backend: postgres, url: "\${DATABASE_URL}", schema: ${schema}, pool_max: 2 }\n`,
      );
      try {
        expect(state.jobs).toBeInstanceOf(PostgresJobStore);
        const { job } = await state.jobs.create("default", { agent: "a", input: "hi" });
        expect((await state.jobs.claim({ worker: "w", leaseMs: 5000 }))?.id).toBe(job.id);
      } finally {
        await state.close();
      }
    },
  );

  it.skipIf(url === undefined)("`pluto migrate` migrates the schema of services.jobs", async () => {
    const jobsSchema = uniqueName("pluto_test_migrate_jobs");
    const { dataDir: cwd, cleanup } = await tempDataDir("migrate-jobs");
    folders.push(cleanup, () => dropSchema(url ?? "", jobsSchema));
    await writeFile(
      path.join(cwd, "pluto.yaml"),
      `services:\n  jobs: { backend: postgres, url: "\${DATABASE_URL}", schema: ${jobsSchema} }\n`,
    );
    const result = await runPluto(["migrate"], { cwd, env: { DATABASE_URL: url ?? "" } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("0004_jobs");
  });
});
