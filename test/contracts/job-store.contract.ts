import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Job } from "../../src/jobs/job.js";
import type { JobStore } from "../../src/jobs/job-store.js";
import { rejection } from "./session-store.contract.js";

/** What a contract factory returns: a fresh, empty store, optionally a second one on the same storage. */
export interface JobStoreFixture {
  store: JobStore;
  /**
   * Another store over the same storage (PostgreSQL: another pool, like another worker process). When
   * absent the concurrency test races the one store against itself.
   */
  other?: JobStore;
  cleanup(): Promise<void>;
}

/** The clock of every test: far in the future, so real time never makes a job due or a lease lapse. */
export const T0 = Date.parse("2030-01-01T00:00:00.000Z");
const LEASE = 10_000;
const at = (ms: number) => new Date(T0 + ms).toISOString();

/**
 * Registers the {@link JobStore} contract: every backend (in-memory, filesystem, PostgreSQL) must pass
 * it unchanged. `factory` is called before each test and must return an empty store.
 */
export function describeJobStoreContract(name: string, factory: () => Promise<JobStoreFixture>): void {
  describe(`JobStore contract: ${name}`, () => {
    let fixture: JobStoreFixture;
    let store: JobStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await store.close?.();
      await fixture.other?.close?.();
      await fixture.cleanup();
    });

    const create = async (tenant = "default", overrides: Record<string, unknown> = {}, now = T0) =>
      (await store.create(tenant, { agent: "assistant", input: "hello", ...overrides }, { now })).job;
    const claim = (worker = "w1", now = T0, leaseMs = LEASE) => store.claim({ worker, leaseMs, now });

    it("creates a queued job with defaults and reads it back", async () => {
      const { job, created } = await store.create(
        "default",
        { agent: "assistant", input: "hello\u0000 wörld", sessionId: "s1" },
        { now: T0 },
      );
      expect(created).toBe(true);
      expect(job).toMatchObject({
        tenant: "default",
        agent: "assistant",
        input: "hello\u0000 wörld",
        sessionId: "s1",
        status: "queued",
        requiresApproval: false,
        runAt: at(0),
        attempts: 0,
        maxAttempts: 3,
        createdAt: at(0),
        updatedAt: at(0),
      });
      expect(job.id).toMatch(/^job_[0-9a-f]{32}$/);
      expect(job.lease).toBeUndefined();
      expect(await store.get("default", job.id)).toEqual(job);
      const approval = await create("default", { requiresApproval: true, maxAttempts: 5 });
      expect(approval).toMatchObject({ status: "needs_approval", requiresApproval: true, maxAttempts: 5 });
    });

    it("hides every tenant's jobs from the others", async () => {
      const job = await create("acme");
      expect(await store.get("default", job.id)).toBeUndefined();
      expect((await store.list("default")).jobs).toEqual([]);
      const calls = [
        store.approve("default", job.id),
        store.requestAbort("default", job.id),
        store.heartbeat("default", job.id, { worker: "w1", leaseMs: LEASE }),
        store.finish("default", job.id, { status: "completed", output: "x" }, { worker: "w1" }),
        store.acknowledgeAbort("default", job.id, { worker: "w1" }),
      ].map(rejection);
      for (const error of await Promise.all(calls)) expect(error.code).toBe("JOB_NOT_FOUND");
      expect(await store.get("acme", job.id)).toMatchObject({ status: "queued" });
      expect((await store.counts("default")).queued).toBe(0);
      expect((await store.counts("acme")).queued).toBe(1);
    });

    it("treats forged ids as unknown and refuses unsafe names and bad input, storing nothing", async () => {
      for (const id of ["../x", "job_", "job_../../etc", "", "x".repeat(300)]) {
        expect(await store.get("default", id)).toBeUndefined();
        expect((await rejection(store.approve("default", id))).code).toBe("JOB_NOT_FOUND");
      }
      expect((await rejection(store.get("../etc", "job_0"))).code).toBe("INVALID_NAME");
      const refusals = await Promise.all([
        rejection(store.create("default", { agent: "../x", input: "hi" })),
        rejection(store.create("../t", { agent: "a", input: "hi" })),
        rejection(store.create("default", { agent: "a", input: "hi", sessionId: "a/b" })),
        rejection(store.create("default", { agent: "a", input: "hi", runAt: "tomorrow" })),
        rejection(store.create("default", { agent: "a", input: "hi", maxAttempts: 0 })),
        rejection(store.create("default", { agent: "a", input: "hi", maxAttempts: 1.5 })),
        rejection(store.create("default", { agent: "a", input: "hi", idempotencyKey: "has space" })),
        rejection(store.create("default", { agent: "a", input: "x".repeat(1024 * 1024 + 1) })),
        rejection(store.claim({ worker: "", leaseMs: LEASE })),
        rejection(store.claim({ worker: "w", leaseMs: 5 })),
      ]);
      expect(refusals.map((error) => error.code)).toEqual([
        "INVALID_NAME",
        "INVALID_NAME",
        "INVALID_NAME",
        ...Array(7).fill("BAD_REQUEST"),
      ]);
      expect((await store.list("default")).jobs).toEqual([]);
    });

    it("returns the existing job for a repeated idempotency key, per tenant", async () => {
      const first = await store.create("default", { agent: "a", input: "one", idempotencyKey: "k-1" });
      const again = await store.create("default", { agent: "a", input: "two", idempotencyKey: "k-1" });
      expect(first.created).toBe(true);
      expect(again).toEqual({ job: first.job, created: false });
      const elsewhere = await store.create("acme", { agent: "a", input: "one", idempotencyKey: "k-1" });
      expect(elsewhere.created).toBe(true);
      expect((await store.list("default")).jobs).toHaveLength(1);
    });

    it("runs needs_approval → queued → running → completed, once", async () => {
      const job = await create("default", { requiresApproval: true });
      expect(await claim()).toBeUndefined();
      expect(
        (
          await rejection(
            store.finish("default", job.id, { status: "completed", output: "x" }, { worker: "w1" }),
          )
        ).code,
      ).toBe("JOB_CONFLICT");
      const approved = await store.approve("default", job.id, { now: T0 + 1 });
      expect(approved).toMatchObject({ status: "queued", updatedAt: at(1) });
      const approveTwice = await rejection(store.approve("default", job.id));
      expect(approveTwice.code).toBe("JOB_CONFLICT");
      expect(approveTwice.details).toMatchObject({ jobId: job.id, status: "queued", event: "approve" });
      const claimed = await store.claim({ worker: "w1", leaseMs: LEASE, now: T0 + 2, runId: "run_1" });
      expect(claimed).toMatchObject({
        id: job.id,
        status: "running",
        attempts: 1,
        runId: "run_1",
        lease: { owner: "w1", expiresAt: at(2 + LEASE) },
      });
      expect(await claim("w2", T0 + 3)).toBeUndefined();
      const beat = await store.heartbeat("default", job.id, { worker: "w1", leaseMs: LEASE, now: T0 + 5000 });
      expect(beat.lease).toEqual({ owner: "w1", expiresAt: at(5000 + LEASE) });
      expect(
        (
          await rejection(
            store.heartbeat("default", job.id, { worker: "w2", leaseMs: LEASE, now: T0 + 5001 }),
          )
        ).details,
      ).toMatchObject({ reason: "not-owner" });
      expect(
        (
          await rejection(
            store.finish(
              "default",
              job.id,
              { status: "completed", output: "x" },
              { worker: "w2", now: T0 + 5001 },
            ),
          )
        ).code,
      ).toBe("JOB_CONFLICT");
      const done = await store.finish(
        "default",
        job.id,
        { status: "completed", output: "Hi!" },
        { worker: "w1", now: T0 + 6000 },
      );
      expect(done).toMatchObject({ status: "completed", output: "Hi!", attempts: 1, updatedAt: at(6000) });
      expect(done.lease).toBeUndefined();
      const late = [
        store.finish(
          "default",
          job.id,
          { status: "completed", output: "again" },
          { worker: "w1", now: T0 + 6001 },
        ),
        store.finish(
          "default",
          job.id,
          { status: "failed", error: { code: "X", message: "x" } },
          { worker: "w1", now: T0 + 6001 },
        ),
        store.requestAbort("default", job.id),
        store.heartbeat("default", job.id, { worker: "w1", leaseMs: LEASE, now: T0 + 6001 }),
      ].map(rejection);
      for (const error of await Promise.all(late)) expect(error.code).toBe("JOB_CONFLICT");
      expect(await store.get("default", job.id)).toEqual(done);
      expect(await store.counts("default")).toEqual({
        needs_approval: 0,
        queued: 0,
        running: 0,
        aborting: 0,
        completed: 1,
        failed: 0,
        aborted: 0,
      });
    });

    it("records a failed run's error", async () => {
      const job = await create();
      await claim();
      const failed = await store.finish(
        "default",
        job.id,
        { status: "failed", error: { code: "MODEL_ERROR", message: "The model said no." } },
        { worker: "w1", now: T0 + 10 },
      );
      expect(failed).toMatchObject({
        status: "failed",
        error: { code: "MODEL_ERROR", message: "The model said no." },
      });
      expect(await store.get("default", job.id)).toEqual(failed);
    });

    it("aborts waiting jobs at once and running ones after the owner acknowledges", async () => {
      const waiting = await create("default", { requiresApproval: true });
      const queued = await create("default", {}, T0 + 1);
      const running = await create("default", {}, T0 - 1);
      expect((await claim("w1", T0 + 2))?.id).toBe(running.id);
      expect((await store.requestAbort("default", waiting.id)).status).toBe("aborted");
      expect((await store.requestAbort("default", queued.id)).status).toBe("aborted");
      expect(await claim("w1", T0 + 3)).toBeUndefined();
      const aborting = await store.requestAbort("default", running.id, { now: T0 + 4 });
      expect(aborting).toMatchObject({ status: "aborting", lease: { owner: "w1" } });
      expect(await store.requestAbort("default", running.id, { now: T0 + 5 })).toEqual(aborting);
      expect(
        (
          await rejection(
            store.finish(
              "default",
              running.id,
              { status: "completed", output: "x" },
              { worker: "w1", now: T0 + 6 },
            ),
          )
        ).code,
      ).toBe("JOB_CONFLICT");
      expect(
        (await rejection(store.acknowledgeAbort("default", running.id, { worker: "w2", now: T0 + 6 }))).code,
      ).toBe("JOB_CONFLICT");
      expect(
        (await store.heartbeat("default", running.id, { worker: "w1", leaseMs: LEASE, now: T0 + 7 })).status,
      ).toBe("aborting");
      const aborted = await store.acknowledgeAbort("default", running.id, { worker: "w1", now: T0 + 8 });
      expect(aborted).toMatchObject({ status: "aborted", updatedAt: at(8) });
      expect(aborted.lease).toBeUndefined();
      for (const id of [waiting.id, queued.id, running.id]) {
        expect((await rejection(store.requestAbort("default", id))).code).toBe("JOB_CONFLICT");
        expect((await rejection(store.approve("default", id))).code).toBe("JOB_CONFLICT");
      }
      expect((await store.counts("default")).aborted).toBe(3);
    });

    it("claims only due jobs, earliest run_at first, then oldest", async () => {
      const later = await create("default", { runAt: at(60_000) }, T0);
      const second = await create("default", {}, T0 + 2);
      const first = await create("acme", {}, T0 + 1);
      const early = await create("default", { runAt: at(-5000) }, T0 + 3);
      const now = T0 + 10;
      const order = [
        await claim("w", now),
        await claim("w", now),
        await claim("w", now),
        await claim("w", now),
      ];
      expect(order.map((job) => job?.id)).toEqual([early.id, first.id, second.id, undefined]);
      expect(await claim("w", T0 + 59_999)).toBeUndefined();
      expect((await claim("w", T0 + 60_000))?.id).toBe(later.id);
      expect(
        (
          await store.create(
            "default",
            { agent: "a", input: "x", runAt: "2030-01-01T02:00:00+02:00" },
            { now: T0 },
          )
        ).job.runAt,
      ).toBe(at(0));
    });

    it("takes back lapsed leases: retries until max_attempts, then fails; aborting becomes aborted", async () => {
      const job = await create("default", { maxAttempts: 2 });
      await claim("w1", T0, LEASE);
      expect(await store.reclaimExpired({ now: T0 + LEASE - 1 })).toEqual([]);
      const [requeued] = await store.reclaimExpired({ now: T0 + LEASE });
      expect(requeued).toMatchObject({ id: job.id, status: "queued", attempts: 1 });
      expect(requeued?.lease).toBeUndefined();
      // The worker that lost its lease can no longer report or extend anything.
      expect(
        (
          await rejection(
            store.heartbeat("default", job.id, { worker: "w1", leaseMs: LEASE, now: T0 + LEASE + 1 }),
          )
        ).code,
      ).toBe("JOB_CONFLICT");
      const second = await store.claim({ worker: "w2", leaseMs: LEASE, now: T0 + LEASE + 2, runId: "run_2" });
      expect(second).toMatchObject({ id: job.id, attempts: 2, runId: "run_2", lease: { owner: "w2" } });
      expect(
        (
          await rejection(
            store.finish(
              "default",
              job.id,
              { status: "completed", output: "late" },
              { worker: "w1", now: T0 + LEASE + 3 },
            ),
          )
        ).details,
      ).toMatchObject({ reason: "not-owner" });
      // A lapsed lease refuses its own owner too, even before anyone reclaims it.
      const lapsed = await rejection(
        store.finish(
          "default",
          job.id,
          { status: "completed", output: "late" },
          { worker: "w2", now: T0 + 3 * LEASE },
        ),
      );
      expect(lapsed.details).toMatchObject({ reason: "lease-lapsed" });
      const [failed] = await store.reclaimExpired({ now: T0 + 3 * LEASE });
      expect(failed).toMatchObject({
        status: "failed",
        attempts: 2,
        runId: "run_2",
        error: { code: "JOB_LEASE_EXPIRED" },
      });
      expect(await store.reclaimExpired({ now: T0 + 4 * LEASE })).toEqual([]);

      const stopping = await create("default", {}, T0 + 5 * LEASE);
      await claim("w3", T0 + 5 * LEASE);
      await store.requestAbort("default", stopping.id, { now: T0 + 5 * LEASE + 1 });
      const [aborted] = await store.reclaimExpired({ now: T0 + 7 * LEASE });
      expect(aborted).toMatchObject({ id: stopping.id, status: "aborted" });
    });

    it("pauses and resumes claims per tenant", async () => {
      const mine = await create("default");
      const theirs = await create("acme", {}, T0 + 1);
      expect(await store.isPaused("default")).toBe(false);
      await store.setPaused("default", true);
      await store.setPaused("default", true);
      expect(await store.isPaused("default")).toBe(true);
      expect(await store.isPaused("acme")).toBe(false);
      expect((await claim("w", T0 + 5))?.id).toBe(theirs.id);
      expect(await claim("w", T0 + 5)).toBeUndefined();
      await store.setPaused("default", false);
      expect(await store.isPaused("default")).toBe(false);
      expect((await claim("w", T0 + 6))?.id).toBe(mine.id);
    });

    it("lists newest first with filters and cursor paging", async () => {
      const jobs: Job[] = [];
      for (let index = 0; index < 7; index++) {
        jobs.push(await create("default", { agent: index % 2 === 0 ? "even" : "odd" }, T0 + index));
      }
      // Two jobs created in the same millisecond still page in a stable order.
      jobs.push(await create("default", { agent: "even" }, T0 + 6));
      await create("acme", {}, T0 + 50);
      await claim("w", T0 + 100);
      const newestFirst = [...jobs].sort((left, right) =>
        left.createdAt === right.createdAt
          ? left.id < right.id
            ? 1
            : -1
          : left.createdAt < right.createdAt
            ? 1
            : -1,
      );
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list("default", { limit: 3, ...(cursor === undefined ? {} : { cursor }) });
        expect(page.jobs.length).toBeLessThanOrEqual(3);
        seen.push(...page.jobs.map((job) => job.id));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      expect(seen).toEqual(newestFirst.map((job) => job.id));
      const even = await store.list("default", { agent: "even" });
      expect(even.jobs.map((job) => job.agent)).toEqual(Array(5).fill("even"));
      expect(even.nextCursor).toBeUndefined();
      const running = await store.list("default", { status: "running" });
      expect(running.jobs.map((job) => job.id)).toEqual([jobs[0]?.id]);
      expect((await store.list("default", { status: "completed" })).jobs).toEqual([]);
      for (const options of [{ cursor: "nope" }, { limit: 0 }, { limit: 201 }, { status: "done" as never }]) {
        expect((await rejection(store.list("default", options))).code).toBe("BAD_REQUEST");
      }
    });

    it("never hands one job to two concurrent claimers", async () => {
      const other = fixture.other ?? store;
      const created = new Set<string>();
      for (let index = 0; index < 20; index++) created.add((await create("default", {}, T0 + index)).id);
      const claims = await Promise.all(
        Array.from({ length: 40 }, (_, index) =>
          (index % 2 === 0 ? store : other).claim({ worker: `w${index}`, leaseMs: LEASE, now: T0 + 1000 }),
        ),
      );
      const claimed = claims.filter((job): job is Job => job !== undefined).map((job) => job.id);
      expect(claimed).toHaveLength(20);
      expect(new Set(claimed)).toEqual(created);
      expect((await store.counts("default")).running).toBe(20);
    });
  });
}
