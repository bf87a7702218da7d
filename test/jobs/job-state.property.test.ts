import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPlutoError } from "../../src/core/errors.js";
import { FsJobStore } from "../../src/jobs/fs-job-store.js";
import { InMemoryJobStore } from "../../src/jobs/in-memory-job-store.js";
import { isTerminalJobStatus, JOB_STATUSES, type Job, type JobStatus } from "../../src/jobs/job.js";
import {
  hasLapsedLease,
  isDueJob,
  JOB_TRANSITIONS,
  type JobEvent,
  transitionJob,
} from "../../src/jobs/job-state.js";
import type { JobStore } from "../../src/jobs/job-store.js";
import { T0 } from "../contracts/job-store.contract.js";
import { tempDataDir } from "../services/temp-dir.js";

const LEASE = 10_000;
const WORKERS = ["w1", "w2", "w3"] as const;

/** True when `from → to` is an edge of the lifecycle (or no change of status). */
function allowed(from: JobStatus, to: JobStatus): boolean {
  return from === to || JOB_TRANSITIONS[from].includes(to);
}

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

/** One step a test scenario takes; `worker` indexes {@link WORKERS}, `job` indexes the jobs created so far. */
type Command =
  | { kind: "create"; requiresApproval: boolean; maxAttempts: number; delay: number }
  | { kind: "approve" | "abort"; job: number }
  | { kind: "claim"; worker: number }
  | { kind: "heartbeat" | "complete" | "fail" | "acknowledge"; worker: number; job: number }
  | { kind: "crash"; worker: number }
  | { kind: "tick"; ms: number }
  | { kind: "reclaim" };

const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant("create" as const),
    requiresApproval: fc.boolean(),
    maxAttempts: fc.integer({ min: 1, max: 3 }),
    delay: fc.constantFrom(0, 0, 5000),
  }),
  fc.record({ kind: fc.constantFrom("approve" as const, "abort" as const), job: fc.nat(5) }),
  fc.record({ kind: fc.constant("claim" as const), worker: fc.nat(2) }),
  fc.record({
    kind: fc.constantFrom("heartbeat" as const, "complete" as const, "fail" as const, "acknowledge" as const),
    worker: fc.nat(2),
    job: fc.nat(5),
  }),
  fc.record({ kind: fc.constant("crash" as const), worker: fc.nat(2) }),
  fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 1, max: 2 * LEASE }) }),
  fc.record({ kind: fc.constant("reclaim" as const) }),
);

/**
 * Runs `commands` against `store`, checking every answer against the pure function applied to the job
 * as last seen (the oracle), then drives every job to its end. Returns nothing; throws on a violation.
 */
async function runScenario(store: JobStore, commands: Command[]): Promise<void> {
  let now = T0;
  const ids: string[] = [];
  const seen = new Map<string, Job>();
  const terminalEntries = new Map<string, number>();
  const completions = new Map<string, number>();
  const dead = new Set<string>();

  const observe = (job: Job) => {
    const previous = seen.get(job.id);
    if (previous !== undefined) {
      expect(allowed(previous.status, job.status)).toBe(true);
      if (isTerminalJobStatus(previous.status)) expect(job).toEqual(previous);
    }
    if (isTerminalJobStatus(job.status) && !isTerminalJobStatus(previous?.status ?? "queued")) {
      terminalEntries.set(job.id, (terminalEntries.get(job.id) ?? 0) + 1);
    }
    if (job.status === "completed" && previous?.status !== "completed") {
      completions.set(job.id, (completions.get(job.id) ?? 0) + 1);
    }
    seen.set(job.id, job);
  };
  /** Calls the store for `event` on a known job and checks it agrees with the pure function. */
  const expectLikeOracle = async (id: string, event: JobEvent, call: () => Promise<Job>) => {
    const oracle = transitionJob(seen.get(id) as Job, event);
    try {
      const job = await call();
      expect(oracle.ok).toBe(true);
      if (oracle.ok) expect(job).toEqual(oracle.job);
      observe(job);
    } catch (error) {
      if (!isPlutoError(error, "JOB_CONFLICT")) throw error;
      expect(oracle.ok).toBe(false);
    }
  };
  const claimAs = async (worker: string) => {
    const job = await store.claim({ worker, leaseMs: LEASE, now });
    const due = [...seen.values()].filter((candidate) => isDueJob(candidate, now));
    if (job === undefined) {
      expect(due).toEqual([]);
      return;
    }
    const oracle = transitionJob(seen.get(job.id) as Job, { type: "claim", worker, leaseMs: LEASE, now });
    expect(oracle.ok && oracle.job).toEqual(job);
    observe(job);
  };
  const reclaim = async () => {
    const lapsed = [...seen.values()].filter((job) => hasLapsedLease(job, now));
    const changed = await store.reclaimExpired({ now });
    expect(changed.map((job) => job.id).sort()).toEqual(lapsed.map((job) => job.id).sort());
    for (const job of changed) {
      const oracle = transitionJob(seen.get(job.id) as Job, { type: "expire", now });
      expect(oracle.ok && oracle.job).toEqual(job);
      observe(job);
    }
  };

  for (const command of commands) {
    const id = "job" in command ? ids[command.job % Math.max(ids.length, 1)] : undefined;
    const worker = "worker" in command ? (WORKERS[command.worker] as string) : "w1";
    if ("worker" in command && dead.has(worker) && command.kind !== "crash") continue;
    switch (command.kind) {
      case "create": {
        const { job } = await store.create(
          "default",
          {
            agent: "a",
            input: "x",
            requiresApproval: command.requiresApproval,
            maxAttempts: command.maxAttempts,
            runAt: new Date(now + command.delay).toISOString(),
          },
          { now },
        );
        ids.push(job.id);
        observe(job);
        break;
      }
      case "approve":
        if (id !== undefined)
          await expectLikeOracle(id, { type: "approve", now }, () => store.approve("default", id, { now }));
        break;
      case "abort":
        if (id !== undefined)
          await expectLikeOracle(id, { type: "abort", now }, () =>
            store.requestAbort("default", id, { now }),
          );
        break;
      case "claim":
        await claimAs(worker);
        break;
      case "heartbeat":
        if (id !== undefined) {
          await expectLikeOracle(id, { type: "heartbeat", worker, leaseMs: LEASE, now }, () =>
            store.heartbeat("default", id, { worker, leaseMs: LEASE, now }),
          );
        }
        break;
      case "complete":
        if (id !== undefined) {
          await expectLikeOracle(id, { type: "complete", worker, output: "done", now }, () =>
            store.finish("default", id, { status: "completed", output: "done" }, { worker, now }),
          );
        }
        break;
      case "fail":
        if (id !== undefined) {
          const error = { code: "MODEL_ERROR", message: "no" };
          await expectLikeOracle(id, { type: "fail", worker, error, now }, () =>
            store.finish("default", id, { status: "failed", error }, { worker, now }),
          );
        }
        break;
      case "acknowledge":
        if (id !== undefined) {
          await expectLikeOracle(id, { type: "acknowledge-abort", worker, now }, () =>
            store.acknowledgeAbort("default", id, { worker, now }),
          );
        }
        break;
      case "crash":
        dead.add(worker);
        break;
      case "tick":
        now += command.ms;
        break;
      case "reclaim":
        await reclaim();
        break;
    }
  }

  // Drain: a healthy worker finishes whatever is left; every job must end exactly once.
  for (
    let round = 0;
    round < 20 && [...seen.values()].some((job) => !isTerminalJobStatus(job.status));
    round++
  ) {
    now += 2 * LEASE;
    await reclaim();
    for (const job of [...seen.values()]) {
      if (job.status === "needs_approval") {
        await expectLikeOracle(job.id, { type: "approve", now }, () =>
          store.approve("default", job.id, { now }),
        );
      }
      if (job.status === "queued" && Date.parse(job.runAt) > now) now = Date.parse(job.runAt);
    }
    for (;;) {
      const job = await store.claim({ worker: "drain", leaseMs: LEASE, now });
      if (job === undefined) break;
      observe(job);
      observe(
        await store.finish(
          "default",
          job.id,
          { status: "completed", output: "drained" },
          { worker: "drain", now },
        ),
      );
    }
  }
  for (const id of ids) {
    const stored = await store.get("default", id);
    expect(stored).toEqual(seen.get(id));
    expect(isTerminalJobStatus(stored?.status ?? "queued")).toBe(true);
    expect(terminalEntries.get(id)).toBe(1);
    expect(completions.get(id) ?? 0).toBeLessThanOrEqual(1);
  }
}

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
