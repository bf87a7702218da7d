import { z } from "zod";
import { StepRequestBody, TaskRequestBody } from "../agent-protocol/agent-protocol-schemas.js";
import type { OpenApiBuilder } from "./openapi-builder.js";

/**
 * The Agent Protocol v1 (AI Engineer Foundation, `schemas/openapi.yml`; docs/api-agent-protocol.md)
 * in the OpenAPI document, under both prefixes Pluto serves it at. Request bodies are the routes' own
 * (`agent-protocol/agent-protocol-schemas.ts`); responses follow the spec's `Task`, `Step`,
 * `Artifact` and `Pagination`, as `agent-protocol/agent-protocol-objects.ts` fills them.
 */

/** The spec's `Artifact`. */
export const ApArtifact = z.object({
  artifact_id: z.string(),
  agent_created: z.boolean(),
  file_name: z.string(),
  relative_path: z.string().nullable().describe("Folder in the agent's workspace, e.g. `python/code/`."),
});

/** The spec's `Pagination`. */
export const ApPagination = z.object({
  total_items: z.number().int(),
  total_pages: z.number().int(),
  current_page: z.number().int(),
  page_size: z.number().int(),
});

/** The spec's `Task`. */
export const ApTask = z.object({
  task_id: z.string(),
  input: z.string().nullable(),
  additional_input: z.record(z.string(), z.unknown()),
  artifacts: z.array(ApArtifact),
});

/** The spec's `Step`; `additional_output` carries Pluto's run outcome. */
export const ApStep = z.object({
  task_id: z.string(),
  step_id: z.string().describe("The run id of this turn."),
  name: z.string(),
  status: z.enum(["created", "running", "completed"]),
  input: z.string(),
  additional_input: z.record(z.string(), z.unknown()).optional(),
  output: z.string().nullable(),
  additional_output: z
    .looseObject({
      status: z.enum(["completed", "failed", "aborted", "awaiting-approval", "running"]),
    })
    .describe("Pluto's run outcome: `status`, `usage`, `model_steps`, `cost`, `error`."),
  artifacts: z.array(ApArtifact),
  is_last: z.boolean(),
});

/** `GET …/tasks`. */
export const ApTaskList = z.object({ tasks: z.array(ApTask), pagination: ApPagination });
/** `GET …/tasks/{task_id}/steps`. */
export const ApStepList = z.object({ steps: z.array(ApStep), pagination: ApPagination });
/** `GET …/tasks/{task_id}/artifacts`. */
export const ApArtifactList = z.object({ artifacts: z.array(ApArtifact), pagination: ApPagination });

/** The spec's `ArtifactUpload` (multipart form). */
export const ApArtifactUpload = z.object({
  file: z.string().meta({ format: "binary" }).describe("The file's bytes."),
  relative_path: z.string().optional().describe("Folder in the agent's workspace, e.g. `python/code/`."),
});

/** The prefixes the Agent Protocol is served at, with the suffix that keeps operation ids unique. */
const PREFIXES = [
  { prefix: "/ap/v1", idSuffix: "", tag: "Agent Protocol" },
  { prefix: "/api/v1", idSuffix: "Alias", tag: "Agent Protocol (alias)" },
] as const;

/** Registers the nine operations of the spec under `/ap/v1` and again under `/api/v1`. */
export function registerAgentProtocolPaths(builder: OpenApiBuilder): void {
  const json = (name: string, schema: z.ZodType) => ({
    "application/json": { schema: builder.schema(name, schema, "response") },
  });
  const taskParams = z.object({ task_id: z.string().describe("The task's id.") });
  const page = z.object({
    current_page: z.number().int().min(1).optional().describe("1-based page number. Default 1."),
    page_size: z.number().int().min(1).optional().describe("Items per page. Default 10, at most 100."),
  });
  const errors = (...statuses: number[]) => builder.errors("agent-protocol", 401, 429, ...statuses);
  builder.schema("Pagination", ApPagination, "response");
  for (const { prefix, idSuffix, tag } of PREFIXES) {
    const tags = [tag];
    const base = `${prefix}/agent/tasks`;
    builder.path({
      method: "post",
      path: base,
      operationId: `createAgentTask${idSuffix}`,
      summary: "Create a task",
      description:
        "A task is one Pluto session of one agent, chosen by the `x-pluto-agent` header, else `additional_input.agent`, else the tenant's only agent or the default agent. No run starts until a step is executed.",
      tags,
      request: {
        headers: z.object({ "x-pluto-agent": z.string().optional().describe("The agent of the new task.") }),
        body: {
          content: {
            "application/json": { schema: builder.schema("TaskRequestBody", TaskRequestBody, "request") },
          },
        },
      },
      responses: {
        200: { description: "The new task.", content: json("Task", ApTask) },
        ...errors(400, 404, 413),
      },
    });
    builder.path({
      method: "get",
      path: base,
      operationId: `listAgentTasks${idSuffix}`,
      summary: "List tasks",
      tags,
      request: { query: page },
      responses: {
        200: { description: "A page of tasks, oldest first.", content: json("TaskList", ApTaskList) },
        ...errors(400),
      },
    });
    builder.path({
      method: "get",
      path: `${base}/{task_id}`,
      operationId: `getAgentTask${idSuffix}`,
      summary: "Get a task",
      tags,
      request: { params: taskParams },
      responses: { 200: { description: "The task.", content: json("Task", ApTask) }, ...errors(404) },
    });
    builder.path({
      method: "post",
      path: `${base}/{task_id}/steps`,
      operationId: `executeAgentTaskStep${idSuffix}`,
      summary: "Execute a step (one agent turn)",
      description:
        "Runs one turn and answers when it ends. No body (or no `input`) means the task's input for the first step, then `continue`.",
      tags,
      request: {
        params: taskParams,
        body: {
          content: {
            "application/json": { schema: builder.schema("StepRequestBody", StepRequestBody, "request") },
          },
        },
      },
      responses: {
        200: { description: "The finished step.", content: json("Step", ApStep) },
        ...errors(400, 404, 409, 413),
      },
    });
    builder.path({
      method: "get",
      path: `${base}/{task_id}/steps`,
      operationId: `listAgentTaskSteps${idSuffix}`,
      summary: "List a task's steps",
      tags,
      request: { params: taskParams, query: page },
      responses: {
        200: { description: "A page of steps, oldest first.", content: json("StepList", ApStepList) },
        ...errors(400, 404),
      },
    });
    builder.path({
      method: "get",
      path: `${base}/{task_id}/steps/{step_id}`,
      operationId: `getAgentTaskStep${idSuffix}`,
      summary: "Get a step",
      tags,
      request: { params: taskParams.extend({ step_id: z.string().describe("The step's id.") }) },
      responses: { 200: { description: "The step.", content: json("Step", ApStep) }, ...errors(404) },
    });
    builder.path({
      method: "get",
      path: `${base}/{task_id}/artifacts`,
      operationId: `listAgentTaskArtifacts${idSuffix}`,
      summary: "List a task's artifacts",
      tags,
      request: { params: taskParams, query: page },
      responses: {
        200: { description: "A page of artifacts.", content: json("ArtifactList", ApArtifactList) },
        ...errors(400, 404),
      },
    });
    builder.path({
      method: "post",
      path: `${base}/{task_id}/artifacts`,
      operationId: `uploadAgentTaskArtifacts${idSuffix}`,
      summary: "Upload an artifact",
      tags,
      request: {
        params: taskParams,
        body: {
          required: true,
          content: {
            "multipart/form-data": { schema: builder.schema("ArtifactUpload", ApArtifactUpload, "request") },
          },
        },
      },
      responses: {
        200: { description: "The stored artifact.", content: json("Artifact", ApArtifact) },
        ...errors(400, 404, 413),
      },
    });
    builder.path({
      method: "get",
      path: `${base}/{task_id}/artifacts/{artifact_id}`,
      operationId: `downloadAgentTaskArtifact${idSuffix}`,
      summary: "Download an artifact's bytes",
      tags,
      request: { params: taskParams.extend({ artifact_id: z.string().describe("The artifact's id.") }) },
      responses: {
        200: {
          description: "The exact bytes, with `Content-Disposition: attachment`.",
          content: { "application/octet-stream": { schema: z.string().meta({ format: "binary" }) } },
        },
        ...errors(404),
      },
    });
  }
}
