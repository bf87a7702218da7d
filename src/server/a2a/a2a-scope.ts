import { createHash } from "node:crypto";
import type { Extensions } from "@a2a-js/sdk";
import { ServerCallContext } from "@a2a-js/sdk/server";
import { PlutoError } from "../../core/errors.js";
import { isSafeName } from "../../core/names.js";
import type { Scope } from "../../core/scope.js";

/**
 * Key under which Pluto's scope (tenant from the API key, agent from the URL) travels through the SDK
 * in `ServerCallContext.state`. The A2A wire field `tenant` (`ServerCallContext.tenant`) is chosen by
 * the client and is never used for isolation.
 */
const SCOPE_STATE_KEY = "pluto.scope";

/** Options of {@link createCallContext}. */
export interface CallContextOptions {
  scope: Scope;
  /** The `A2A-Version` the client asked for; absent means v0.3 (A2A v1.0 specification, section 3.6.2). */
  requestedVersion?: string;
  /** Extension URIs from the `A2A-Extensions` (or v0.3 `X-A2A-Extensions`) header. */
  requestedExtensions?: Extensions;
}

/** A `ServerCallContext` carrying the caller's Pluto scope. */
export function createCallContext(options: CallContextOptions): ServerCallContext {
  return new ServerCallContext({
    ...(options.requestedVersion === undefined ? {} : { requestedVersion: options.requestedVersion }),
    ...(options.requestedExtensions === undefined
      ? {}
      : { requestedExtensions: options.requestedExtensions }),
    state: new Map<string, unknown>([[SCOPE_STATE_KEY, Object.freeze({ ...options.scope })]]),
  });
}

/**
 * The Pluto scope of an SDK call.
 * @throws PlutoError `INTERNAL` when the context was not built by {@link createCallContext} (a wiring bug).
 */
export function scopeOfCall(context: ServerCallContext | undefined): Scope {
  const scope = context?.state.get(SCOPE_STATE_KEY) as Scope | undefined;
  if (scope === undefined) {
    throw new PlutoError("INTERNAL", "An A2A call reached Pluto without a tenant and agent scope.");
  }
  return scope;
}

/**
 * The Pluto session that holds an A2A context (`contextId`). A context id that is a safe name
 * (`assertSafeName`: letters, digits, `.`, `_`, `-`, at most 128) is the session id itself, so a
 * conversation started over A2A can be read through the session API and vice versa; any other string
 * maps to `a2a-` plus the first 40 hex digits of its SHA-256, so hostile ids never reach a path or key.
 */
export function sessionIdForContext(contextId: string): string {
  if (isSafeName(contextId)) return contextId;
  return `a2a-${createHash("sha256").update(contextId).digest("hex").slice(0, 40)}`;
}
