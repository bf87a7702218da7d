import type { MiddlewareHandler } from "hono";
import { PlutoError } from "../../core/errors.js";
import { hostAllowList } from "./allowed-hosts.js";
import { isSafeMethod, requestSite } from "./request-site.js";

/** Options for {@link requestOriginGuard}. */
export interface RequestOriginGuardOptions {
  /** `server.allowed_hosts` (see `hostAllowList`). @default [] */
  allowedHosts?: readonly string[];
  /** `server.public_url`: its host is an allowed `Host` and its origin an allowed `Origin`. */
  publicUrl?: string;
}

/** Liveness and readiness probes answer any `Host` (they reveal nothing and change nothing). */
const PROBES = new Set(["/healthz", "/readyz"]);

/**
 * The one check of where a request comes from, mounted before authentication so it holds on every route
 * (docs/security-web.md):
 * 1. `Host` (and the request URL's host, which differs for absolute-form request targets) must be a name
 *    this server answers to (`hostAllowList`): a page whose DNS name was rebound to this machine's
 *    address still sends its own name. Health probes are exempt.
 * 2. State-changing requests (every method but GET, HEAD, OPTIONS) and WebSocket upgrades, which browsers
 *    send across origins without CORS, must not come from another site's page (`requestSite` is `cross`).
 *    Clients that send neither `Origin` nor `Sec-Fetch-Site` (curl, SDKs) pass.
 * @throws PlutoError `HOST_NOT_ALLOWED` (403) for 1; `ORIGIN_NOT_ALLOWED` (403) for 2.
 */
export function requestOriginGuard(options: RequestOriginGuardOptions = {}): MiddlewareHandler {
  const allowed = hostAllowList(options);
  return async (context, next) => {
    if (!PROBES.has(context.req.path)) {
      const headerHost = context.req.header("host");
      const urlHost = new URL(context.req.url).host;
      for (const host of headerHost === undefined ? [urlHost] : [headerHost, urlHost]) {
        if (!allowed(host)) {
          throw new PlutoError(
            "HOST_NOT_ALLOWED",
            `Requests for the host ${JSON.stringify(host.slice(0, 200))} are refused: it is not a name this server answers to. If clients reach Pluto under this name, add it to server.allowed_hosts in pluto.yaml (or set server.public_url).`,
            { details: { host: host.slice(0, 200) } },
          );
        }
      }
    }
    const upgrade = context.req.header("upgrade")?.toLowerCase() === "websocket";
    if (
      (upgrade || !isSafeMethod(context.req.method)) &&
      requestSite(context, options.publicUrl) === "cross"
    ) {
      const origin = context.req.header("origin") ?? "";
      throw new PlutoError(
        "ORIGIN_NOT_ALLOWED",
        `Cross-origin ${upgrade ? "WebSocket connections" : "requests that change state"} are refused${origin === "" ? "" : ` (Origin ${JSON.stringify(origin.slice(0, 200))})`}: only pages served by this server may send them. Call the API from a server-side client or from a page on this server's origin${options.publicUrl === undefined ? "" : " or server.public_url"}.`,
      );
    }
    await next();
  };
}
