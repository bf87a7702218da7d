import type { MiddlewareHandler } from "hono";
import { PlutoError } from "../../core/errors.js";
import { identityOf } from "../request-identity.js";

/**
 * Lets only callers whose role is `admin` through (their tenant still scopes everything they do).
 * @throws PlutoError `FORBIDDEN` (403) for any other role.
 */
export function requireAdmin(): MiddlewareHandler {
  return async (context, next) => {
    if (identityOf(context).role !== "admin") {
      throw new PlutoError(
        "FORBIDDEN",
        'This route needs an admin key of your tenant; your key\'s role is member. Ask an admin for an admin key (POST /api/v1/admin/keys with role "admin").',
      );
    }
    await next();
  };
}
