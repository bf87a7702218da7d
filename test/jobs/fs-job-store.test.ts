import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FsJobStore } from "../../src/jobs/fs-job-store.js";
import { describeJobStoreContract, T0 } from "../contracts/job-store.contract.js";
import { rejection } from "../contracts/session-store.contract.js";
import { tempDataDir } from "../services/temp-dir.js";

for (const fsync of ["batch", "never"] as const) {
  describeJobStoreContract(`filesystem, fsync ${fsync}`, async () => {
    const { dataDir, cleanup } = await tempDataDir("jobs");
    return { store: new FsJobStore({ dataDir, fsync }), cleanup };
  });
}

describe("FsJobStore on disk", () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ dataDir, cleanup } = await tempDataDir("jobs-disk"));
  });
  afterEach(async () => {
    await cleanup();
  });

  it("keeps jobs and pause flags in per-tenant folders that a new process reads back", async () => {
    const first = new FsJobStore({ dataDir });
    const mine = (await first.create("default", { agent: "a", input: "one" }, { now: T0 })).job;
    const theirs = (await first.create("acme", { agent: "a", input: "two" }, { now: T0 + 1 })).job;
    const claimed = await first.claim({ worker: "w1", leaseMs: 10_000, now: T0 + 1 });
    expect(claimed?.id).toBe(mine.id);
    await first.setPaused("acme", true);
    expect(await readdir(join(dataDir, "jobs"))).toEqual([`${mine.id}.json`]);
    expect((await readdir(join(dataDir, "tenants", "acme", "jobs"))).sort()).toEqual([
      `${theirs.id}.json`,
      "paused",
    ]);
    const onDisk = JSON.parse(await readFile(join(dataDir, "jobs", `${mine.id}.json`), "utf8"));
    expect(onDisk).toEqual(claimed);

    // A restart: the lease survives, so the job is reclaimed after it lapses, and the pause holds.
    const second = new FsJobStore({ dataDir });
    expect(await second.get("default", mine.id)).toEqual(claimed);
    expect(await second.isPaused("acme")).toBe(true);
    expect(await second.claim({ worker: "w2", leaseMs: 10_000, now: T0 + 2 })).toBeUndefined();
    expect((await second.reclaimExpired({ now: T0 + 20_000 })).map((job) => job.status)).toEqual(["queued"]);
    await second.setPaused("acme", false);
    expect(await readdir(join(dataDir, "tenants", "acme", "jobs"))).toEqual([`${theirs.id}.json`]);
  });

  it("ignores temporary files a crash left behind and names a corrupt job file", async () => {
    const store = new FsJobStore({ dataDir });
    const job = (await store.create("default", { agent: "a", input: "one" }, { now: T0 })).job;
    await writeFile(join(dataDir, "jobs", `.${job.id}.json.abc123.tmp`), '{"torn":');
    expect((await new FsJobStore({ dataDir }).list("default")).jobs.map((listed) => listed.id)).toEqual([
      job.id,
    ]);
    await writeFile(join(dataDir, "jobs", `${job.id}.json`), '{"id": "torn');
    const reopened = new FsJobStore({ dataDir });
    const error = await rejection(reopened.get("default", job.id));
    expect(error.code).toBe("SESSION_CORRUPT");
    expect(error.message).toContain(`${job.id}.json`);
    // Once the file is repaired (here: removed), the same store loads again instead of failing forever.
    await rm(join(dataDir, "jobs", `${job.id}.json`));
    expect((await reopened.list("default")).jobs).toEqual([]);
  });
});
