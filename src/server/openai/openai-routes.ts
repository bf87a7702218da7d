import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { isPlutoError, PlutoError } from "../../core/errors.js";
import type { FinishReason, SessionEvent, ToolApprovalRequestEvent } from "../../core/events.js";
import { assertSafeName } from "../../core/names.js";
import type { AppOptions } from "../app-options.js";
import { readJsonBody } from "../request-body.js";
import { identityOf } from "../request-identity.js";
import { EventQueue } from "../sse.js";
import { approvalNotice } from "./approval-notice.js";
import { type CompletionIdentity, chatCompletion, chatFinishReason } from "./chat-completion-objects.js";
import { ChatCompletionBody, runInputFromMessages } from "./chat-completion-schema.js";
import { streamChatCompletion } from "./chat-completion-stream.js";
import { chatSessionId, SESSION_HEADER } from "./chat-session-id.js";
import { openAiErrorBody, openAiErrorFor, statusForEventCode } from "./openai-error.js";
import { tokenUnlessAuthenticated } from "./token-unless-authenticated.js";

/** What the OpenAI-compatible API needs from the app (a subset of `AppOptions`). */
export type OpenAiRoutesOptions = Pick<
  AppOptions,
  "agents" | "runs" | "maxBodyBytes" | "authToken" | "onUnexpectedError"
> & {
  /**
   * Authentication to run before every route, for mounting these routes outside `createApp` (which
   * authenticates every non-public route itself). It may set the caller's identity
   * (`request-identity.ts`), whose tenant scopes agents and runs. @default none (then only `authToken` is checked)
   */
  auth?: MiddlewareHandler;
};

/** A `model` object of `GET /v1/models`. `created` is 0: agents are files with no creation time. */
function modelObject(name: string) {
  return { id: name, object: "model" as const, created: 0, owned_by: "pluto" };
}

/**
 * The OpenAI-compatible API (issue "Standard APIs", item 3), mounted at `/v1`:
 * - `GET /models`, `GET /models/{model}`: agents as models;
 * - `POST /chat/completions`: runs the agent named by `model` on the last user message, in the session
 *   named by the `x-pluto-session-id` header, else derived from `user` (see `chat-session-id.ts`), else
 *   a new one; answers a `chat.completion` object or, with `stream: true`, OpenAI's SSE chunks.
 * Every answer carries `x-pluto-session-id` and (for completions) `x-pluto-run-id` headers.
 * Authentication is the app's (or `options.auth`'s), with `Authorization: Bearer <authToken>` required
 * when nothing authenticated the request before; agents, sessions and runs belong to the caller's
 * tenant. Bodies are capped at `maxBodyBytes`.
 * Errors use OpenAI's body shape with Pluto's codes (`openai-error.ts`) and `x-should-retry: false`
 * (unless the error is marked retryable before any run started): OpenAI clients retry 409/429/5xx by
 * default, and a retried turn would repeat the message in the session. Provider retries already
 * happen inside the run.
 */
export function openaiRoutes(options: OpenAiRoutesOptions): Hono {
  const routes = new Hono();
  if (options.auth !== undefined) routes.use("*", options.auth);
  routes.use("*", tokenUnlessAuthenticated(options.authToken));
  routes.use(
    "*",
    bodyLimit({
      maxSize: options.maxBodyBytes,
      onError: () => {
        throw new PlutoError(
          "PAYLOAD_TOO_LARGE",
          `The request body is larger than ${options.maxBodyBytes} bytes (server.max_body_bytes). Pluto keeps the conversation in its session: send only the new user message.`,
        );
      },
    }),
  );

  routes.get("/models", async (context) => {
    const agents = await options.agents.list(identityOf(context).tenant);
    return context.json({
      object: "list",
      data: agents.filter((agent) => agent.valid).map((agent) => modelObject(agent.name)),
    });
  });

  routes.get("/models/:model", async (context) => {
    const agent = await options.agents.get(
      assertSafeName("agent", context.req.param("model")),
      identityOf(context).tenant,
    );
    return context.json(modelObject(agent.name));
  });

  routes.post("/chat/completions", async (context) => {
    const body = await readJsonBody(context, ChatCompletionBody);
    const agentName = assertSafeName("agent", body.model);
    const input = runInputFromMessages(body.messages);
    const sessionId = chatSessionId({
      agent: agentName,
      header: context.req.header(SESSION_HEADER),
      user: body.user,
    });
    const tenant = identityOf(context).tenant;
    const start = { tenant, agent: agentName, input, ...(sessionId === undefined ? {} : { sessionId }) };
    const created = Math.floor(Date.now() / 1000);

    if (body.stream === true) {
      const queue = new EventQueue();
      const handle = await options.runs.start({ ...start, listener: (events) => queue.push(events) });
      context.header("x-pluto-run-id", handle.runId);
      context.header(SESSION_HEADER, handle.key.session);
      return streamChatCompletion(context, {
        identity: { id: `chatcmpl-${handle.runId}`, created, model: body.model },
        handle,
        queue,
        includeUsage: body.stream_options?.include_usage === true,
        abort: (runId) => options.runs.abort(runId, tenant),
        ...(options.onUnexpectedError === undefined ? {} : { onUnexpectedError: options.onUnexpectedError }),
      });
    }

    // The listener may see events before `start` returns the run id, so keep step ends and filter later.
    const kept: SessionEvent[] = [];
    const handle = await options.runs.start({
      ...start,
      listener: (events) => {
        for (const event of events)
          if (event.type === "step-end" || event.type === "tool-approval-request") kept.push(event);
      },
    });
    context.header("x-pluto-run-id", handle.runId);
    context.header(SESSION_HEADER, handle.key.session);
    try {
      const end = await handle.result;
      const identity: CompletionIdentity = { id: `chatcmpl-${handle.runId}`, created, model: body.model };
      if (end.status === "completed" || end.status === "awaiting-approval") {
        let lastFinish: FinishReason | undefined;
        const requests: ToolApprovalRequestEvent[] = [];
        for (const event of kept) {
          if (event.runId !== handle.runId) continue;
          if (event.type === "step-end") lastFinish = event.finishReason;
          if (event.type === "tool-approval-request") requests.push(event);
        }
        const output = end.output ?? "";
        const notice = approvalNotice(handle.key.session, requests);
        return context.json(
          chatCompletion(identity, {
            content:
              end.status === "awaiting-approval"
                ? `${output}${output === "" ? "" : "\n\n"}${notice}`
                : output,
            finishReason: chatFinishReason(lastFinish),
            usage: end.usage,
          }),
        );
      }
      const error = end.error ?? { code: "INTERNAL", message: `The run ended with status ${end.status}.` };
      const status = statusForEventCode(error.code);
      context.header("x-should-retry", "false");
      return context.json(openAiErrorBody(error, status), status);
    } finally {
      handle.unsubscribe();
    }
  });

  routes.onError((error, context) => {
    const { status, body } = openAiErrorFor(error);
    if (!isPlutoError(error)) options.onUnexpectedError?.(error);
    context.header("x-should-retry", isPlutoError(error) && error.retryable ? "true" : "false");
    return context.json(body, status);
  });
  return routes;
}
