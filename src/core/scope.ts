import { assertSafeName } from "./names.js";

/** The tenant every request belongs to in simple mode. */
export const DEFAULT_TENANT = "default";

/**
 * Who owns a piece of state: every store call is scoped by tenant and agent (DESIGN.md, Services).
 * Both fields are safe names (see `assertSafeName`).
 */
export interface Scope {
  tenant: string;
  agent: string;
}

/** Builds a validated {@link Scope}. @throws PlutoError `INVALID_NAME`. */
export function scopeOf(agent: string, tenant: string = DEFAULT_TENANT): Scope {
  return { tenant: assertSafeName("tenant", tenant), agent: assertSafeName("agent", agent) };
}
