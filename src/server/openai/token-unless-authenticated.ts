import type { MiddlewareHandler } from "hono";
import { bearerAuth } from "../auth.js";

/**
 * Requires `Authorization: Bearer <token>` (`bearerAuth`) unless an earlier middleware already
 * authenticated the request (set the `identity` variable, see `request-identity.ts`) or no token is
 * configured. Lets the `/v1` and `/mcp` route groups stay protected by `server.auth.token` when
 * mounted without the app's own authentication, without rejecting tenant API keys that the app's
 * authentication accepted. @throws PlutoError `UNAUTHORIZED` (401).
 */
export function tokenUnlessAuthenticated(token: string | undefined): MiddlewareHandler {
  if (token === undefined) return async (_context, next) => next();
  const check = bearerAuth(token);
  return async (context, next) => {
    if ((context.var as { identity?: unknown }).identity !== undefined) return next();
    return check(context, next);
  };
}
