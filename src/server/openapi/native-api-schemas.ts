import { z } from "zod";

/**
 * Response bodies of Pluto's native HTTP API (`/healthz`, `/readyz`, `/api/v1/agents…`, runs,
 * sessions; docs/http-api.md) as zod schemas, written after what `routes/*.ts` send and the event
 * vocabulary of `core/events.ts`. The request bodies are the routes' own (`schemas.ts`).
 */

/** `GET /healthz`. */
export const HealthResponse = z.object({ status: z.literal("ok") });

/** `GET /readyz`: `ready` with 200, `starting` with 503. */
export const ReadinessResponse = z.object({ status: z.enum(["ready", "starting"]) });

/** A load problem of an agent file (`core/diagnostic.ts`). */
export const Diagnostic = z.object({
  file: z.string(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
  path: z.string().optional().describe("Dotted key path inside the file, e.g. `spec.limits.max_steps`."),
  message: z.string(),
  fix: z.string(),
  severity: z.enum(["error", "warning"]).optional(),
});

/**
 * One agent of a listing. `valid` is false when its files do not load (`pluto validate` says why).
 * Catalogs over agents folders also send `diagnostics` and `checked` (`agents/agent-catalog.ts`).
 */
export const AgentSummary = z.object({
  name: z.string(),
  description: z.string(),
  valid: z.boolean(),
  diagnostics: z.array(Diagnostic).optional(),
  checked: z
    .boolean()
    .optional()
    .describe("False when the listing did not load the agent (large folders): `valid` is then presumed."),
});

/** `GET /api/v1/agents`. */
export const AgentListResponse = z.object({ agents: z.array(AgentSummary) });

/** `GET /api/v1/agents/{agent}`: the loaded definition, without prompts. */
export const AgentDetailResponse = z.object({
  name: z.string(),
  description: z.string(),
  labels: z.record(z.string(), z.string()),
  model: z.string().describe("`provider/model-id` from `spec.model`."),
  fallback_models: z.array(z.string()),
  limits: z.object({
    max_steps: z.number().int(),
    max_run_seconds: z.number(),
    max_tool_result_chars: z.number().int(),
    tool_timeout_seconds: z.number(),
  }),
  tools: z.object({
    builtin: z.array(z.string()),
    mcp: z.array(z.object({ name: z.string(), transport: z.enum(["stdio", "http", "catalog"]) })),
  }),
  skills: z.array(z.object({ name: z.string(), description: z.string() })),
});

/** Token counts (`core/events.ts` `Usage`). */
export const Usage = z.object({
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  totalTokens: z.number().int(),
  reasoningTokens: z.number().int().optional(),
  cachedInputTokens: z.number().int().optional(),
});

/** The error of a failed run or tool (`EventError`). */
export const EventError = z.object({ code: z.string(), message: z.string() });

/** How a run ended. */
export const RunStatus = z.enum(["completed", "failed", "aborted", "awaiting-approval"]);

/** `POST /api/v1/agents/{agent}/runs` without `stream`: the finished run. */
export const RunResultResponse = z.object({
  run_id: z.string(),
  session_id: z.string(),
  status: RunStatus,
  output: z.string().describe("The final answer text; empty when the run produced none."),
  steps: z.number().int().describe("Model steps taken."),
  usage: Usage,
  error: EventError.optional(),
});

/** Fields of every stored event. */
const eventBase = {
  runId: z.string(),
  time: z.string().describe("ISO-8601 time the event was produced."),
  seq: z.number().int().min(1).describe("1-based, gap-free position in the session log; the SSE `id:`."),
};

/**
 * One event of a session log (`SessionEvent`), a union on `type`. The same objects are the `data:` of
 * the SSE frames, whose `event:` is the `type`.
 */
export const SessionEvent = z.discriminatedUnion("type", [
  z.object({
    ...eventBase,
    type: z.literal("run-start"),
    agent: z.string(),
    input: z.string(),
    model: z.string(),
    continues: z
      .string()
      .optional()
      .describe("The run this one continues after its tool approvals were decided; `input` is then empty."),
  }),
  z.object({ ...eventBase, type: z.literal("step-start"), step: z.number().int(), model: z.string() }),
  z.object({ ...eventBase, type: z.literal("text-delta"), step: z.number().int(), text: z.string() }),
  z.object({ ...eventBase, type: z.literal("reasoning-delta"), step: z.number().int(), text: z.string() }),
  z.object({
    ...eventBase,
    type: z.literal("tool-call"),
    step: z.number().int(),
    toolCallId: z.string(),
    toolName: z.string(),
    input: z.unknown(),
  }),
  z.object({
    ...eventBase,
    type: z.literal("tool-approval-request"),
    step: z.number().int(),
    toolCallId: z.string(),
    toolName: z.string(),
    input: z.unknown(),
    reason: z.string().optional(),
  }),
  z.object({
    ...eventBase,
    type: z.literal("tool-approval-response"),
    toolCallId: z.string(),
    approved: z.boolean(),
    reason: z.string().optional(),
  }),
  z.object({
    ...eventBase,
    type: z.literal("tool-result"),
    step: z.number().int(),
    toolCallId: z.string(),
    toolName: z.string(),
    content: z.string().describe("What the model saw."),
    isError: z.boolean(),
    details: z.unknown().optional(),
    artifact: z.string().optional().describe("Artifact holding the full output when `content` was cut."),
  }),
  z.object({
    ...eventBase,
    type: z.literal("step-end"),
    step: z.number().int(),
    finishReason: z.enum(["stop", "length", "content-filter", "tool-calls", "error", "other", "unknown"]),
    usage: Usage,
  }),
  z.object({
    ...eventBase,
    type: z.literal("run-end"),
    status: RunStatus,
    usage: Usage,
    steps: z.number().int(),
    output: z.string().optional(),
    error: EventError.optional(),
    cost: z.number().optional().describe("US dollars, when the model's price is known."),
  }),
]);

/** `GET /api/v1/sessions/{session}/events` as JSON. */
export const SessionEventsResponse = z.object({
  session_id: z.string(),
  agent: z.string(),
  events: z.array(SessionEvent),
});

/** `POST /api/v1/runs/{run}/abort` (202). */
export const AbortRunResponse = z.object({ run_id: z.string(), aborted: z.literal(true) });
