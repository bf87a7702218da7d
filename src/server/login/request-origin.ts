import type { Context } from "hono";

/**
 * True when the client reached the server over HTTPS: the request URL is `https:`, or the first value
 * of `X-Forwarded-Proto` (set by a TLS-terminating proxy) is `https`.
 */
export function requestIsHttps(context: Context): boolean {
  const forwarded = context.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  if (forwarded !== undefined && forwarded !== "") return forwarded === "https";
  return new URL(context.req.url).protocol === "https:";
}

/**
 * The origin clients use to reach this server (`https://pluto.example.com`): `publicUrl`'s origin when
 * given, else the request's scheme (see {@link requestIsHttps}) and `Host` header, which the app's origin
 * guard (`security/request-origin-guard.ts`) has already checked. A response built from the latter must
 * carry `Vary: Host`.
 */
export function requestOrigin(context: Context, publicUrl?: string): string {
  if (publicUrl !== undefined) return new URL(publicUrl).origin;
  const url = new URL(context.req.url);
  const host = context.req.header("host") ?? url.host;
  return `${requestIsHttps(context) ? "https" : "http"}://${host}`;
}
