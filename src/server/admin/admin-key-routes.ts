import { Hono } from "hono";
import { z } from "zod";
import { PlutoError } from "../../core/errors.js";
import { isSafeName } from "../../core/names.js";
import { DEFAULT_TENANT } from "../../core/scope.js";
import type { ApiKeyRecord, ApiKeyStore } from "../../services/auth/api-key-store.js";
import { createApiKey } from "../../services/auth/api-keys.js";
import { readJsonBody } from "../request-body.js";
import { identityOf, type RequestIdentity } from "../request-identity.js";

/** Body of `POST /api/v1/admin/keys` (also read by the OpenAPI document). */
export const CreateKeyBody = z.strictObject({
  role: z.enum(["admin", "member"]),
  name: z.string().max(200).optional(),
  tenant: z.string().max(128).optional(),
});

/** Options for {@link adminKeyRoutes}. */
export interface AdminKeyRoutesOptions {
  apiKeys: ApiKeyStore;
  /** Called after a key is created or revoked (the auth middleware's `keysChanged`). */
  onKeysChanged?: () => void;
  /** @default () => new Date() */
  now?: () => Date;
}

/** A key record as the admin API shows it (never the hash). */
function keyJson(record: ApiKeyRecord) {
  return {
    id: record.id,
    tenant: record.tenant,
    role: record.role,
    name: record.name,
    kind: record.kind ?? "api",
    created_at: record.createdAt,
    ...(record.expiresAt === undefined ? {} : { expires_at: record.expiresAt }),
    ...(record.revokedAt === undefined ? {} : { revoked_at: record.revokedAt }),
  };
}

/**
 * The tenant an admin acts on: their own, unless they are an admin of the default tenant (the operator)
 * and name another with `requested`. @throws PlutoError `FORBIDDEN` when anyone else names another tenant.
 */
function targetTenant(identity: RequestIdentity, requested: string | undefined): string {
  if (requested === undefined || requested === identity.tenant) return identity.tenant;
  if (identity.tenant !== DEFAULT_TENANT) {
    throw new PlutoError(
      "FORBIDDEN",
      "Only an admin of the default tenant (the operator) may manage another tenant's keys; leave `tenant` out to use your own.",
    );
  }
  return requested;
}

/**
 * API keys of the caller's tenant (mounted under `/api/v1/admin`, admins only):
 * - `POST /keys` `{ role, name?, tenant? }` → 201 `{ id, tenant, role, name, created_at, token }` (the
 *   token is shown this once; `tenant` only for the operator, see {@link targetTenant});
 * - `GET /keys[?tenant=<t>|*][&kind=api|login|cookie|all]` → `{ keys: [...] }` (default kind `api`;
 *   other tenants and `*` only for the operator), oldest first, revoked ones included;
 * - `DELETE /keys/{id}[?tenant=<t>]` → 204; a key of another tenant is 404 `NOT_FOUND`.
 */
export function adminKeyRoutes(options: AdminKeyRoutesOptions): Hono {
  const routes = new Hono();
  const now = options.now ?? (() => new Date());

  routes.post("/keys", async (context) => {
    const body = await readJsonBody(context, CreateKeyBody);
    const tenant = targetTenant(identityOf(context), body.tenant);
    const { record, token } = await createApiKey(options.apiKeys, {
      tenant,
      role: body.role,
      ...(body.name === undefined ? {} : { name: body.name }),
      now: now(),
    });
    options.onKeysChanged?.();
    return context.json(
      {
        id: record.id,
        tenant: record.tenant,
        role: record.role,
        name: record.name,
        created_at: record.createdAt,
        token,
      },
      201,
    );
  });

  routes.get("/keys", async (context) => {
    const identity = identityOf(context);
    const requested = context.req.query("tenant");
    const kind = context.req.query("kind") ?? "api";
    if (!["api", "login", "cookie", "all"].includes(kind)) {
      throw new PlutoError(
        "BAD_REQUEST",
        `Unknown kind ${JSON.stringify(kind.slice(0, 40))}: use api, login, cookie or all.`,
      );
    }
    // `*` (every tenant) is the operator's view; anyone else naming it gets FORBIDDEN from targetTenant.
    const tenant =
      requested === "*" && identity.tenant === DEFAULT_TENANT ? undefined : targetTenant(identity, requested);
    if (tenant !== undefined && !isSafeName(tenant)) return context.json({ keys: [] });
    const records = await options.apiKeys.list(tenant);
    return context.json({
      keys: records.filter((record) => kind === "all" || (record.kind ?? "api") === kind).map(keyJson),
    });
  });

  routes.delete("/keys/:id", async (context) => {
    const tenant = targetTenant(identityOf(context), context.req.query("tenant"));
    const id = context.req.param("id");
    const record = /^[0-9a-f]{12}$/.test(id) ? await options.apiKeys.get(id) : undefined;
    if (record === undefined || record.tenant !== tenant) {
      throw new PlutoError(
        "NOT_FOUND",
        `No key ${JSON.stringify(id.slice(0, 40))} in this tenant. List keys with GET /api/v1/admin/keys.`,
      );
    }
    await options.apiKeys.revoke(record.id, now().toISOString());
    options.onKeysChanged?.();
    return context.body(null, 204);
  });
  return routes;
}
