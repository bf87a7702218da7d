import path from "node:path";
import { Hono } from "hono";
import { z } from "zod";
import { loadAgent } from "../../agents/load-agent.js";
import { relativeDiagnostic } from "../../agents/relative-diagnostic.js";
import { PlutoError } from "../../core/errors.js";
import { assertSafeName } from "../../core/names.js";
import type { AgentStore } from "../../services/agents/agent-store.js";
import type { McpServerPolicy } from "../../tools/mcp/mcp-server-policy.js";
import type { AppOptions } from "../app-options.js";
import { readJsonBody } from "../request-body.js";
import { identityOf } from "../request-identity.js";
import { readAgentFiles } from "./agent-files.js";
import { type AgentFolders, AgentFolderWriter } from "./agent-folder-writer.js";
import { AgentStoreWriter } from "./agent-store-writer.js";

const FilesSchema = z.record(z.string(), z.string());
/** Body of `POST /api/v1/admin/agents` (also read by the OpenAPI document). */
export const CreateAgentBody = z.strictObject({ name: z.string().max(200), files: FilesSchema });
/** Body of `PUT /api/v1/admin/agents/{name}` (also read by the OpenAPI document). */
export const ReplaceAgentBody = z.strictObject({ files: FilesSchema });

/** Options for {@link adminAgentRoutes}. */
export interface AdminAgentRoutesOptions {
  agents: AppOptions["agents"];
  /** Where agents live; without it the write routes answer 404 `NOT_FOUND`. */
  folders?: AgentFolders;
  /**
   * Where definitions are stored when not in the folders (`services.agents.backend: postgres`): writes go
   * to the store (validated in a staging folder exactly as for folders) and reads come from it; `folders`
   * is then the local copy of the store (`TenantAgents` with an `AgentFolderSync` source) and is required.
   */
  store?: AgentStore;
  /** MCP rules for tenant-written agents (docs/security.md). @default `createMcpServerPolicy()` (none allowed) */
  mcpPolicy?: McpServerPolicy;
}

/**
 * Agent management within the caller's tenant (mounted under `/api/v1/admin`, admins only):
 * - `GET /agents` → `{ agents: [{ name, description, valid }] }`;
 * - `GET /agents/{name}` → `{ name, valid, diagnostics, files, omitted }` (`files`: relative path → text);
 * - `POST /agents` `{ name, files }` → 201 (400 `BAD_REQUEST` when it exists);
 * - `PUT /agents/{name}` `{ files }` → 201 when created, 200 when replaced;
 * - `DELETE /agents/{name}` → 204.
 * Writes are validated like `pluto validate` (422 `AGENT_INVALID` with `details.diagnostics`), their MCP
 * servers checked against the tenant rules (400 `BAD_REQUEST`, see docs/security.md), and take effect at
 * once (see `AgentFolderWriter`).
 */
export function adminAgentRoutes(options: AdminAgentRoutesOptions): Hono {
  const routes = new Hono();
  const writer =
    options.folders === undefined
      ? undefined
      : options.store === undefined
        ? new AgentFolderWriter(options.folders, options.mcpPolicy)
        : new AgentStoreWriter(options.folders, options.store, options.mcpPolicy);
  const foldersOrFail = (): { folders: AgentFolders; writer: AgentFolderWriter | AgentStoreWriter } => {
    if (options.folders === undefined || writer === undefined) {
      throw new PlutoError(
        "NOT_FOUND",
        "Managing agents through the API is not enabled on this server (no agents folder was given to the HTTP app).",
      );
    }
    return { folders: options.folders, writer };
  };

  routes.get("/agents", async (context) => {
    const agents = await options.agents.list(identityOf(context).tenant);
    return context.json({
      agents: agents.map(({ name, description, valid }) => ({ name, description, valid })),
    });
  });

  routes.get("/agents/:name", async (context) => {
    const { folders, writer } = foldersOrFail();
    const tenant = identityOf(context).tenant;
    const name = assertSafeName("agent", context.req.param("name"));
    if (writer instanceof AgentStoreWriter) return context.json(await writer.read(tenant, name));
    const folder = path.join(folders.directoryOf(tenant), name);
    const { files, omitted } = await readAgentFiles(folder);
    if (files["agent.yaml"] === undefined) {
      throw new PlutoError(
        "AGENT_NOT_FOUND",
        `Agent "${name}" does not exist. Create it with POST /api/v1/admin/agents.`,
        {
          details: { agent: name },
        },
      );
    }
    const result = await loadAgent(folder, { providerNames: folders.providerNames });
    const diagnostics = result.diagnostics.map((diagnostic) => relativeDiagnostic(diagnostic, folder));
    return context.json({ name, valid: result.agent !== undefined, diagnostics, files, omitted });
  });

  routes.post("/agents", async (context) => {
    const { writer } = foldersOrFail();
    const body = await readJsonBody(context, CreateAgentBody);
    const tenant = identityOf(context).tenant;
    const { diagnostics } = await writer.write({
      tenant,
      name: body.name,
      files: body.files,
      mode: "create",
    });
    return context.json({ name: body.name, created: true, diagnostics }, 201);
  });

  routes.put("/agents/:name", async (context) => {
    const { writer } = foldersOrFail();
    const name = assertSafeName("agent", context.req.param("name"));
    const body = await readJsonBody(context, ReplaceAgentBody);
    const tenant = identityOf(context).tenant;
    const { created, diagnostics } = await writer.write({ tenant, name, files: body.files, mode: "replace" });
    return context.json({ name, created, diagnostics }, created ? 201 : 200);
  });

  routes.delete("/agents/:name", async (context) => {
    const { writer } = foldersOrFail();
    await writer.remove(identityOf(context).tenant, context.req.param("name"));
    return context.body(null, 204);
  });
  return routes;
}
