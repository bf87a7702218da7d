import { Hono } from "hono";
import { z } from "zod";
import type { ApiKeyStore } from "../../services/auth/api-key-store.js";
import { requestOrigin } from "../login/request-origin.js";
import { LOGIN_LINK_TTL_MS, mintToken } from "../login/session-tokens.js";
import { readJsonBody } from "../request-body.js";
import { identityOf } from "../request-identity.js";

/** Body of `POST /api/v1/admin/login-links` (also read by the OpenAPI document). */
export const LoginLinkBody = z.strictObject({ role: z.enum(["admin", "member"]).optional() });

/** Options for {@link adminLoginLinkRoutes}. */
export interface AdminLoginLinkRoutesOptions {
  apiKeys: ApiKeyStore;
  /** Base URL clients use to reach the server; default: the request's scheme and `Host`. */
  publicUrl?: string;
  /** Called after the link's record is stored (the auth middleware's `keysChanged`). */
  onKeysChanged?: () => void;
  /** @default () => new Date() */
  now?: () => Date;
}

/**
 * `POST /login-links` `{ role? }` (mounted under `/api/v1/admin`, admins only) → 201
 * `{ url, expires_at }`: a one-time browser login link for the caller's tenant, `role` defaulting to
 * `member` (least privilege), usable once within 10 minutes at `<origin>/login?token=…` (see
 * `login/login-routes.ts`). An empty body is allowed.
 */
export function adminLoginLinkRoutes(options: AdminLoginLinkRoutesOptions): Hono {
  const routes = new Hono();
  routes.post("/login-links", async (context) => {
    const empty = (await context.req.text()).trim() === "";
    const body = empty ? {} : await readJsonBody(context, LoginLinkBody);
    const identity = identityOf(context);
    const { record, token } = await mintToken(options.apiKeys, {
      tenant: identity.tenant,
      role: body.role ?? "member",
      kind: "login",
      name: `login link${identity.keyId === undefined ? "" : ` by key ${identity.keyId}`}`,
      ttlMs: LOGIN_LINK_TTL_MS,
      now: (options.now ?? (() => new Date()))(),
    });
    options.onKeysChanged?.();
    // Without public_url the link follows `Host` (checked by the app's origin guard): caches must key on it.
    if (options.publicUrl === undefined) context.header("Vary", "Host");
    const url = `${requestOrigin(context, options.publicUrl)}/login?token=${encodeURIComponent(token)}`;
    return context.json({ url, expires_at: record.expiresAt }, 201);
  });
  return routes;
}
