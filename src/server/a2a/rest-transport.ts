import {
  A2A_CONTENT_TYPE,
  A2A_VERSION_HEADER,
  AgentCard,
  Extensions,
  HTTP_EXTENSION_HEADER,
  ListTasksResponse,
  SendMessageRequest,
  SendMessageResponse,
  StreamResponse,
  Task,
  TaskState,
  taskStateFromJSON,
} from "@a2a-js/sdk";
import {
  PushNotificationNotSupportedError,
  RequestMalformedError,
  restStatusFor,
  toRestErrorBody,
} from "@a2a-js/sdk/errors";
import { type A2ARequestHandler, type ServerCallContext, validateVersion } from "@a2a-js/sdk/server";
import type { Context } from "hono";
import type { Scope } from "../../core/scope.js";
import { createCallContext } from "./a2a-scope.js";
import { sseResponse } from "./a2a-sse.js";
import { mistypedPart } from "./message-parts-check.js";
import { normaliseVersion } from "./protocol-version.js";

/** A matched HTTP+JSON route: what to call once the context is built. */
type RestAction = (call: {
  context: ServerCallContext;
  body: () => Promise<Record<string, unknown>>;
}) => Promise<Response>;

/**
 * Answers one A2A HTTP+JSON request (A2A v1.0 section 11, "HTTP+JSON/REST binding"; the paths of the
 * SDK's Express `restHandler`, relative to `/a2a/{agent}/rest`):
 * `POST /message:send`, `POST /message:stream` (SSE), `GET /tasks`, `GET /tasks/{id}`,
 * `POST /tasks/{id}:cancel`, `GET|POST /tasks/{id}:subscribe` (SSE), `GET /extendedAgentCard`.
 * Bodies are ProtoJSON (`application/json` or `application/a2a+json`); answers are
 * `application/a2a+json`; errors are the SDK's `google.rpc.Status` body with its HTTP status.
 * Tenant-prefixed paths (`/{tenant}/…`, which the SDK's client uses when a card names a tenant) are
 * served like the plain ones: the A2A tenant is the client's label, Pluto's tenant is the API key's. Without an
 * `A2A-Version` header the request is taken as 1.0 (v0.3's REST binding is not offered).
 */
export async function handleRest(options: {
  context: Context;
  scope: Scope;
  card: AgentCard;
  handler: A2ARequestHandler;
  /** The path after `/a2a/{agent}/rest`, starting with `/`. */
  path: string;
}): Promise<Response> {
  const { context, handler } = options;
  try {
    const action = routeWithTenant(options.path, context.req.method, context.req.query(), handler);
    const callContext = createCallContext({
      scope: options.scope,
      requestedVersion: normaliseVersion(context.req.header(A2A_VERSION_HEADER) ?? "1.0"),
      requestedExtensions: Extensions.parseServiceParameter(context.req.header(HTTP_EXTENSION_HEADER)),
    });
    validateVersion(callContext.requestedVersion, options.card, "HTTP+JSON");
    return await action({ context: callContext, body: () => readBody(context) });
  } catch (error) {
    return restError(error);
  }
}

/** {@link route}, or the same route after one leading `/{tenant}` segment. */
function routeWithTenant(
  path: string,
  method: string,
  query: Record<string, string>,
  handler: A2ARequestHandler,
): RestAction {
  try {
    return route(path, method, query, handler);
  } catch (error) {
    const rest = /^\/[^/:]+(\/.+)$/.exec(path)?.[1];
    if (!(error instanceof NotFound) || rest === undefined) throw error;
    return route(rest, method, query, handler);
  }
}

function route(
  path: string,
  method: string,
  query: Record<string, string>,
  handler: A2ARequestHandler,
): RestAction {
  if (path === "/message:send" && method === "POST") {
    return async ({ context, body }) => {
      const result = await handler.sendMessage(sendRequest(await body()), context);
      const payload =
        "messageId" in result
          ? { payload: { $case: "message" as const, value: result } }
          : { payload: { $case: "task" as const, value: result } };
      return json(SendMessageResponse.toJSON(payload));
    };
  }
  if (path === "/message:stream" && method === "POST") {
    return async ({ context, body }) => stream(handler.sendMessageStream(sendRequest(await body()), context));
  }
  if (path === "/tasks" && method === "GET") {
    return async ({ context }) => {
      const includeArtifacts = query.includeArtifacts === "true";
      const result = await handler.listTasks(
        {
          tenant: "",
          contextId: query.contextId ?? "",
          status: parseStatus(query.status),
          pageSize:
            query.pageSize === undefined || query.pageSize === ""
              ? undefined
              : integer("pageSize", query.pageSize, 1, 100),
          pageToken: query.pageToken ?? "",
          historyLength:
            query.historyLength === undefined || query.historyLength === ""
              ? undefined
              : integer("historyLength", query.historyLength, 0, Number.MAX_SAFE_INTEGER),
          statusTimestampAfter: query.statusTimestampAfter || undefined,
          includeArtifacts,
        },
        context,
      );
      const serialised = ListTasksResponse.toJSON(result) as Record<string, unknown>;
      const tasks = (serialised.tasks as Record<string, unknown>[] | undefined) ?? [];
      return json({
        ...serialised,
        tasks: includeArtifacts ? tasks.map((task) => ({ artifacts: [], ...task })) : tasks,
        nextPageToken: result.nextPageToken,
        pageSize: result.pageSize,
        totalSize: result.totalSize,
      });
    };
  }
  if (path === "/extendedAgentCard" && method === "GET") {
    return async ({ context }) =>
      json(AgentCard.toJSON(await handler.getAuthenticatedExtendedAgentCard({ tenant: "" }, context)));
  }
  const task = /^\/tasks\/([^/:]+)(:cancel|:subscribe|\/pushNotificationConfigs(?:\/[^/]+)?)?$/.exec(path);
  if (task !== null) {
    const id = decodeTaskId(task[1] ?? "");
    const suffix = task[2];
    if (suffix === undefined && method === "GET") {
      return async ({ context }) => {
        const historyLength =
          query.historyLength === undefined
            ? undefined
            : integer("historyLength", query.historyLength, 0, Number.MAX_SAFE_INTEGER);
        return json(Task.toJSON(await handler.getTask({ tenant: "", id, historyLength }, context)));
      };
    }
    if (suffix === ":cancel" && method === "POST") {
      return async ({ context }) =>
        json(Task.toJSON(await handler.cancelTask({ tenant: "", id, metadata: {} }, context)));
    }
    if (suffix === ":subscribe" && (method === "GET" || method === "POST")) {
      return async ({ context }) => stream(handler.resubscribe({ tenant: "", id }, context));
    }
    if (suffix?.startsWith("/pushNotificationConfigs") === true) {
      return async () => {
        throw new PushNotificationNotSupportedError(
          "Pluto does not send push notifications; stream or poll the task.",
        );
      };
    }
  }
  throw new NotFound(method, path);
}

/**
 * A task id from the path, percent-decoded (Hono leaves `%2F` and malformed sequences as they are).
 * @throws RequestMalformedError (400 `INVALID_ARGUMENT`) when the id is not valid percent-encoded UTF-8
 */
function decodeTaskId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new RequestMalformedError(
      `The task id ${JSON.stringify(raw.slice(0, 80))} is not valid percent-encoded UTF-8; encode task ids with encodeURIComponent.`,
    );
  }
}

/** A path this binding does not serve. */
class NotFound extends Error {
  constructor(method: string, path: string) {
    super(`No A2A HTTP+JSON route ${method} ${path.slice(0, 200)}.`);
  }
}

async function readBody(context: Context): Promise<Record<string, unknown>> {
  const type = context.req.header("content-type");
  if (type !== undefined && !/^application\/(a2a\+)?json\s*(;|$)/i.test(type.trim())) {
    throw new RequestMalformedError(
      `Unsupported Content-Type "${type.slice(0, 100)}"; use application/a2a+json.`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(await context.req.text());
  } catch {
    throw new RequestMalformedError("Invalid JSON payload.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RequestMalformedError("The body must be a JSON object.");
  }
  return value as Record<string, unknown>;
}

function sendRequest(body: Record<string, unknown>): SendMessageRequest {
  const problem = mistypedPart(body.message);
  if (problem !== undefined) throw new RequestMalformedError(problem);
  const request = SendMessageRequest.fromJSON(body);
  if (request.message === undefined) throw new RequestMalformedError("message is required");
  if (request.message.messageId === "") throw new RequestMalformedError("message.messageId is required");
  return { ...request, tenant: "" };
}

function parseStatus(value: string | undefined): TaskState {
  if (value === undefined || value === "") return TaskState.TASK_STATE_UNSPECIFIED;
  const state = taskStateFromJSON(/^\d+$/.test(value) ? Number(value) : value);
  if (state === TaskState.UNRECOGNIZED)
    throw new RequestMalformedError(`Unknown task status ${JSON.stringify(value.slice(0, 40))}.`);
  return state;
}

function integer(name: string, value: string, min: number, max: number): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new RequestMalformedError(`${name} must be an integer from ${min} to ${max}.`);
  }
  return parsed;
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": A2A_CONTENT_TYPE } });
}

function restError(error: unknown): Response {
  if (error instanceof NotFound) {
    return json({ error: { code: 404, status: "NOT_FOUND", message: error.message, details: [] } }, 404);
  }
  const status = restStatusFor(error);
  return json(toRestErrorBody(error, status), status);
}

async function stream(events: AsyncGenerator<StreamResponse, void, undefined>): Promise<Response> {
  const first = await events.next();
  return sseResponse({
    first,
    rest: events,
    encode: (event) => StreamResponse.toJSON(event),
    encodeError: (error) => toRestErrorBody(error, restStatusFor(error)),
  });
}
