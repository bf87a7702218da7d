import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FsJobStore } from "../../src/jobs/fs-job-store.js";
import { isTerminalJobStatus } from "../../src/jobs/job.js";
import { tempDataDir } from "../services/temp-dir.js";

const WORKER_SCRIPT = resolve(import.meta.dirname, "fs-job-worker.mjs");
const BUILT_STORE = resolve(import.meta.dirname, "../../dist/jobs/fs-job-store.js");

describe("FsJobStore across a kill -9", () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    if (!existsSync(BUILT_STORE)) throw new Error(`${BUILT_STORE} is missing: run \`npm run build\` first.`);
    ({ dataDir, cleanup } = await tempDataDir("jobs-crash"));
  });
  afterEach(async () => {
    await cleanup();
  });

  it("keeps every acknowledged change, and a new process finishes every job exactly once", async () => {
    const child = spawn(process.execPath, [WORKER_SCRIPT, dataDir]);
    const acknowledged = new Map<string, string>();
    let stderr = "";
    let pending = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const enough = new Promise<void>((resolveEnough, reject) => {
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          const [state, id] = line.split(" ");
          if (id !== undefined && state !== undefined) acknowledged.set(id, state);
        }
        if (acknowledged.size >= 60) resolveEnough();
      });
      child.on("exit", () => reject(new Error(`the worker exited early: ${stderr}`)));
    });
    await enough;
    const exited = new Promise((resolveExit) => child.on("exit", (_code, signal) => resolveExit(signal)));
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");

    // Every job file is whole; the change each job last acknowledged (or a later one) is on disk.
    const store = new FsJobStore({ dataDir });
    const stored = new Map((await store.list("default", { limit: 200 })).jobs.map((job) => [job.id, job]));
    const expected = {
      created: ["queued", "running", "completed"],
      claimed: ["running", "completed"],
      completed: ["completed"],
    };
    for (const [id, state] of acknowledged) {
      expect(expected[state as keyof typeof expected], `${id} was ${state}`).toContain(
        stored.get(id)?.status,
      );
    }
    expect((await readdir(join(dataDir, "jobs"))).filter((name) => !name.startsWith(".")).length).toBe(
      stored.size,
    );

    // A new worker takes back the dead one's leases once they lapse and finishes the rest, once each.
    const later = Date.now() + 120_000;
    const reclaimed = await store.reclaimExpired({ now: later });
    expect(reclaimed.every((job) => job.status === "queued" && job.attempts === 1)).toBe(true);
    let finished = 0;
    for (
      let job = await store.claim({ worker: "heir", leaseMs: 60_000, now: later });
      job !== undefined;
      job = await store.claim({ worker: "heir", leaseMs: 60_000, now: later })
    ) {
      await store.finish(
        "default",
        job.id,
        { status: "completed", output: "heir" },
        { worker: "heir", now: later },
      );
      finished++;
    }
    const after = (await store.list("default", { limit: 200 })).jobs;
    expect(after.every((job) => isTerminalJobStatus(job.status))).toBe(true);
    expect(after.filter((job) => job.output === "heir")).toHaveLength(finished);
    expect(after.filter((job) => job.output === "ok").length + finished).toBe(after.length);
  });
});
