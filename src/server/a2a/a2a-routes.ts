import { createHash } from "node:crypto";
import { A2A_VERSION_HEADER, AgentCard } from "@a2a-js/sdk";
import { DefaultRequestHandler } from "@a2a-js/sdk/server";
import { type Context, Hono } from "hono";
import type { AgentDefinition } from "../../agents/agent-definition.js";
import { PlutoError } from "../../core/errors.js";
import { assertSafeName } from "../../core/names.js";
import type { Scope } from "../../core/scope.js";
import type { TaskStore } from "../../services/task/task-store.js";
import type { AppOptions } from "../app-options.js";
import { requestOrigin } from "../login/request-origin.js";
import { identityOf } from "../request-identity.js";
import { A2aTaskStore } from "./a2a-task-store.js";
import { agentCard, instanceCard, legacyAgentCard } from "./agent-card.js";
import { handleJsonRpc } from "./jsonrpc-transport.js";
import { PlutoAgentExecutor } from "./pluto-agent-executor.js";
import { PlutoRequestHandler } from "./pluto-request-handler.js";
import { isLegacyVersion } from "./protocol-version.js";
import { handleRest } from "./rest-transport.js";
import { ScopedEventBusManager } from "./scoped-event-bus-manager.js";

/** What the A2A routes need from the app. */
export type A2aRoutesOptions = Pick<AppOptions, "agents" | "runs" | "onUnexpectedError"> & {
  /** Where A2A tasks live (protocol `a2a`); share it between workers so any of them can answer. */
  tasks: TaskStore;
  /** Absolute URL clients reach this instance at (cards advertise it); else the request's origin. */
  publicUrl?: string;
  /** True when A2A calls need `Authorization: Bearer <key>` (cards then declare the scheme). */
  authRequired?: boolean;
  /** The agent the instance card speaks for. @default the first valid agent by name */
  defaultAgent?: string;
  /** See `PlutoAgentExecutorOptions.cancelPollMs`. @default 1000 */
  cancelPollMs?: number;
};

/**
 * A2A (Agent2Agent, protocol v1.0 with v0.3 compatibility) through @a2a-js/sdk, mounted at `/`:
 * - `GET /.well-known/agent-card.json` and the legacy `/.well-known/agent.json`: the instance card
 *   (`instanceCard`); `GET /a2a/{agent}/.well-known/agent-card.json` (+ `agent.json`): one agent's card.
 *   `agent-card.json` answers the v1.0 card to `A2A-Version: 1.0` and the v0.3 form (with the v1.0
 *   interfaces embedded) when the header is absent or 0.3, as the SDK's card handler does;
 *   `agent.json` always answers the v0.3 form. Cards are public (no credentials), so they describe the
 *   tenant of the request: the default tenant unless an auth middleware already set another.
 * - `POST /a2a/{agent}/jsonrpc`: JSON-RPC binding, v1.0 and v0.3 (`handleJsonRpc`).
 * - `/a2a/{agent}/rest/…`: HTTP+JSON binding, v1.0 (`handleRest`).
 * The tenant is always the caller's (`identityOf`); the agent is the URL's. Per request the SDK's
 * `DefaultRequestHandler` is built over the agent's card, Pluto's task store (`A2aTaskStore`), the
 * process's live event buses and the run executor, so no task state stays in the SDK.
 * An unknown agent is 404 `AGENT_NOT_FOUND`, an unsafe name 400 `INVALID_NAME`, in Pluto's error format.
 */
export function a2aRoutes(options: A2aRoutesOptions): Hono {
  const routes = new Hono();
  const tasks = new A2aTaskStore({ tasks: options.tasks });
  const buses = new ScopedEventBusManager();
  const executor = new PlutoAgentExecutor({
    runs: options.runs,
    tasks,
    ...(options.cancelPollMs === undefined ? {} : { cancelPollMs: options.cancelPollMs }),
    ...(options.onUnexpectedError === undefined ? {} : { onUnexpectedError: options.onUnexpectedError }),
  });
  const cardOptions = (context: Context) => ({
    // Without public_url the URLs follow `Host`, which the app's origin guard has checked.
    baseUrl: requestOrigin(context, options.publicUrl).replace(/\/+$/, ""),
    authRequired: options.authRequired === true,
  });
  const agentOf = async (context: Context): Promise<{ scope: Scope; agent: AgentDefinition }> => {
    const scope: Scope = {
      tenant: identityOf(context).tenant,
      agent: assertSafeName("agent", context.req.param("agent") ?? ""),
    };
    return { scope, agent: await options.agents.get(scope.agent, scope.tenant) };
  };
  const handlerFor = (card: AgentCard) =>
    new PlutoRequestHandler({
      inner: new DefaultRequestHandler(card, tasks, executor, buses),
      tasks,
      buses,
      runs: options.runs,
    });

  const instance = async (context: Context, legacyPath: boolean) => {
    const tenant = identityOf(context).tenant;
    const agents = (await options.agents.list(tenant))
      .filter((agent) => agent.valid)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const name = options.defaultAgent ?? agents[0]?.name;
    if (name === undefined) {
      throw new PlutoError(
        "AGENT_NOT_FOUND",
        "This instance has no agents yet, so it has no agent card. Create one with `pluto init` or the admin API.",
      );
    }
    const card = instanceCard(await options.agents.get(name, tenant), agents, cardOptions(context));
    return cardResponse(context, card, { legacyPath, varyHost: options.publicUrl === undefined });
  };
  routes.get("/.well-known/agent-card.json", (context) => instance(context, false));
  routes.get("/.well-known/agent.json", (context) => instance(context, true));

  const perAgent = async (context: Context, legacyPath: boolean) => {
    const { agent } = await agentOf(context);
    return cardResponse(context, agentCard(agent, cardOptions(context)), {
      legacyPath,
      varyHost: options.publicUrl === undefined,
    });
  };
  routes.get("/a2a/:agent/.well-known/agent-card.json", (context) => perAgent(context, false));
  routes.get("/a2a/:agent/.well-known/agent.json", (context) => perAgent(context, true));

  routes.post("/a2a/:agent/jsonrpc", async (context) => {
    const { scope, agent } = await agentOf(context);
    const card = agentCard(agent, cardOptions(context));
    return handleJsonRpc({ context, scope, card, handler: handlerFor(card) });
  });

  routes.all("/a2a/:agent/rest/*", async (context) => {
    const { scope, agent } = await agentOf(context);
    const card = agentCard(agent, cardOptions(context));
    const prefix = `/a2a/${context.req.param("agent")}/rest`;
    const path = context.req.path.slice(prefix.length);
    return handleRest({ context, scope, card, handler: handlerFor(card), path });
  });
  return routes;
}

/**
 * Serves a card: the v1.0 ProtoJSON (`AgentCard.toJSON`) for `A2A-Version` 1.0, else the v0.3 form;
 * with a weak `ETag` (304 on `If-None-Match`), `Vary: A2A-Version` (plus `Host` when the card's URLs come
 * from it, `varyHost`) and five minutes of caching.
 */
function cardResponse(
  context: Context,
  card: AgentCard,
  options: { legacyPath: boolean; varyHost: boolean },
): Response {
  const { legacyPath } = options;
  const version = context.req.header(A2A_VERSION_HEADER);
  const legacy = legacyPath || isLegacyVersion(version ?? "0.3");
  const body = JSON.stringify(legacy ? legacyAgentCard(card) : AgentCard.toJSON(card));
  const etag = `W/"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"`;
  const headers = {
    etag,
    vary: options.varyHost ? `${A2A_VERSION_HEADER}, Host` : A2A_VERSION_HEADER,
    "cache-control": "public, max-age=300",
  };
  if (context.req.header("if-none-match") === etag) return new Response(null, { status: 304, headers });
  return new Response(body, { status: 200, headers: { ...headers, "content-type": "application/json" } });
}
