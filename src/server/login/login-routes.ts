import { Hono } from "hono";
import { setCookie } from "hono/cookie";
import type { ApiKeyStore } from "../../services/auth/api-key-store.js";
import { SESSION_COOKIE } from "../auth.js";
import { requestIsHttps } from "./request-origin.js";
import { LoginExchange, SESSION_COOKIE_TTL_MS } from "./session-tokens.js";

/** Options for {@link loginRoutes}. */
export interface LoginRoutesOptions {
  apiKeys: ApiKeyStore;
  /** @default () => new Date() */
  now?: () => Date;
}

const INVALID_LINK =
  "This login link is invalid, expired or already used. Ask an administrator for a new one (POST /api/v1/admin/login-links).\n";

/**
 * `GET /login?token=<one-time token>` (a public route): exchanges a live login-link token (kind `login`,
 * see `session-tokens.ts`) for a browser session and answers `303 See Other` to `/`, the address without
 * the token, with `Set-Cookie: pluto_session=<token>; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200`
 * (plus `Secure` over HTTPS, `X-Forwarded-Proto` included). The link works once. A missing, malformed,
 * unknown, expired or used token gets `401` with a plain-text message and no cookie. Tokens are never
 * logged; every answer carries `Cache-Control: no-store` and `Referrer-Policy: no-referrer`.
 */
export function loginRoutes(options: LoginRoutesOptions): Hono {
  const routes = new Hono();
  const exchange = new LoginExchange({
    apiKeys: options.apiKeys,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  routes.get("/login", async (context) => {
    context.header("Cache-Control", "no-store");
    context.header("Referrer-Policy", "no-referrer");
    const token = context.req.query("token");
    const session = token === undefined || token.length > 200 ? undefined : await exchange.exchange(token);
    if (session === undefined) return context.text(INVALID_LINK, 401);
    setCookie(context, SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      maxAge: SESSION_COOKIE_TTL_MS / 1000,
      secure: requestIsHttps(context),
    });
    return context.redirect("/", 303);
  });
  return routes;
}
