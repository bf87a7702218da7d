import { z } from "zod";
import { CreateJobBody, JobObject, ListJobsQuery, PauseBody } from "../jobs/job-schemas.js";
import { EventStream } from "./native-api-paths.js";
import { SessionEventsResponse } from "./native-api-schemas.js";
import type { OpenApiBuilder } from "./openapi-builder.js";

/** `GET /api/v1/jobs`. */
export const JobListResponse = z.object({
  jobs: z.array(JobObject).describe("Newest first."),
  next_cursor: z.string().optional().describe("Present when more jobs follow; pass it as `cursor`."),
});

/** `GET /api/v1/admin/state`. */
export const AdminStateResponse = z.object({
  paused: z.boolean(),
  needs_approval: z.int(),
  queued: z.int(),
  running: z.int(),
  aborting: z.int(),
  workers: z
    .array(z.object({ id: z.string(), jobs: z.int(), lease_expires_at: z.string() }))
    .describe("Lease owners of the tenant's running and aborting jobs."),
});

/**
 * Registers the job API (`/api/v1/jobs…`) and the panic switch (`/api/v1/admin/state|pause|resume`)
 * (docs/jobs.md). Request bodies are the routes' own (`jobs/job-schemas.ts`).
 */
export function registerJobApiPaths(builder: OpenApiBuilder): void {
  const tags = ["Jobs"];
  const job = { "application/json": { schema: builder.schema("Job", JobObject, "response") } };
  const idParams = z.object({ id: z.string().describe("The job's id (`job_` + 32 hex digits).") });
  const errors = (...statuses: number[]) => builder.errors("pluto", 401, 429, ...statuses);

  builder.path({
    method: "post",
    path: "/api/v1/jobs",
    operationId: "createJob",
    summary: "Create a job (a run a worker executes)",
    description:
      "201 with the job (`needs_approval` with `requires_approval`, else `queued`); 200 with the existing job when `idempotency_key` matched one.",
    tags,
    request: {
      body: {
        required: true,
        content: {
          "application/json": { schema: builder.schema("CreateJobBody", CreateJobBody, "request") },
        },
      },
    },
    responses: {
      201: { description: "Created.", content: job },
      200: { description: "The job created earlier with this `idempotency_key`.", content: job },
      ...errors(400, 404, 409, 413),
    },
  });
  builder.path({
    method: "get",
    path: "/api/v1/jobs",
    operationId: "listJobs",
    summary: "List jobs",
    tags,
    request: { query: ListJobsQuery },
    responses: {
      200: {
        description: "One page of the tenant's jobs.",
        content: { "application/json": { schema: builder.schema("JobList", JobListResponse, "response") } },
      },
      ...errors(400),
    },
  });
  builder.path({
    method: "get",
    path: "/api/v1/jobs/{id}",
    operationId: "getJob",
    summary: "Get a job",
    tags,
    request: { params: idParams },
    responses: { 200: { description: "The job.", content: job }, ...errors(404) },
  });
  builder.path({
    method: "get",
    path: "/api/v1/jobs/{id}/events",
    operationId: "listJobEvents",
    summary: "Replay (and follow) a job's session events",
    description:
      "The events of the job's session (its runs) after `after` as JSON; with `Accept: text/event-stream`, SSE that replays them and follows the job until it ends (through approval, queueing and retries). Reconnecting SSE clients send `Last-Event-ID`.",
    tags,
    request: {
      params: idParams,
      query: z.object({
        after: z
          .string()
          .regex(/^\d{1,15}$/)
          .optional()
          .describe("Only events with a larger `seq`. Default 0."),
      }),
      headers: z.object({
        "last-event-id": z
          .string()
          .regex(/^\d{1,15}$/)
          .optional()
          .describe("SSE resume position; the larger of it and `after` applies."),
      }),
    },
    responses: {
      200: {
        description: "The events (JSON), or SSE frames with `Accept: text/event-stream`.",
        content: {
          "application/json": { schema: builder.schema("SessionEvents", SessionEventsResponse, "response") },
          "text/event-stream": { schema: EventStream },
        },
      },
      ...errors(400, 404),
    },
  });
  builder.path({
    method: "post",
    path: "/api/v1/jobs/{id}/approve",
    operationId: "approveJob",
    summary: "Approve a job waiting in needs_approval (it becomes queued)",
    tags,
    request: { params: idParams },
    responses: { 200: { description: "The job, now queued.", content: job }, ...errors(404, 409) },
  });
  builder.path({
    method: "post",
    path: "/api/v1/jobs/{id}/abort",
    operationId: "abortJob",
    summary: "Abort a job",
    description:
      "A job waiting for approval or queued is aborted at once; a running job becomes `aborting` until its worker stops the run and acknowledges (`aborted`).",
    tags,
    request: { params: idParams },
    responses: { 200: { description: "The job, aborted or aborting.", content: job }, ...errors(404, 409) },
  });

  const adminTags = ["Admin"];
  const adminErrors = (...statuses: number[]) => builder.errors("pluto", 401, 403, 429, ...statuses);
  builder.path({
    method: "get",
    path: "/api/v1/admin/state",
    operationId: "adminJobState",
    summary: "The panic switch's state: paused or not, job counts, workers",
    tags: adminTags,
    responses: {
      200: {
        description: "The tenant's state.",
        content: {
          "application/json": { schema: builder.schema("AdminState", AdminStateResponse, "response") },
        },
      },
      ...adminErrors(),
    },
  });
  builder.path({
    method: "post",
    path: "/api/v1/admin/pause",
    operationId: "adminPause",
    summary: "Pause: no worker claims the tenant's jobs until resume",
    description: "An empty body is allowed. `abort_running: true` also asks every running job to abort.",
    tags: adminTags,
    request: {
      body: {
        required: false,
        content: { "application/json": { schema: builder.schema("PauseBody", PauseBody, "request") } },
      },
    },
    responses: {
      200: {
        description: "Paused; `aborted` counts the running jobs asked to abort.",
        content: {
          "application/json": {
            schema: builder.schema(
              "PauseResult",
              z.object({ paused: z.literal(true), aborted: z.int() }),
              "response",
            ),
          },
        },
      },
      ...adminErrors(400),
    },
  });
  builder.path({
    method: "post",
    path: "/api/v1/admin/resume",
    operationId: "adminResume",
    summary: "Resume: workers claim the tenant's jobs again",
    tags: adminTags,
    responses: {
      200: {
        description: "Resumed.",
        content: {
          "application/json": {
            schema: builder.schema("ResumeResult", z.object({ paused: z.literal(false) }), "response"),
          },
        },
      },
      ...adminErrors(),
    },
  });
}
