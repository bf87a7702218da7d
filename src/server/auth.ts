import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { PlutoError } from "../core/errors.js";
import { DEFAULT_TENANT } from "../core/scope.js";
import type { ApiKeyRecord, ApiKeyStore } from "../services/auth/api-key-store.js";
import { verifyApiKey } from "../services/auth/api-keys.js";
import type { AppEnv, RequestIdentity } from "./request-identity.js";
import { isSafeMethod, requestSite } from "./security/request-site.js";

/** Name of the cookie a one-time login link sets (HttpOnly, SameSite=Strict). */
export const SESSION_COOKIE = "pluto_session";

/** Options for {@link authenticate}. */
export interface AuthenticateOptions {
  /** `server.auth.token`: a bootstrap credential acting as the default tenant's admin. */
  token?: string;
  /** Tenant API keys (and login cookies); with at least one live key, every request must authenticate. */
  apiKeys?: ApiKeyStore;
  /** How long the "are there any keys" answer is cached, in ms. @default 1000 */
  keyCheckIntervalMs?: number;
  /** `server.public_url`: its origin counts as this server's own for the cookie's origin check. */
  publicUrl?: string;
}

/**
 * Resolves the caller's identity (tenant and role) from `Authorization: Bearer <token>` — the
 * bootstrap token or a tenant API key — or from the login cookie, and stores it for the routes
 * (`identityOf`). Tokens in query strings are never read. When no token is configured and no API key
 * exists (simple mode on loopback), requests pass as the default tenant's admin.
 * Comparisons are constant-time over SHA-256 digests.
 * CSRF defence for the cookie (besides its SameSite=Strict): a request it authenticates with any method
 * but GET, HEAD or OPTIONS must prove it comes from this server's own pages, by an `Origin` of this
 * server or `Sec-Fetch-Site: same-origin` (`requestSite`); browsers send one of them on every such request.
 * @throws PlutoError `UNAUTHORIZED` (401); `ORIGIN_NOT_ALLOWED` (403) for a cookie request without that proof.
 */
export function authenticate(
  options: AuthenticateOptions,
): MiddlewareHandler<AppEnv> & { keysChanged(): void } {
  const expected = options.token === undefined ? undefined : digest(options.token);
  let keysKnownAt = 0;
  let haveKeys = false;
  const anyKeys = async (): Promise<boolean> => {
    if (options.apiKeys === undefined) return false;
    const now = Date.now();
    if (now - keysKnownAt > (options.keyCheckIntervalMs ?? 1000)) {
      // Only API keys switch authentication on; login links and cookies exist only once it is on.
      haveKeys = (await options.apiKeys.list()).some(
        (record) => record.revokedAt === undefined && (record.kind ?? "api") === "api",
      );
      keysKnownAt = now;
    }
    return haveKeys;
  };

  const middleware = async (context: Context<AppEnv>, next: () => Promise<void>) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(context.req.header("authorization") ?? "")?.[1];
    const cookie = bearer === undefined ? getCookie(context, SESSION_COOKIE) : undefined;
    const presented = bearer ?? cookie;
    let identity: RequestIdentity | undefined;
    if (expected === undefined && !(await anyKeys())) {
      // Simple mode (no token, no keys): any credential a client sends anyway (the openai client always
      // sends one) is ignored, exactly like no credential.
      identity = { tenant: DEFAULT_TENANT, role: "admin" };
    } else if (presented !== undefined) {
      if (expected !== undefined && bearer !== undefined && timingSafeEqual(digest(presented), expected)) {
        identity = { tenant: DEFAULT_TENANT, role: "admin" };
      } else if (options.apiKeys !== undefined) {
        const record = await verifyApiKey(options.apiKeys, presented);
        const kind = record?.kind ?? "api";
        const usable =
          record !== undefined &&
          (bearer !== undefined ? kind === "api" : kind === "cookie") &&
          isCredentialLive(record, Date.now());
        if (usable) identity = { tenant: record.tenant, role: record.role, keyId: record.id };
      }
      if (identity !== undefined && bearer === undefined) checkCookieOrigin(context, options.publicUrl);
    }
    if (identity === undefined) {
      throw new PlutoError(
        "UNAUTHORIZED",
        "Missing or wrong API token. Send `Authorization: Bearer <token>` with an API key (`pluto keys create`) or server.auth.token from pluto.yaml.",
      );
    }
    context.set("identity", identity);
    await next();
  };
  return Object.assign(middleware, {
    keysChanged: () => {
      keysKnownAt = 0;
    },
  });
}

/**
 * True when a key record still authenticates at `now` (ms since the epoch): it exists, is not revoked
 * and has not expired. Open WebSockets re-check their key with it (websocket/socket-credentials.ts).
 */
export function isCredentialLive(record: ApiKeyRecord | undefined, now: number): record is ApiKeyRecord {
  return (
    record !== undefined &&
    record.revokedAt === undefined &&
    (record.expiresAt === undefined || Date.parse(record.expiresAt) > now)
  );
}

/** Bearer-token check for a single fixed token (kept for route groups that need only the bootstrap token). */
export function bearerAuth(token: string): MiddlewareHandler {
  return authenticate({ token }) as unknown as MiddlewareHandler;
}

function checkCookieOrigin(context: Context<AppEnv>, publicUrl: string | undefined): void {
  if (isSafeMethod(context.req.method) || requestSite(context, publicUrl) === "same") return;
  throw new PlutoError(
    "ORIGIN_NOT_ALLOWED",
    "A request that changes state with the pluto_session cookie must come from this server's own pages (an Origin header of this server, or Sec-Fetch-Site: same-origin). Browsers send it; other clients should use `Authorization: Bearer <API key>` instead of the cookie.",
  );
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
