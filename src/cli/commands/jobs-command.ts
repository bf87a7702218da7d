import { PlutoError } from "../../core/errors.js";
import { DEFAULT_TENANT } from "../../core/scope.js";
import { JOB_STATUSES, type JobStatus } from "../../jobs/job.js";
import { jobSessionId } from "../../jobs/job-runs.js";
import { jobsState, pauseJobs } from "../../jobs/panic-switch.js";
import type { Runtime } from "../../runtime.js";
import { type CliIo, type GlobalOptions, openRuntime } from "../cli-context.js";

/** The tenant option every jobs command takes. */
interface TenantOption {
  tenant?: string;
}

/** Opens the runtime, runs `work` with its job store, closes the runtime. */
async function withJobs(
  io: CliIo,
  globals: GlobalOptions,
  work: (jobs: Runtime["jobs"], runtime: Runtime) => Promise<number>,
): Promise<number> {
  const runtime = await openRuntime(io, globals);
  try {
    return await work(runtime.jobs, runtime);
  } finally {
    await runtime.close();
  }
}

/**
 * `pluto jobs list`: one line per job, newest first: id, status, agent, attempts/max, created, input
 * (first 60 characters). `--status`, `--agent` filter; `--limit` 1-200 (default 50).
 */
export function jobsListCommand(
  io: CliIo,
  globals: GlobalOptions,
  options: TenantOption & { status?: string; agent?: string; limit?: string },
): Promise<number> {
  if (options.status !== undefined && !JOB_STATUSES.includes(options.status as JobStatus)) {
    throw new PlutoError(
      "BAD_REQUEST",
      `--status must be one of ${JOB_STATUSES.join(", ")}, not ${JSON.stringify(options.status)}.`,
    );
  }
  return withJobs(io, globals, async (jobs) => {
    const page = await jobs.list(options.tenant ?? DEFAULT_TENANT, {
      ...(options.status === undefined ? {} : { status: options.status as JobStatus }),
      ...(options.agent === undefined ? {} : { agent: options.agent }),
      ...(options.limit === undefined ? {} : { limit: Number(options.limit) }),
    });
    if (page.jobs.length === 0)
      io.stderr.write('No jobs. Create one with `pluto jobs create AGENT "INPUT"`.\n');
    for (const job of page.jobs) {
      const input = job.input.replace(/\s+/g, " ").slice(0, 60);
      io.stdout.write(
        `${job.id}\t${job.status}\t${job.agent}\t${job.attempts}/${job.maxAttempts}\t${job.createdAt}\t${input}\n`,
      );
    }
    return 0;
  });
}

/** `pluto jobs show ID`: the job as JSON (the HTTP API's shape). @throws `JOB_NOT_FOUND`. */
export function jobsShowCommand(io: CliIo, globals: GlobalOptions, options: TenantOption & { id: string }) {
  return withJobs(io, globals, async (jobs) => {
    const { jobNotFound } = await import("../../jobs/job-input.js");
    const { jobJson } = await import("../../server/jobs/job-schemas.js");
    const job = await jobs.get(options.tenant ?? DEFAULT_TENANT, options.id);
    if (job === undefined) throw jobNotFound(options.id);
    io.stdout.write(`${JSON.stringify(jobJson(job), null, 2)}\n`);
    return 0;
  });
}

/**
 * `pluto jobs create AGENT INPUT`: prints the new job's id on stdout and its status on stderr. A
 * running `pluto serve` or `pluto worker` sharing the job store runs it.
 * @throws `AGENT_NOT_FOUND`, `BAD_REQUEST` (run_at, max_attempts), `INVALID_NAME`.
 */
export function jobsCreateCommand(
  io: CliIo,
  globals: GlobalOptions,
  options: TenantOption & {
    agent: string;
    input: string;
    session?: string;
    approval?: boolean;
    runAt?: string;
    maxAttempts?: string;
  },
): Promise<number> {
  const maxAttempts = options.maxAttempts === undefined ? undefined : Number(options.maxAttempts);
  return withJobs(io, globals, async (jobs, runtime) => {
    const tenant = options.tenant ?? DEFAULT_TENANT;
    await runtime.agents.get(options.agent, tenant);
    const { job } = await jobs.create(tenant, {
      agent: options.agent,
      input: options.input,
      ...(options.session === undefined ? {} : { sessionId: options.session }),
      ...(options.approval === true ? { requiresApproval: true } : {}),
      ...(options.runAt === undefined ? {} : { runAt: options.runAt }),
      ...(maxAttempts === undefined ? {} : { maxAttempts }),
    });
    io.stderr.write(
      `Created job ${job.id} (${job.status}, session ${jobSessionId(job)}).${
        job.status === "needs_approval" ? ` Approve it with \`pluto jobs approve ${job.id}\`.` : ""
      }\n`,
    );
    io.stdout.write(`${job.id}\n`);
    return 0;
  });
}

/** `pluto jobs approve ID` / `pluto jobs abort ID`: prints the job's new status. @throws `JOB_NOT_FOUND`, `JOB_CONFLICT`. */
export function jobsDecideCommand(
  io: CliIo,
  globals: GlobalOptions,
  options: TenantOption & { id: string; action: "approve" | "abort" },
): Promise<number> {
  return withJobs(io, globals, async (jobs) => {
    const tenant = options.tenant ?? DEFAULT_TENANT;
    const job =
      options.action === "approve"
        ? await jobs.approve(tenant, options.id)
        : await jobs.requestAbort(tenant, options.id);
    io.stdout.write(`${job.id}\t${job.status}\n`);
    return 0;
  });
}

/** `pluto pause [--abort-running]`: the panic switch; prints the state afterwards. */
export function pauseCommand(
  io: CliIo,
  globals: GlobalOptions,
  options: TenantOption & { abortRunning?: boolean },
): Promise<number> {
  return withJobs(io, globals, async (jobs) => {
    const tenant = options.tenant ?? DEFAULT_TENANT;
    const { aborted } = await pauseJobs(jobs, tenant, { abortRunning: options.abortRunning === true });
    const state = await jobsState(jobs, tenant);
    io.stdout.write(
      `paused: no new job of tenant "${tenant}" starts until \`pluto resume\` (${state.queued} queued, ${state.running} running, ${aborted} asked to abort)\n`,
    );
    return 0;
  });
}

/** `pluto resume`: workers claim the tenant's jobs again. */
export function resumeCommand(io: CliIo, globals: GlobalOptions, options: TenantOption): Promise<number> {
  return withJobs(io, globals, async (jobs) => {
    const tenant = options.tenant ?? DEFAULT_TENANT;
    await jobs.setPaused(tenant, false);
    io.stdout.write(`resumed: workers take jobs of tenant "${tenant}" again\n`);
    return 0;
  });
}
