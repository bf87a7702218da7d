import type { Context } from "hono";
import { DEFAULT_TENANT } from "../core/scope.js";

/** Roles an API key can have: `admin` manages agents and keys of its tenant; `member` runs agents. */
export type Role = "admin" | "member";

/**
 * Who is calling: resolved once per request by the auth middleware from the API key (never from the
 * body or the query string). Without tenant keys (simple mode) every request is the default tenant's admin.
 */
export interface RequestIdentity {
  tenant: string;
  role: Role;
  /** Id of the API key used, for logs and revocation; absent in simple mode. */
  keyId?: string;
}

/** Hono environment of Pluto's routes: the identity set by the auth middleware. */
export interface AppEnv {
  Variables: { identity: RequestIdentity };
}

const SIMPLE_MODE: RequestIdentity = Object.freeze({ tenant: DEFAULT_TENANT, role: "admin" });

/** The caller's identity; the default tenant's admin when no auth middleware ran. */
export function identityOf(context: Context): RequestIdentity {
  return (context.var as { identity?: RequestIdentity }).identity ?? SIMPLE_MODE;
}
