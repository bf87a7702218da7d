import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { isPlutoError, PlutoError } from "../../core/errors.js";
import type { SessionEvent } from "../../core/events.js";
import type { Scope } from "../../core/scope.js";
import type { ArtifactStore } from "../../services/artifact/artifact-store.js";
import type { SessionKey } from "../../services/session/session-store.js";
import type { TaskStore } from "../../services/task/task-store.js";
import type { AppOptions } from "../app-options.js";
import { decideFromInput, decisionInputOf } from "../decision-input.js";
import { statusForCode } from "../error-status.js";
import { readJsonBody } from "../request-body.js";
import { identityOf } from "../request-identity.js";
import {
  artifactObject,
  type SessionTurn,
  stepObject,
  taskObject,
  turnsOf,
} from "./agent-protocol-objects.js";
import {
  type AgentProtocolTaskData,
  pageOf,
  pageRequest,
  paginationOf,
  StepRequestBody,
  type StoredArtifact,
  TaskRequestBody,
} from "./agent-protocol-schemas.js";
import {
  AGENT_HEADER,
  chooseAgent,
  type LoadedTask,
  loadTask,
  PROTOCOL,
  taskDataOf,
  updateTaskData,
} from "./agent-protocol-tasks.js";
import { contentDisposition, readArtifactUpload, storedFileName } from "./task-artifact-upload.js";

/** What the Agent Protocol routes need: the app's agents, runs and sessions plus tasks and artifacts. */
export type AgentProtocolOptions = Pick<
  AppOptions,
  "agents" | "runs" | "sessions" | "defaultAgent" | "onUnexpectedError"
> & {
  tasks: TaskStore;
  artifacts: ArtifactStore;
};

/** The text a step without input sends to the agent. */
export const CONTINUE_INPUT = "continue";

/**
 * The Agent Protocol v1 (AI Engineer Foundation, `schemas/openapi.yml`), mounted at `/ap/v1` and
 * `/api/v1`: `/agent/tasks` (create, list), `/agent/tasks/{task_id}`, `/steps` (execute one agent turn,
 * list, get), `/artifacts` (multipart upload, list, download). A task is a Pluto session of one agent;
 * a step is one run in it. See docs/api-agent-protocol.md for the choices the spec leaves open.
 * Everything is scoped to the caller's tenant (`identityOf`); another tenant's ids are 404s.
 * Errors use Pluto's format plus a top-level `message` (the spec's `NotFound` schema requires it).
 */
export function agentProtocolRoutes(options: AgentProtocolOptions): Hono {
  const routes = new Hono();
  const tenantOf = (context: Parameters<typeof identityOf>[0]) => identityOf(context).tenant;
  // Tasks list oldest first by createdAt; strictly increasing times keep tasks created within one
  // millisecond in creation order (the store breaks remaining ties by id).
  let lastCreated = 0;
  const creationTime = () => {
    lastCreated = Math.max(Date.now(), lastCreated + 1);
    return new Date(lastCreated).toISOString();
  };

  routes.post("/agent/tasks", async (context) => {
    const tenant = tenantOf(context);
    const body = await readJsonBody(context, TaskRequestBody, { optional: true });
    const additionalInput = body.additional_input ?? undefined;
    const agent = await chooseAgent({
      agents: options.agents,
      tenant,
      header: context.req.header(AGENT_HEADER),
      additionalInput,
      defaultAgent: options.defaultAgent,
    });
    const id = randomUUID();
    const data: AgentProtocolTaskData = {
      input: body.input ?? null,
      additional_input: additionalInput ?? {},
      artifacts: [],
      step_inputs: {},
    };
    const record = await options.tasks.put(
      tenant,
      { id, protocol: PROTOCOL, agent, session: id, createdAt: creationTime(), data },
      { expectedVersion: 0 },
    );
    return context.json(taskObject(record, data));
  });

  routes.get("/agent/tasks", async (context) => {
    const page = pageRequest((name) => context.req.query(name));
    const { tasks, total } = await options.tasks.list(tenantOf(context), PROTOCOL, {
      offset: (page.currentPage - 1) * page.pageSize,
      limit: page.pageSize,
    });
    return context.json({
      tasks: tasks.map((record) => taskObject(record, taskDataOf(record))),
      pagination: paginationOf(total, page),
    });
  });

  routes.get("/agent/tasks/:task_id", async (context) => {
    const { record, data } = await loadTask(options.tasks, tenantOf(context), context.req.param("task_id"));
    return context.json(taskObject(record, data));
  });

  routes.post("/agent/tasks/:task_id/steps", async (context) => {
    const tenant = tenantOf(context);
    const taskId = context.req.param("task_id");
    const task = await loadTask(options.tasks, tenant, taskId);
    const body = await readJsonBody(context, StepRequestBody, { optional: true });
    const decision = decisionInputOf(body.additional_input, "additional_input");
    if (decision !== undefined && body.input != null && body.input.trim() !== "") {
      throw new PlutoError(
        "BAD_REQUEST",
        "A step that decides a tool approval (additional_input.decision) takes no input: send the decision and the message as two steps.",
      );
    }
    const input = decision === undefined ? await stepInput(task, tenant, body.input ?? undefined) : "";
    const handle =
      decision === undefined
        ? await options.runs.start({
            agent: task.record.agent,
            input,
            sessionId: task.record.session,
            tenant,
            // The session id is the task's own unique id: no other agent can hold it.
            checkOwner: false,
          })
        : await decideFromInput(options.runs, sessionKeyOf(task, tenant), decision);
    const additionalInput = body.additional_input ?? undefined;
    if (additionalInput !== undefined) {
      await updateTaskData({
        tasks: options.tasks,
        tenant,
        taskId,
        change: (data) => ({
          ...data,
          step_inputs: { ...data.step_inputs, [handle.runId]: additionalInput },
        }),
      });
    }
    const end = await handle.result;
    const updated = await recordAgentArtifacts(tenant, task, handle.runId);
    // A decision that leaves other calls waiting starts no run: the step shown is the waiting one.
    const logged = end.status === "awaiting-approval" ? turnsOf(await sessionEvents(task, tenant)) : [];
    const turn: SessionTurn = logged.find((candidate) => candidate.runId === end.runId) ?? {
      runId: handle.runId,
      input,
      end,
    };
    return context.json(stepObject({ task: updated.record, data: updated.data, turn }));
  });

  routes.get("/agent/tasks/:task_id/steps", async (context) => {
    const tenant = tenantOf(context);
    const task = await loadTask(options.tasks, tenant, context.req.param("task_id"));
    const page = pageRequest((name) => context.req.query(name));
    const turns = turnsOf(await sessionEvents(task, tenant));
    return context.json({
      steps: pageOf(turns, page).map((turn) => stepObject({ task: task.record, data: task.data, turn })),
      pagination: paginationOf(turns.length, page),
    });
  });

  routes.get("/agent/tasks/:task_id/steps/:step_id", async (context) => {
    const tenant = tenantOf(context);
    const task = await loadTask(options.tasks, tenant, context.req.param("task_id"));
    const stepId = context.req.param("step_id");
    const turn = turnsOf(await sessionEvents(task, tenant)).find((candidate) => candidate.runId === stepId);
    if (turn === undefined) {
      throw new PlutoError(
        "NOT_FOUND",
        `Task ${task.record.id} has no step ${JSON.stringify(stepId.slice(0, 80))}. List its steps with GET /ap/v1/agent/tasks/${task.record.id}/steps.`,
        { details: { task_id: task.record.id, step_id: stepId.slice(0, 200) } },
      );
    }
    return context.json(stepObject({ task: task.record, data: task.data, turn }));
  });

  routes.get("/agent/tasks/:task_id/artifacts", async (context) => {
    const task = await loadTask(options.tasks, tenantOf(context), context.req.param("task_id"));
    const page = pageRequest((name) => context.req.query(name));
    return context.json({
      artifacts: pageOf(task.data.artifacts, page).map(artifactObject),
      pagination: paginationOf(task.data.artifacts.length, page),
    });
  });

  routes.post("/agent/tasks/:task_id/artifacts", async (context) => {
    const tenant = tenantOf(context);
    const taskId = context.req.param("task_id");
    const task = await loadTask(options.tasks, tenant, taskId);
    const upload = await readArtifactUpload(context);
    const artifactId = randomUUID();
    const scope: Scope = { tenant, agent: task.record.agent };
    const name = `tasks/${task.record.id}/${artifactId}/${storedFileName(upload.fileName)}`;
    await options.artifacts.put(scope, name, upload.bytes, {
      mediaType: upload.mediaType,
      metadata: { taskId: task.record.id, artifactId, session: task.record.session },
    });
    const artifact: StoredArtifact = {
      artifact_id: artifactId,
      agent_created: false,
      file_name: upload.fileName,
      relative_path: upload.relativePath,
      name,
    };
    try {
      await updateTaskData({
        tasks: options.tasks,
        tenant,
        taskId,
        change: (data) => ({ ...data, artifacts: [...data.artifacts, artifact] }),
      });
    } catch (error) {
      await options.artifacts.delete(scope, name).catch(() => {});
      throw error;
    }
    return context.json({
      artifact_id: artifactId,
      agent_created: false,
      file_name: upload.fileName,
      relative_path: upload.relativePath,
    });
  });

  routes.get("/agent/tasks/:task_id/artifacts/:artifact_id", async (context) => {
    const tenant = tenantOf(context);
    const task = await loadTask(options.tasks, tenant, context.req.param("task_id"));
    const artifactId = context.req.param("artifact_id");
    const artifact = task.data.artifacts.find((candidate) => candidate.artifact_id === artifactId);
    const stored =
      artifact === undefined
        ? undefined
        : await options.artifacts.get({ tenant, agent: task.record.agent }, artifact.name);
    if (artifact === undefined || stored === undefined) {
      throw new PlutoError(
        "ARTIFACT_NOT_FOUND",
        `Task ${task.record.id} has no artifact ${JSON.stringify(artifactId.slice(0, 80))}. List them with GET /ap/v1/agent/tasks/${task.record.id}/artifacts.`,
        { details: { task_id: task.record.id, artifact_id: artifactId.slice(0, 200) } },
      );
    }
    return new Response(stored.body, {
      status: 200,
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(stored.body.byteLength),
        "content-disposition": contentDisposition(artifact.file_name),
        "x-content-type-options": "nosniff",
      },
    });
  });

  routes.onError((error, context) => {
    if (isPlutoError(error)) {
      return context.json({ error: error.toJSON(), message: error.message }, statusForCode(error.code));
    }
    options.onUnexpectedError?.(error);
    const message = "Internal error; the server log has the details.";
    return context.json({ error: { code: "INTERNAL", message }, message }, 500);
  });

  /**
   * The text a step sends: its own input when it has one; else, for a task's first step, the task's
   * input; else {@link CONTINUE_INPUT}.
   */
  async function stepInput(task: LoadedTask, tenant: string, input: string | undefined): Promise<string> {
    if (input !== undefined && input.trim() !== "") return input;
    const first = task.data.input !== null && task.data.input.trim() !== "";
    if (first && (await options.sessions.info(sessionKeyOf(task, tenant))) === undefined) {
      return task.data.input as string;
    }
    return CONTINUE_INPUT;
  }

  /** The task's session log; recovers a run cut off by a crash when the session is idle here. */
  async function sessionEvents(task: LoadedTask, tenant: string): Promise<SessionEvent[]> {
    const key = sessionKeyOf(task, tenant);
    return options.runs.isBusy(key) ? options.sessions.read(key) : options.runs.touch(key);
  }

  /** Adds the artifacts a run's tools wrote (metadata `runId`) to the task, as agent-created artifacts of that step. */
  async function recordAgentArtifacts(tenant: string, task: LoadedTask, runId: string): Promise<LoadedTask> {
    const produced = (await options.artifacts.list({ tenant, agent: task.record.agent })).filter(
      (info) => info.metadata.runId === runId,
    );
    if (produced.length === 0) return loadTask(options.tasks, tenant, task.record.id);
    return updateTaskData({
      tasks: options.tasks,
      tenant,
      taskId: task.record.id,
      change: (data) => {
        const known = new Set(data.artifacts.map((artifact) => artifact.name));
        for (const info of produced) {
          if (known.has(info.name)) continue;
          const slash = info.name.lastIndexOf("/");
          data.artifacts.push({
            artifact_id: randomUUID(),
            agent_created: true,
            file_name: info.name.slice(slash + 1),
            relative_path: slash < 0 ? null : `${info.name.slice(0, slash)}/`,
            name: info.name,
            step_id: runId,
          });
        }
        return data;
      },
    });
  }

  return routes;
}

/** The session key of a task in `tenant`. */
function sessionKeyOf(task: LoadedTask, tenant: string): SessionKey {
  return { tenant, agent: task.record.agent, session: task.record.session };
}
