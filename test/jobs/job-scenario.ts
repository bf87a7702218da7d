import fc from "fast-check";
import { expect } from "vitest";
import { isPlutoError } from "../../src/core/errors.js";
import { isTerminalJobStatus, type Job, type JobStatus } from "../../src/jobs/job.js";
import {
  hasLapsedLease,
  isDueJob,
  JOB_TRANSITIONS,
  type JobEvent,
  transitionJob,
} from "../../src/jobs/job-state.js";
import type { JobStore } from "../../src/jobs/job-store.js";
import { T0 } from "../contracts/job-store.contract.js";

/**
 * Random scenarios for the job stores (fast-check): create, approve, abort, claim, heartbeat, complete,
 * fail, acknowledge, worker crash, clock ticks and lease reclaims, each answer checked against the pure
 * state machine. Used by the property tests of every backend.
 */

/** Lease of every claim in a scenario, in ms. */
export const SCENARIO_LEASE = 10_000;
const LEASE = SCENARIO_LEASE;
/** Worker ids of a scenario. */
export const WORKERS = ["w1", "w2", "w3"] as const;

/** True when `from → to` is an edge of the lifecycle (or no change of status). */
export function allowed(from: JobStatus, to: JobStatus): boolean {
  return from === to || JOB_TRANSITIONS[from].includes(to);
}

/** One step a test scenario takes; `worker` indexes {@link WORKERS}, `job` indexes the jobs created so far. */
export type Command =
  | { kind: "create"; requiresApproval: boolean; maxAttempts: number; delay: number }
  | { kind: "approve" | "abort"; job: number }
  | { kind: "claim"; worker: number }
  | { kind: "heartbeat" | "complete" | "fail" | "acknowledge"; worker: number; job: number }
  | { kind: "crash"; worker: number }
  | { kind: "tick"; ms: number }
  | { kind: "reclaim" };

export const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
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
 * Runs `commands` against an empty `store` (tenant "default"), checking every answer against the pure
 * function applied to the job as last seen (the oracle), then drives every job to its end. Throws on a
 * violation: a transition outside the lifecycle, a terminal state left or entered twice, a second
 * completion, or any answer the pure function would not give.
 */
export async function runScenario(store: JobStore, commands: Command[]): Promise<void> {
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
