import { createHash } from "node:crypto";
import { isSafeName } from "../../core/names.js";

/** The request header that names a Pluto session explicitly. */
export const SESSION_HEADER = "x-pluto-session-id";

/**
 * The Pluto session of a chat completion request:
 * - the `x-pluto-session-id` header, as is (validated later by the run manager, which answers
 *   `INVALID_NAME` or `SESSION_CONFLICT`), when sent;
 * - else one derived from OpenAI's `user` field and the agent: `<agent>.<user>` when that is a safe
 *   name (see `core/names.ts`), otherwise `<agent, at most 60 chars>.u-<40 hex of SHA-256(agent NUL user)>`.
 *   The agent is part of the id because `user` names a person, who may talk to several agents, while
 *   a Pluto session belongs to one agent;
 * - else `undefined`: the run manager starts a new session.
 */
export function chatSessionId(options: {
  agent: string;
  header: string | undefined;
  user: string | null | undefined;
}): string | undefined {
  if (options.header !== undefined) return options.header;
  const { user, agent } = options;
  if (user === undefined || user === null) return undefined;
  const readable = `${agent}.${user}`;
  if (isSafeName(readable)) return readable;
  const digest = createHash("sha256").update(`${agent}\0${user}`).digest("hex").slice(0, 40);
  return `${agent.slice(0, 60)}.u-${digest}`;
}
