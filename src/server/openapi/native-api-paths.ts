import { z } from "zod";
import { CreateRunBody } from "../schemas.js";
import {
  AbortRunResponse,
  AgentDetailResponse,
  AgentListResponse,
  AgentSummary,
  Diagnostic,
  HealthResponse,
  ReadinessResponse,
  RunResultResponse,
  SessionEvent,
  SessionEventsResponse,
  Usage,
} from "./native-api-schemas.js";
import type { OpenApiBuilder } from "./openapi-builder.js";

/** Path parameter `{agent}`: an agent name of the caller's tenant. */
export const AgentParameter = z.object({
  agent: z
    .string()
    .describe("Agent name: 1-128 letters, digits, `.`, `_`, `-`, starting with a letter or digit."),
});

/** An SSE body: frames `id:` (sequence number), `event:` (event type), `data:` (the event as JSON). */
export const EventStream = z
  .string()
  .describe(
    "Server-Sent Events: one frame per session event; `id:` is its `seq`, `event:` its `type`, `data:` the `SessionEvent` as JSON.",
  );

/**
 * Registers the native API (docs/http-api.md): health checks, agents, runs (JSON or SSE), session
 * replay and abort. `POST /api/v1/agents/{agent}/runs` takes the route's own `CreateRunBody`.
 */
export function registerNativeApiPaths(builder: OpenApiBuilder): void {
  const tags = ["Agents and runs"];
  // Named so that the schemas embedding them reference one component each.
  builder.schema("SessionEvent", SessionEvent, "response");
  builder.schema("Usage", Usage, "response");
  builder.schema("Diagnostic", Diagnostic, "response");
  builder.schema("AgentSummary", AgentSummary, "response");
  builder.path({
    method: "get",
    path: "/healthz",
    operationId: "getHealth",
    summary: "Liveness check",
    tags: ["Health"],
    security: [],
    responses: {
      200: {
        description: "The process is alive.",
        content: { "application/json": { schema: builder.schema("Health", HealthResponse, "response") } },
      },
    },
  });
  builder.path({
    method: "get",
    path: "/readyz",
    operationId: "getReadiness",
    summary: "Readiness check",
    tags: ["Health"],
    security: [],
    responses: {
      200: {
        description: "Start-up finished.",
        content: {
          "application/json": { schema: builder.schema("Readiness", ReadinessResponse, "response") },
        },
      },
      503: {
        description: "Still starting (`status: starting`).",
        content: {
          "application/json": { schema: builder.schema("Readiness", ReadinessResponse, "response") },
        },
      },
    },
  });
  builder.path({
    method: "get",
    path: "/api/v1/agents",
    operationId: "listAgents",
    summary: "List the tenant's agents",
    tags,
    responses: {
      200: {
        description: "Every agent of the caller's tenant, valid or not.",
        content: {
          "application/json": { schema: builder.schema("AgentList", AgentListResponse, "response") },
        },
      },
      ...builder.errors("pluto", 401, 429),
    },
  });
  builder.path({
    method: "get",
    path: "/api/v1/agents/{agent}",
    operationId: "getAgent",
    summary: "Describe one agent",
    tags,
    request: { params: AgentParameter },
    responses: {
      200: {
        description: "The agent's model, limits, tools and skills.",
        content: {
          "application/json": { schema: builder.schema("AgentDetail", AgentDetailResponse, "response") },
        },
      },
      ...builder.errors("pluto", 400, 401, 404, 422, 429),
    },
  });
  builder.path({
    method: "post",
    path: "/api/v1/agents/{agent}/runs",
    operationId: "createRun",
    summary: "Run the agent on one message",
    description:
      "Starts a run in the session `session_id` (a new session when absent). Without `stream` the answer is the finished run; with `stream: true` it is Server-Sent Events of the run's events, ending after `run-end`, with headers `x-pluto-run-id` and `x-pluto-session-id`. A run that started reports failure in its result (`status: failed`), never by HTTP status.",
    tags,
    request: {
      params: AgentParameter,
      body: {
        required: true,
        content: {
          "application/json": { schema: builder.schema("CreateRunBody", CreateRunBody, "request") },
        },
      },
    },
    responses: {
      200: {
        description: "The finished run (JSON), or its events as SSE when `stream` is true.",
        content: {
          "application/json": { schema: builder.schema("RunResult", RunResultResponse, "response") },
          "text/event-stream": { schema: EventStream },
        },
      },
      ...builder.errors("pluto", 400, 401, 404, 409, 413, 422, 429),
    },
  });
  builder.path({
    method: "get",
    path: "/api/v1/sessions/{session}/events",
    operationId: "listSessionEvents",
    summary: "Replay (and follow) a session's events",
    description:
      "The session's events after `after` as JSON; with `Accept: text/event-stream`, SSE that replays the log and then follows queued and running runs until the session is idle. Reconnecting SSE clients send `Last-Event-ID`.",
    tags,
    request: {
      params: z.object({ session: z.string().describe("Session id, e.g. the `session_id` of a run.") }),
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
      ...builder.errors("pluto", 400, 401, 404, 429),
    },
  });
  builder.path({
    method: "post",
    path: "/api/v1/runs/{run}/abort",
    operationId: "abortRun",
    summary: "Abort an active run",
    tags,
    request: {
      params: z.object({ run: z.string().describe("The run's id (`run_id`, header `x-pluto-run-id`).") }),
    },
    responses: {
      202: {
        description: "The run is being aborted; it ends with `run-end` status `aborted`.",
        content: {
          "application/json": { schema: builder.schema("AbortRunResult", AbortRunResponse, "response") },
        },
      },
      ...builder.errors("pluto", 401, 404, 429),
    },
  });
}
