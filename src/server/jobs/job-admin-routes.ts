import { Hono } from "hono";
import type { JobStore } from "../../jobs/job-store.js";
import { jobsState, pauseJobs } from "../../jobs/panic-switch.js";
import { readJsonBody } from "../request-body.js";
import { type AppEnv, identityOf } from "../request-identity.js";
import { PauseBody } from "./job-schemas.js";

/**
 * The panic switch (mount under the admin group, which lets only admins through; docs/jobs.md):
 * `GET /state` → `{paused, needs_approval, queued, running, aborting, workers}` of the caller's tenant
 * (`workers`: `{id, jobs, lease_expires_at}`, the lease owners of its running and aborting jobs),
 * `POST /pause` (no worker sharing the job store claims the tenant's jobs from its next claim on; with
 * `{"abort_running": true}` running jobs are also asked to abort) and `POST /resume`.
 */
export function jobAdminRoutes(options: { jobs: JobStore }): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const { jobs } = options;

  routes.get("/state", async (context) => {
    const state = await jobsState(jobs, identityOf(context).tenant);
    return context.json({
      paused: state.paused,
      needs_approval: state.needsApproval,
      queued: state.queued,
      running: state.running,
      aborting: state.aborting,
      workers: state.workers.map((worker) => ({
        id: worker.id,
        jobs: worker.jobs,
        lease_expires_at: worker.leaseExpiresAt,
      })),
    });
  });

  routes.post("/pause", async (context) => {
    const body = await readJsonBody(context, PauseBody, { optional: true });
    const { aborted } = await pauseJobs(jobs, identityOf(context).tenant, {
      abortRunning: body.abort_running === true,
    });
    return context.json({ paused: true, aborted });
  });

  routes.post("/resume", async (context) => {
    await jobs.setPaused(identityOf(context).tenant, false);
    return context.json({ paused: false });
  });

  return routes;
}
