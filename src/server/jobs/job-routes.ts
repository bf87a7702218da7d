import { Hono } from "hono";
import { PlutoError } from "../../core/errors.js";
import { isTerminalJobStatus, type Job } from "../../jobs/job.js";
import { jobNotFound } from "../../jobs/job-input.js";
import { jobSessionId } from "../../jobs/job-runs.js";
import type { JobStore } from "../../jobs/job-store.js";
import type { AppOptions } from "../app-options.js";
import { readJsonBody } from "../request-body.js";
import { type AppEnv, identityOf } from "../request-identity.js";
import { sessionEventsResponse } from "../streams/session-events-response.js";
import { CreateJobBody, jobJson, ListJobsQuery } from "./job-schemas.js";

/** Options of {@link jobRoutes}. */
export type JobRoutesOptions = Pick<AppOptions, "agents" | "runs" | "sessions"> & { jobs: JobStore };

/**
 * The job API (mount at `/api/v1`; docs/jobs.md): create, list, get, approve and abort the caller's
 * tenant's jobs, and replay a job's session events. Workers (`pluto serve`, `pluto worker`) run them.
 * Every id that is not a job of the caller's tenant is 404 `JOB_NOT_FOUND`; a transition the job's
 * state refuses is 409 `JOB_CONFLICT`; bad bodies and queries are 400 `BAD_REQUEST`.
 */
export function jobRoutes(options: JobRoutesOptions): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const { jobs } = options;

  /** The caller's job, or 404. */
  const jobOf = async (tenant: string, id: string): Promise<Job> => {
    const job = await jobs.get(tenant, id);
    if (job === undefined) throw jobNotFound(id);
    return job;
  };

  routes.post("/jobs", async (context) => {
    const body = await readJsonBody(context, CreateJobBody);
    const { tenant } = identityOf(context);
    // Refuse now what the worker would fail on later: an unknown agent, another agent's session.
    await options.agents.get(body.agent, tenant);
    if (body.session_id !== undefined) {
      const owner = await options.runs.findSession(body.session_id, tenant);
      if (owner !== undefined && owner.agent !== body.agent) {
        throw new PlutoError(
          "SESSION_CONFLICT",
          `Session ${JSON.stringify(body.session_id)} belongs to agent "${owner.agent}". Use that agent, or another session_id.`,
          { details: { session: body.session_id, agent: owner.agent } },
        );
      }
    }
    const { job, created } = await jobs.create(tenant, {
      agent: body.agent,
      input: body.input,
      ...(body.session_id === undefined ? {} : { sessionId: body.session_id }),
      ...(body.requires_approval === undefined ? {} : { requiresApproval: body.requires_approval }),
      ...(body.run_at === undefined ? {} : { runAt: body.run_at }),
      ...(body.max_attempts === undefined ? {} : { maxAttempts: body.max_attempts }),
      ...(body.idempotency_key === undefined ? {} : { idempotencyKey: body.idempotency_key }),
    });
    context.header("location", `/api/v1/jobs/${job.id}`);
    return context.json(jobJson(job), created ? 201 : 200);
  });

  routes.get("/jobs", async (context) => {
    const parsed = ListJobsQuery.safeParse(context.req.query());
    if (!parsed.success) {
      const summary = parsed.error.issues
        .map((issue) => `${issue.path.join(".") || "(query)"}: ${issue.message}`)
        .join("; ");
      throw new PlutoError("BAD_REQUEST", `The query is invalid: ${summary}`);
    }
    const query = parsed.data;
    const page = await jobs.list(identityOf(context).tenant, {
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.agent === undefined ? {} : { agent: query.agent }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      ...(query.limit === undefined ? {} : { limit: Number(query.limit) }),
    });
    return context.json({
      jobs: page.jobs.map(jobJson),
      ...(page.nextCursor === undefined ? {} : { next_cursor: page.nextCursor }),
    });
  });

  routes.get("/jobs/:id", async (context) =>
    context.json(jobJson(await jobOf(identityOf(context).tenant, context.req.param("id")))),
  );

  routes.get("/jobs/:id/events", async (context) => {
    const job = await jobOf(identityOf(context).tenant, context.req.param("id"));
    const key = { tenant: job.tenant, agent: job.agent, session: jobSessionId(job) };
    return sessionEventsResponse(context, {
      runs: options.runs,
      sessions: options.sessions,
      key,
      // SSE follows the job until it ends, through approval, queueing and retries.
      pending: async () => {
        const current = await jobs.get(job.tenant, job.id);
        return current !== undefined && !isTerminalJobStatus(current.status);
      },
    });
  });

  routes.post("/jobs/:id/approve", async (context) => {
    const id = context.req.param("id");
    return context.json(jobJson(await jobs.approve(identityOf(context).tenant, id)));
  });

  routes.post("/jobs/:id/abort", async (context) => {
    const id = context.req.param("id");
    return context.json(jobJson(await jobs.requestAbort(identityOf(context).tenant, id)));
  });

  return routes;
}
