import { Hono } from "hono";
import type { AppOptions } from "../app-options.js";
import { jobAdminRoutes } from "../jobs/job-admin-routes.js";
import type { AppEnv } from "../request-identity.js";
import { adminAgentRoutes } from "./admin-agent-routes.js";
import { adminKeyRoutes } from "./admin-key-routes.js";
import { adminLoginLinkRoutes } from "./admin-login-link-routes.js";
import type { AgentFolders } from "./agent-folder-writer.js";
import { requireAdmin } from "./require-admin.js";

/** Options for {@link adminRoutes}. */
export interface AdminRoutesOptions {
  agents: AppOptions["agents"];
  /** Agents folders to manage; without them the agent write routes answer 404. */
  agentFolders?: AgentFolders;
  /** Store of agent definitions (`services.agents.backend: postgres`); see `AdminAgentRoutesOptions.store`. */
  agentStore?: AppOptions["agentStore"];
  /** MCP rules for agents written here; see `AdminAgentRoutesOptions.mcpPolicy`. */
  mcpPolicy?: AppOptions["mcpPolicy"];
  /** Key store; without it the key and login-link routes answer 404. */
  apiKeys?: AppOptions["apiKeys"];
  /** Base URL for login links; default: the request's scheme and `Host`. */
  publicUrl?: string;
  /** Durable jobs; with them the panic switch (`/state`, `/pause`, `/resume`) is served. */
  jobs?: AppOptions["jobs"];
  /** Called after a key or login link is created or revoked (the auth middleware's `keysChanged`). */
  onKeysChanged?: () => void;
}

/**
 * The admin API (mount at `/api/v1/admin`; see docs/api-admin.md): agents, API keys, login links and
 * the jobs' panic switch (docs/jobs.md) of the caller's tenant, for callers whose role is `admin` (others get 403 `FORBIDDEN`). The tenant always
 * comes from the caller's identity, never from the body (the operator's `tenant` on keys aside).
 */
export function adminRoutes(options: AdminRoutesOptions): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.use("*", requireAdmin());
  routes.route(
    "/",
    adminAgentRoutes({
      agents: options.agents,
      ...(options.agentFolders === undefined ? {} : { folders: options.agentFolders }),
      ...(options.agentStore === undefined ? {} : { store: options.agentStore }),
      ...(options.mcpPolicy === undefined ? {} : { mcpPolicy: options.mcpPolicy }),
    }),
  );
  if (options.jobs !== undefined) routes.route("/", jobAdminRoutes({ jobs: options.jobs }));
  if (options.apiKeys !== undefined) {
    const keys = {
      apiKeys: options.apiKeys,
      ...(options.onKeysChanged === undefined ? {} : { onKeysChanged: options.onKeysChanged }),
    };
    routes.route("/", adminKeyRoutes(keys));
    routes.route(
      "/",
      adminLoginLinkRoutes({
        ...keys,
        ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
      }),
    );
  }
  return routes;
}
