import { Hono } from "hono";
import { isPlutoError } from "../../core/errors.js";
import type { JobStore } from "../../jobs/job-store.js";
import { readJsonBody } from "../request-body.js";
import { type AppEnv, identityOf } from "../request-identity.js";
import { PauseBody } from "./job-schemas.js";

/** Running jobs read per page when the state or `abort_running` walks them. */
const PAGE = 200;

/**
 * The panic switch (mount under the admin group, which lets only admins through; docs/jobs.md):
 * `GET /state` → `{paused, queued, running, workers}` of the caller's tenant, `POST /pause` (claims of
 * the tenant's jobs stop for every worker sharing the job store from their next claim; with
 * `{"abort_running": true}` running jobs are also asked to abort) and `POST /resume`.
 * `workers` are the lease owners of the tenant's running and aborting jobs (the store keeps no other
 * record of workers): `{id, jobs, lease_expires_at}` with the latest lease of each.
 */
export function jobAdminRoutes(options: { jobs: JobStore }): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const { jobs } = options;

  /** Every running and aborting job of the tenant, a page at a time. */
  async function* activeJobs(tenant: string) {
    for (const status of ["running", "aborting"] as const) {
      let cursor: string | undefined;
      do {
        const page = await jobs.list(tenant, {
          status,
          limit: PAGE,
          ...(cursor === undefined ? {} : { cursor }),
        });
        yield* page.jobs;
        cursor = page.nextCursor;
      } while (cursor !== undefined);
    }
  }

  routes.get("/state", async (context) => {
    const { tenant } = identityOf(context);
    const [paused, counts] = await Promise.all([jobs.isPaused(tenant), jobs.counts(tenant)]);
    const workers = new Map<string, { id: string; jobs: number; lease_expires_at: string }>();
    for await (const job of activeJobs(tenant)) {
      if (job.lease === undefined) continue;
      const worker = workers.get(job.lease.owner) ?? { id: job.lease.owner, jobs: 0, lease_expires_at: "" };
      worker.jobs += 1;
      if (job.lease.expiresAt > worker.lease_expires_at) worker.lease_expires_at = job.lease.expiresAt;
      workers.set(worker.id, worker);
    }
    return context.json({
      paused,
      needs_approval: counts.needs_approval,
      queued: counts.queued,
      running: counts.running,
      aborting: counts.aborting,
      workers: [...workers.values()],
    });
  });

  routes.post("/pause", async (context) => {
    const body = await readJsonBody(context, PauseBody, { optional: true });
    const { tenant } = identityOf(context);
    await jobs.setPaused(tenant, true);
    let aborted = 0;
    if (body.abort_running === true) {
      // Collected first: aborting moves jobs out of `running`, which would shift the pages.
      const running = [];
      for await (const job of activeJobs(tenant)) if (job.status === "running") running.push(job.id);
      for (const id of running) {
        try {
          await jobs.requestAbort(tenant, id);
          aborted += 1;
        } catch (error) {
          // A job that ended meanwhile has nothing left to abort.
          if (!isPlutoError(error) || error.code !== "JOB_CONFLICT") throw error;
        }
      }
    }
    return context.json({ paused: true, aborted });
  });

  routes.post("/resume", async (context) => {
    await jobs.setPaused(identityOf(context).tenant, false);
    return context.json({ paused: false });
  });

  return routes;
}
