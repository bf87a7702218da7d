import { afterEach, describe, expect, it } from "vitest";
import { PlutoError } from "../../../src/core/errors.js";
import { ZERO_USAGE } from "../../../src/core/events.js";
import { InMemorySessionStore } from "../../../src/services/session/in-memory-session-store.js";
import type { SessionStore } from "../../../src/services/session/session-store.js";
import { deferred } from "../../support/scripted-step.js";
import { createJobHarness, eventually } from "./job-harness.js";

type Harness = Awaited<ReturnType<typeof createJobHarness>>;

// biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON
const json = async (response: Response): Promise<any> => response.json();

describe("job routes and workers (in-process, real stores, scripted model)", () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.workers.stop();
    expect(harness?.unexpected).toEqual([]);
    harness = undefined;
  });

  /** A harness that `afterEach` stops. */
  const open = async (options?: Parameters<typeof createJobHarness>[0]) => {
    harness = await createJobHarness(options);
    return harness;
  };
  const jobOf = async (h: Harness, id: string) =>
    json(await h.request(h.tokens.acmeAdmin, "GET", `/api/v1/jobs/${id}`));
  const create = async (h: Harness, body: Record<string, unknown>) => {
    const response = await h.request(h.tokens.acmeAdmin, "POST", "/api/v1/jobs", {
      agent: "helper",
      ...body,
    });
    expect(response.status).toBe(201);
    return json(response);
  };

  it("requires_approval: needs_approval until /approve, then queued → running → completed", async () => {
    const h = await open({ steps: [{ text: "all done" }] });
    h.workers.start();
    const job = await create(h, { input: "tidy up", requires_approval: true });
    expect(job).toMatchObject({
      status: "needs_approval",
      requires_approval: true,
      attempts: 0,
      session_id: job.id,
    });
    expect(job.id).toMatch(/^job_[0-9a-f]{32}$/);
    // Workers are polling every 20 ms: a job waiting for approval is never claimed.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await jobOf(h, job.id)).status).toBe("needs_approval");
    expect(h.model.requests).toHaveLength(0);

    const approved = await h.request(h.tokens.acmeMember, "POST", `/api/v1/jobs/${job.id}/approve`);
    expect(approved.status).toBe(200);
    expect((await json(approved)).status).toBe("queued");
    const done = await eventually(
      () => jobOf(h, job.id),
      (value) => value.status === "completed",
    );
    expect(done).toMatchObject({ status: "completed", output: "all done", attempts: 1 });
    expect(h.model.requests).toHaveLength(1);

    const events = await json(await h.request(h.tokens.acmeAdmin, "GET", `/api/v1/jobs/${job.id}/events`));
    expect(events.session_id).toBe(job.id);
    const types = events.events.map((event: { type: string }) => event.type);
    expect(types[0]).toBe("run-start");
    expect(events.events.at(-1)).toMatchObject({
      type: "run-end",
      status: "completed",
      runId: `run_${job.id}_a1`,
    });
    // SSE replay resumes after Last-Event-ID.
    const sse = await h.request(h.tokens.acmeAdmin, "GET", `/api/v1/jobs/${job.id}/events`, undefined, {
      accept: "text/event-stream",
      "last-event-id": "1",
    });
    const ids = [...(await sse.text()).matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
    expect(ids[0]).toBe(2);
    expect(ids.at(-1)).toBe(events.events.at(-1).seq);

    const again = await h.request(h.tokens.acmeAdmin, "POST", `/api/v1/jobs/${job.id}/approve`);
    expect(again.status).toBe(409);
    expect((await json(again)).error.code).toBe("JOB_CONFLICT");
    const list = await json(
      await h.request(h.tokens.acmeAdmin, "GET", "/api/v1/jobs?status=completed&agent=helper"),
    );
    expect(list.jobs.map((item: { id: string }) => item.id)).toEqual([job.id]);
  });

  it("SSE of a job waiting for approval follows it through approval to its run's end, then closes", async () => {
    const h = await open({ steps: [{ text: "followed" }] });
    h.workers.start();
    const job = await create(h, { input: "watch me", requires_approval: true });
    const body = Promise.resolve(
      h.request(h.tokens.acmeAdmin, "GET", `/api/v1/jobs/${job.id}/events`, undefined, {
        accept: "text/event-stream",
      }),
    ).then((response) => response.text());
    let ended = false;
    void body.then(() => {
      ended = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(ended).toBe(false);
    await h.request(h.tokens.acmeAdmin, "POST", `/api/v1/jobs/${job.id}/approve`);
    const text = await body;
    const types = [...text.matchAll(/^event: (\S+)$/gm)].map((match) => match[1]);
    expect(types[0]).toBe("run-start");
    expect(types.at(-1)).toBe("run-end");
    expect(text).toContain('"status":"completed"');
    expect((await jobOf(h, job.id)).status).toBe("completed");
  });

  it("SSE of a job run by a worker whose events never reach this server still ends with the whole run", async () => {
    const h = await open({ steps: [{ text: "from afar" }] });
    const elsewhere = h.workersElsewhere();
    const job = await create(h, { input: "run elsewhere", requires_approval: true });
    const body = Promise.resolve(
      h.request(h.tokens.acmeAdmin, "GET", `/api/v1/jobs/${job.id}/events`, undefined, {
        accept: "text/event-stream",
      }),
    ).then((response) => response.text());
    elsewhere.start();
    try {
      await h.request(h.tokens.acmeAdmin, "POST", `/api/v1/jobs/${job.id}/approve`);
      const text = await body;
      const types = [...text.matchAll(/^event: (\S+)$/gm)].map((match) => match[1]);
      expect(types[0]).toBe("run-start");
      expect(types.at(-1)).toBe("run-end");
      expect(text).toContain("from afar");
    } finally {
      await elsewhere.stop();
    }
  });

  it("abort: a queued job is aborted at once; a running one goes aborting → aborted and its run stops", async () => {
    const gate = deferred();
    const h = await open({ steps: [{ text: "never", gate: gate.promise }] });
    const queued = await create(h, { input: "later" });
    const abortedAtOnce = await h.request(h.tokens.acmeAdmin, "POST", `/api/v1/jobs/${queued.id}/abort`);
    expect((await json(abortedAtOnce)).status).toBe("aborted");

    h.workers.start();
    const job = await create(h, { input: "long task" });
    await eventually(
      () => Promise.resolve(h.model.requests.length),
      (count) => count === 1,
    );
    expect((await jobOf(h, job.id)).status).toBe("running");
    const abort = await h.request(h.tokens.acmeAdmin, "POST", `/api/v1/jobs/${job.id}/abort`);
    expect(abort.status).toBe(200);
    expect(["aborting", "aborted"]).toContain((await json(abort)).status);
    const done = await eventually(
      () => jobOf(h, job.id),
      (value) => value.status === "aborted",
    );
    expect(done.status).toBe("aborted");
    const events = await json(await h.request(h.tokens.acmeAdmin, "GET", `/api/v1/jobs/${job.id}/events`));
    expect(events.events.at(-1)).toMatchObject({ type: "run-end", status: "aborted" });
    const twice = await h.request(h.tokens.acmeAdmin, "POST", `/api/v1/jobs/${queued.id}/abort`);
    expect(twice.status).toBe(409);
  });

  it("pause holds new jobs in queued; state shows it; resume releases them; members may not", async () => {
    const h = await open({ steps: [{ text: "after resume" }] });
    h.workers.start();
    const forbidden = await h.request(h.tokens.acmeMember, "POST", "/api/v1/admin/pause");
    expect(forbidden.status).toBe(403);
    const paused = await h.request(h.tokens.acmeAdmin, "POST", "/api/v1/admin/pause");
    expect(await json(paused)).toEqual({ paused: true, aborted: 0 });
    const job = await create(h, { input: "wait for resume" });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await jobOf(h, job.id)).status).toBe("queued");
    const state = await json(await h.request(h.tokens.acmeAdmin, "GET", "/api/v1/admin/state"));
    expect(state).toMatchObject({ paused: true, queued: 1, running: 0, workers: [] });
    // Another tenant is not paused by acme's switch.
    expect((await json(await h.request(h.tokens.betaAdmin, "GET", "/api/v1/admin/state"))).paused).toBe(
      false,
    );

    expect(await json(await h.request(h.tokens.acmeAdmin, "POST", "/api/v1/admin/resume"))).toEqual({
      paused: false,
    });
    const done = await eventually(
      () => jobOf(h, job.id),
      (value) => value.status === "completed",
    );
    expect(done.output).toBe("after resume");
  });

  it("pause with abort_running aborts the running jobs; state lists their worker", async () => {
    const gate = deferred();
    const h = await open({ steps: [{ text: "never", gate: gate.promise }] });
    h.workers.start();
    const job = await create(h, { input: "long" });
    await eventually(
      () => jobOf(h, job.id),
      (value) => value.status === "running",
    );
    const state = await json(await h.request(h.tokens.acmeAdmin, "GET", "/api/v1/admin/state"));
    expect(state.running).toBe(1);
    expect(state.workers).toEqual([
      { id: h.workers.workerId, jobs: 1, lease_expires_at: expect.any(String) },
    ]);
    const paused = await h.request(h.tokens.acmeAdmin, "POST", "/api/v1/admin/pause", {
      abort_running: true,
    });
    expect(await json(paused)).toEqual({ paused: true, aborted: 1 });
    expect(
      (
        await eventually(
          () => jobOf(h, job.id),
          (value) => value.status === "aborted",
        )
      ).status,
    ).toBe("aborted");
  });

  it("hostile input: forged ids, another tenant's job, bad bodies and run_at are refused and store nothing", async () => {
    const h = await open();
    const job = await create(h, { input: "mine", requires_approval: true });
    const forged = [`job_${"0".repeat(32)}`, "..%2F..%2Fetc", "x".repeat(300), `${job.id}x`];
    for (const id of forged) {
      for (const [method, suffix] of [
        ["GET", ""],
        ["GET", "/events"],
        ["POST", "/approve"],
        ["POST", "/abort"],
      ]) {
        const response = await h.request(h.tokens.acmeAdmin, method as string, `/api/v1/jobs/${id}${suffix}`);
        expect(response.status, `${method} ${id}${suffix}`).toBe(404);
        expect((await json(response)).error.code).toBe("JOB_NOT_FOUND");
      }
    }
    for (const [method, suffix] of [
      ["GET", ""],
      ["GET", "/events"],
      ["POST", "/approve"],
      ["POST", "/abort"],
    ]) {
      const response = await h.request(
        h.tokens.betaAdmin,
        method as string,
        `/api/v1/jobs/${job.id}${suffix}`,
      );
      expect(response.status, `beta ${method} ${suffix}`).toBe(404);
    }
    expect((await json(await h.request(h.tokens.betaAdmin, "GET", "/api/v1/jobs"))).jobs).toEqual([]);

    const bad: [unknown, number, string][] = [
      [{ input: "no agent" }, 400, "BAD_REQUEST"],
      [{ agent: "helper", input: "" }, 400, "BAD_REQUEST"],
      [{ agent: "helper", input: "x", tenant: "beta" }, 400, "BAD_REQUEST"],
      [{ agent: "helper", input: "x", max_attempts: 0 }, 400, "BAD_REQUEST"],
      [{ agent: "helper", input: "x", max_attempts: 1.5 }, 400, "BAD_REQUEST"],
      [{ agent: "helper", input: "x", run_at: "tomorrow" }, 400, "BAD_REQUEST"],
      [{ agent: "helper", input: "x", run_at: "2026-13-45T99:00:00Z" }, 400, "BAD_REQUEST"],
      [{ agent: "helper", input: "x", requires_approval: "yes" }, 400, "BAD_REQUEST"],
      [{ agent: "helper", input: "x", session_id: "../escape" }, 400, "INVALID_NAME"],
      [{ agent: "nobody", input: "x" }, 404, "AGENT_NOT_FOUND"],
      ["{not json", 400, "BAD_REQUEST"],
      [[1, 2], 400, "BAD_REQUEST"],
    ];
    for (const [body, status, code] of bad) {
      const response = await h.request(h.tokens.acmeAdmin, "POST", "/api/v1/jobs", body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect((await json(response)).error.code, JSON.stringify(body)).toBe(code);
    }
    for (const query of ["status=done", "limit=0", "limit=abc", "cursor=forged", "extra=1"]) {
      const response = await h.request(h.tokens.acmeAdmin, "GET", `/api/v1/jobs?${query}`);
      expect(response.status, query).toBe(400);
    }
    const all = await json(await h.request(h.tokens.acmeAdmin, "GET", "/api/v1/jobs"));
    expect(all.jobs.map((item: { id: string }) => item.id)).toEqual([job.id]);
    const pauseBody = await h.request(h.tokens.acmeAdmin, "POST", "/api/v1/admin/pause", {
      abort_running: "yes",
    });
    expect(pauseBody.status).toBe(400);
    expect((await json(await h.request(h.tokens.acmeAdmin, "GET", "/api/v1/admin/state"))).paused).toBe(
      false,
    );
  });

  it("a dead worker's job is reclaimed after its lease, its cut-off run marked interrupted, and retried", async () => {
    const h = await open({
      steps: [{ text: "second try" }],
      pool: { leaseMs: 1000 },
    });
    const { job } = await h.jobs.create("acme", { agent: "helper", input: "survive a crash" });
    const claimed = await h.jobs.claim({ worker: "dead-worker", leaseMs: 1000 });
    expect(claimed?.id).toBe(job.id);
    // The dead worker had started attempt 1's run when it died.
    const key = { tenant: "acme", agent: "helper", session: job.id };
    const time = new Date().toISOString();
    await h.sessions.append(
      key,
      [
        {
          type: "run-start",
          runId: `run_${job.id}_a1`,
          time,
          agent: "helper",
          input: job.input,
          model: "scripted/test-model",
        },
      ],
      { expectedSeq: 0 },
    );
    h.workers.start();
    const done = await eventually(
      () => h.jobs.get("acme", job.id),
      (value) => value?.status === "completed",
    );
    expect(done).toMatchObject({ status: "completed", output: "second try", attempts: 2 });
    const ends = (await h.sessions.read(key)).filter((event) => event.type === "run-end");
    expect(ends).toMatchObject([
      { runId: `run_${job.id}_a1`, status: "failed", error: { code: "RUN_INTERRUPTED" } },
      { runId: `run_${job.id}_a2`, status: "completed" },
    ]);
  });

  it("a session store that is down for a moment gets the job retried after its lease, not failed", async () => {
    const store = new InMemorySessionStore();
    let outages = 1;
    // A real store whose first append fails as an unreachable server does.
    const flaky: SessionStore = {
      append: (key, events, options) => {
        if (outages-- > 0) {
          return Promise.reject(
            new PlutoError("BACKEND_UNAVAILABLE", "The session store is down.", { retryable: true }),
          );
        }
        return store.append(key, events, options);
      },
      read: (key, options) => store.read(key, options),
      info: (key) => store.info(key),
      list: (scope) => store.list(scope),
      delete: (key) => store.delete(key),
    };
    const h = await open({
      steps: [{ text: "cut off" }, { text: "after the outage" }],
      sessions: flaky,
      pool: { leaseMs: 1000 },
    });
    const { job } = await h.jobs.create("acme", { agent: "helper", input: "ride it out" });
    h.workers.start();
    const done = await eventually(
      () => h.jobs.get("acme", job.id),
      (value) => value?.status === "completed",
    );
    expect(done?.error).toBeUndefined();
    expect(done).toMatchObject({ status: "completed", output: "after the outage", attempts: 2 });
  });

  it("a job whose run completed before its worker died is finished from the log and never run again", async () => {
    const h = await open({ pool: { leaseMs: 1000 } });
    const { job } = await h.jobs.create("acme", { agent: "helper", input: "once only" });
    await h.jobs.claim({ worker: "dead-worker", leaseMs: 1000 });
    const key = { tenant: "acme", agent: "helper", session: job.id };
    const time = new Date().toISOString();
    const runId = `run_${job.id}_a1`;
    await h.sessions.append(
      key,
      [
        { type: "run-start", runId, time, agent: "helper", input: job.input, model: "scripted/test-model" },
        {
          type: "run-end",
          runId,
          time,
          status: "completed",
          usage: ZERO_USAGE,
          steps: 1,
          output: "first and only",
        },
      ],
      { expectedSeq: 0 },
    );
    h.workers.start();
    const done = await eventually(
      () => h.jobs.get("acme", job.id),
      (value) => value?.status === "completed",
    );
    expect(done).toMatchObject({ status: "completed", output: "first and only", attempts: 2 });
    expect(h.model.requests).toHaveLength(0);
    expect((await h.sessions.read(key)).filter((event) => event.type === "run-start")).toHaveLength(1);
  });
});
