import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { PlutoError } from "../core/errors.js";

/**
 * Bearer-token middleware: when `token` is set, every request must carry `Authorization: Bearer <token>`.
 * Compared in constant time over SHA-256 digests, so neither content nor length leaks. Tokens are never
 * accepted in query strings. @throws PlutoError `UNAUTHORIZED` (401).
 */
export function bearerAuth(token: string): MiddlewareHandler {
  const expected = createHash("sha256").update(token).digest();
  return async (context, next) => {
    const header = context.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const given = createHash("sha256")
      .update(match?.[1] ?? "")
      .digest();
    if (match === null || !timingSafeEqual(given, expected)) {
      throw new PlutoError(
        "UNAUTHORIZED",
        "Missing or wrong API token. Send the header `Authorization: Bearer <token>` with the token from server.auth.token in pluto.yaml.",
      );
    }
    await next();
  };
}
