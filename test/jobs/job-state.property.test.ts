import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FsJobStore } from "../../src/jobs/fs-job-store.js";
import { InMemoryJobStore } from "../../src/jobs/in-memory-job-store.js";
import { isTerminalJobStatus, JOB_STATUSES, type Job } from "../../src/jobs/job.js";
import { type JobEvent, transitionJob } from "../../src/jobs/job-state.js";
import { T0 } from "../contracts/job-store.contract.js";
import { tempDataDir } from "../services/temp-dir.js";
import { allowed, commandArbitrary, runScenario, SCENARIO_LEASE, WORKERS } from "./job-scenario.js";

const LEASE = SCENARIO_LEASE;

const jobArbitrary: fc.Arbitrary<Job> = fc
  .record({
    status: fc.constantFrom(...JOB_STATUSES),
    attempts: fc.integer({ min: 0, max: 4 }),
    maxAttempts: fc.integer({ min: 1, max: 4 }),
    runAt: fc.integer({ min: -LEASE, max: LEASE }),
    owner: fc.constantFrom(...WORKERS),
    expires: fc.integer({ min: -LEASE, max: LEASE }),
  })
  .map(({ status, attempts, maxAttempts, runAt, owner, expires }) => {
    const job: Job = {
      id: `job_${"0".repeat(32)}`,
      tenant: "default",
      agent: "a",
      input: "x",
      status,
      requiresApproval: false,
      runAt: new Date(T0 + runAt).toISOString(),
      attempts,
      maxAttempts,
      createdAt: new Date(T0).toISOString(),
      updatedAt: new Date(T0).toISOString(),
    };
    if (status === "running" || status === "aborting") {
      job.lease = { owner, expiresAt: new Date(T0 + expires).toISOString() };
    }
    return job;
  });

const eventArbitrary: fc.Arbitrary<JobEvent> = fc
  .record({
    type: fc.constantFrom(
      "approve",
      "claim",
      "heartbeat",
      "complete",
      "fail",
      "abort",
      "acknowledge-abort",
      "expire",
    ),
    worker: fc.constantFrom(...WORKERS),
    now: fc.integer({ min: -LEASE, max: 2 * LEASE }).map((offset) => T0 + offset),
  })
  .map(({ type, worker, now }): JobEvent => {
    switch (type) {
      case "claim":
      case "heartbeat":
        return { type, worker, now, leaseMs: LEASE };
      case "complete":
        return { type, worker, now, output: "done" };
      case "fail":
        return { type, worker, now, error: { code: "X", message: "x" } };
      case "acknowledge-abort":
        return { type, worker, now };
      default:
        return { type: type as "approve" | "abort" | "expire", now };
    }
  });

describe("job state machine (pure function)", () => {
  it("only ever takes an edge of the lifecycle, never leaves a terminal state, and never mutates its input", () => {
    fc.assert(
      fc.property(jobArbitrary, eventArbitrary, (job, event) => {
        const before = structuredClone(job);
        const result = transitionJob(job, event);
        expect(job).toEqual(before);
        if (!result.ok) {
          expect(result.error.code).toBe("JOB_CONFLICT");
          return;
        }
        expect(isTerminalJobStatus(job.status)).toBe(false);
        expect(allowed(job.status, result.job.status)).toBe(true);
        const leased = result.job.status === "running" || result.job.status === "aborting";
        expect(result.job.lease !== undefined).toBe(leased);
        if (event.type === "complete" || event.type === "fail" || event.type === "acknowledge-abort") {
          expect(job.lease?.owner).toBe(event.worker);
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe("job stores under any interleaving (fast-check)", () => {
  const commands = fc.array(commandArbitrary, { minLength: 1, maxLength: 60 });

  it("in memory: only allowed transitions, each job ends exactly once, as the pure function says", async () => {
    await fc.assert(
      fc.asyncProperty(commands, (scenario) => runScenario(new InMemoryJobStore(), scenario)),
      { numRuns: 300 },
    );
  });

  it("on files: the same", async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (scenario) => {
        const { dataDir, cleanup } = await tempDataDir("jobs-property");
        try {
          await runScenario(new FsJobStore({ dataDir, fsync: "never" }), scenario);
        } finally {
          await cleanup();
        }
      }),
      { numRuns: 40 },
    );
  });
});
