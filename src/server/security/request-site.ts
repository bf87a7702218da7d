import type { Context } from "hono";

/**
 * Where a browser says a request comes from, relative to the request's own origin:
 * - `same`: `Sec-Fetch-Site: same-origin`, or an `Origin` whose host and port are the request's own
 *   (`Host`, else the URL's) or `publicUrl`'s;
 * - `cross`: `Sec-Fetch-Site: cross-site | same-site`, an `Origin` naming another host or port, or
 *   `Origin: null` (sandboxed pages, `file:` URLs);
 * - `unknown`: neither header (curl, SDKs, server-side clients) or `Sec-Fetch-Site: none` (typed URL).
 * Headers per the Fetch standard (Origin) and Fetch Metadata Request Headers (W3C, Sec-Fetch-Site).
 * Schemes are not compared, so a TLS-terminating proxy in front of plain HTTP needs nothing more.
 */
export function requestSite(context: Context, publicUrl?: string): "same" | "cross" | "unknown" {
  const fetchSite = context.req.header("sec-fetch-site")?.trim().toLowerCase();
  if (fetchSite === "cross-site" || fetchSite === "same-site") return "cross";
  const origin = context.req.header("origin");
  if (origin !== undefined) {
    const originUrl = parseUrl(origin);
    if (originUrl === undefined || originUrl.host === "") return "cross";
    const host = context.req.header("host") ?? new URL(context.req.url).host;
    // Parsed with the Origin's scheme so its default port (80 or 443) is dropped on both sides.
    const own = [parseUrl(`${originUrl.protocol}//${host}`)?.host];
    if (publicUrl !== undefined) own.push(new URL(publicUrl).host);
    return own.includes(originUrl.host) ? "same" : "cross";
  }
  return fetchSite === "same-origin" ? "same" : "unknown";
}

/** True for the methods that must not change state (RFC 9110 section 9.2.1 "safe"): GET, HEAD, OPTIONS. */
export function isSafeMethod(method: string): boolean {
  return method === "GET" || method === "HEAD" || method === "OPTIONS";
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
