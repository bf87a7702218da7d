import { z } from "zod";
import { CreateAgentBody, ReplaceAgentBody } from "../admin/admin-agent-routes.js";
import { CreateKeyBody } from "../admin/admin-key-routes.js";
import { LoginLinkBody } from "../admin/admin-login-link-routes.js";
import { AgentSummary, Diagnostic } from "./native-api-schemas.js";
import type { OpenApiBuilder } from "./openapi-builder.js";

/**
 * The admin API (`/api/v1/admin`, admins only; docs/api-admin.md) and the login-link exchange
 * (`GET /login`) in the OpenAPI document. Request bodies are the routes' own (`admin/*-routes.ts`);
 * responses follow what those routes send.
 */

/** `GET /api/v1/admin/agents`. */
export const AdminAgentListResponse = z.object({
  agents: z.array(AgentSummary.pick({ name: true, description: true, valid: true })),
});

/** `GET /api/v1/admin/agents/{name}`: the agent's files as JSON. */
export const AdminAgentResponse = z.object({
  name: z.string(),
  valid: z.boolean(),
  diagnostics: z.array(Diagnostic),
  files: z
    .record(z.string(), z.string())
    .describe("Relative path (`agent.yaml`, `skills/<skill>/SKILL.md`) to text."),
  omitted: z.array(z.string()).describe("Files not returned (not UTF-8 text, or too large)."),
});

/** `POST`/`PUT /api/v1/admin/agents…`. */
export const AdminAgentWriteResponse = z.object({
  name: z.string(),
  created: z.boolean(),
  diagnostics: z.array(Diagnostic).describe("Warnings; errors are refused with 422 `AGENT_INVALID`."),
});

/** An API key as the admin API shows it (never its hash). */
export const ApiKeyObject = z.object({
  id: z.string(),
  tenant: z.string(),
  role: z.enum(["admin", "member"]),
  name: z.string(),
  kind: z.enum(["api", "login", "cookie"]),
  created_at: z.string(),
  expires_at: z.string().optional(),
  revoked_at: z.string().optional(),
});

/** `POST /api/v1/admin/keys` (201): the token is shown this once. */
export const CreatedApiKeyResponse = z.object({
  id: z.string(),
  tenant: z.string(),
  role: z.enum(["admin", "member"]),
  name: z.string(),
  created_at: z.string(),
  token: z.string().describe("`pluto_<id>_<secret>`; send it as `Authorization: Bearer <token>`."),
});

/** `GET /api/v1/admin/keys`. */
export const ApiKeyListResponse = z.object({ keys: z.array(ApiKeyObject) });

/** `POST /api/v1/admin/login-links` (201). */
export const LoginLinkResponse = z.object({
  url: z.string().describe("`<origin>/login?token=…`, usable once."),
  expires_at: z.string(),
});

/** Registers the admin routes and `GET /login`. */
export function registerAdminApiPaths(builder: OpenApiBuilder): void {
  const tags = ["Admin"];
  const json = (name: string, schema: z.ZodType) => ({
    "application/json": { schema: builder.schema(name, schema, "response") },
  });
  const body = (name: string, schema: z.ZodType, required = true) => ({
    required,
    content: { "application/json": { schema: builder.schema(name, schema, "request") } },
  });
  const nameParams = z.object({ name: z.string().describe("The agent's name.") });
  const noContent = { 204: { description: "Done; no body." } };
  const errors = (...statuses: number[]) => builder.errors("pluto", 401, 403, 429, ...statuses);

  builder.path({
    method: "get",
    path: "/api/v1/admin/agents",
    operationId: "adminListAgents",
    summary: "List the tenant's agents",
    tags,
    responses: {
      200: { description: "Every agent.", content: json("AdminAgentList", AdminAgentListResponse) },
      ...errors(),
    },
  });
  builder.path({
    method: "get",
    path: "/api/v1/admin/agents/{name}",
    operationId: "adminGetAgent",
    summary: "Get an agent's files",
    tags,
    request: { params: nameParams },
    responses: {
      200: {
        description: "The agent's files and load diagnostics.",
        content: json("AdminAgent", AdminAgentResponse),
      },
      ...errors(400, 404),
    },
  });
  builder.path({
    method: "post",
    path: "/api/v1/admin/agents",
    operationId: "adminCreateAgent",
    summary: "Create an agent from its files",
    description:
      "Validated like `pluto validate`; takes effect without a restart. MCP servers the tenant may not use (an own `command`, a `cwd` outside the folder, a private `url`, an unknown catalogue `server`) answer 400 (docs/security.md).",
    tags,
    request: { body: body("AdminCreateAgentBody", CreateAgentBody) },
    responses: {
      201: { description: "Created.", content: json("AdminAgentWriteResult", AdminAgentWriteResponse) },
      ...errors(400, 404, 413, 422),
    },
  });
  builder.path({
    method: "put",
    path: "/api/v1/admin/agents/{name}",
    operationId: "adminReplaceAgent",
    summary: "Create or replace an agent's files",
    tags,
    request: { params: nameParams, body: body("AdminReplaceAgentBody", ReplaceAgentBody) },
    responses: {
      200: { description: "Replaced.", content: json("AdminAgentWriteResult", AdminAgentWriteResponse) },
      201: { description: "Created.", content: json("AdminAgentWriteResult", AdminAgentWriteResponse) },
      ...errors(400, 404, 413, 422),
    },
  });
  builder.path({
    method: "delete",
    path: "/api/v1/admin/agents/{name}",
    operationId: "adminDeleteAgent",
    summary: "Delete an agent",
    tags,
    request: { params: nameParams },
    responses: { ...noContent, ...errors(400, 404) },
  });
  builder.path({
    method: "post",
    path: "/api/v1/admin/keys",
    operationId: "adminCreateKey",
    summary: "Create an API key",
    description: "`tenant` other than the caller's only for admins of the default tenant (the operator).",
    tags,
    request: { body: body("AdminCreateKeyBody", CreateKeyBody) },
    responses: {
      201: {
        description: "The key, with its token shown this once.",
        content: json("CreatedApiKey", CreatedApiKeyResponse),
      },
      ...errors(400, 404),
    },
  });
  builder.path({
    method: "get",
    path: "/api/v1/admin/keys",
    operationId: "adminListKeys",
    summary: "List API keys",
    tags,
    request: {
      query: z.object({
        tenant: z.string().optional().describe("Another tenant, or `*` for all (operator only)."),
        kind: z.enum(["api", "login", "cookie", "all"]).optional().describe("Default `api`."),
      }),
    },
    responses: {
      200: {
        description: "Keys, oldest first, revoked ones included.",
        content: json("ApiKeyList", ApiKeyListResponse),
      },
      ...errors(400, 404),
    },
  });
  builder.path({
    method: "delete",
    path: "/api/v1/admin/keys/{id}",
    operationId: "adminRevokeKey",
    summary: "Revoke an API key",
    tags,
    request: {
      params: z.object({ id: z.string().describe("The key's id (12 hex digits).") }),
      query: z.object({ tenant: z.string().optional().describe("The key's tenant (operator only).") }),
    },
    responses: { ...noContent, ...errors(404) },
  });
  builder.path({
    method: "post",
    path: "/api/v1/admin/login-links",
    operationId: "adminCreateLoginLink",
    summary: "Create a one-time browser login link",
    description:
      "An empty body is allowed; `role` defaults to `member`. The link works once within 10 minutes.",
    tags,
    request: { body: body("AdminLoginLinkBody", LoginLinkBody, false) },
    responses: {
      201: { description: "The link.", content: json("LoginLink", LoginLinkResponse) },
      ...errors(400, 404),
    },
  });
  builder.path({
    method: "get",
    path: "/login",
    operationId: "exchangeLoginLink",
    summary: "Exchange a one-time login link for a session cookie",
    description:
      "Sets the HttpOnly, SameSite=Strict `pluto_session` cookie and redirects to `/` without the token. The only route that reads a token from the query string.",
    tags: ["Login"],
    security: [],
    request: { query: z.object({ token: z.string().describe("The one-time token of a login link.") }) },
    responses: {
      303: {
        description: "Logged in; `Set-Cookie: pluto_session=…` and `Location: /`.",
        headers: z.object({
          location: z.string().describe("`/`"),
          "set-cookie": z.string().describe("`pluto_session=…; HttpOnly; SameSite=Strict; Path=/`"),
        }),
      },
      401: {
        description: "The link is invalid, expired or already used.",
        content: { "text/plain": { schema: z.string() } },
      },
    },
  });
}
