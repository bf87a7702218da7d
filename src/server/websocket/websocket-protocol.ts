import { z } from "zod";
import { PlutoError } from "../../core/errors.js";
import type { SessionEvent } from "../../core/events.js";

/**
 * Pluto's WebSocket protocol (docs/websocket.md): JSON text frames, one message per frame. Clients send
 * `subscribe`, `unsubscribe`, `run`, `abort` and `decide-approval`; the server sends `event` (one session event, the same
 * objects SSE carries) and `error`.
 */

/** An optional client-chosen id echoed in the `error` answering that message (string ≤ 128 chars or integer). */
const MessageId = z.union([z.string().max(128), z.number().int().safe()]).optional();
/** Names are checked as safe names where they are used; here only their type and a sane length. */
const Name = z.string().max(256);

/** `subscribe`: replay the session's events after `after` (a `seq`; default 0 = all), then follow it live. */
export const SubscribeMessage = z.object({
  type: z.literal("subscribe"),
  id: MessageId,
  session_id: Name,
  after: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});

/** `unsubscribe`: stop following a session (events of runs this socket started still arrive). */
export const UnsubscribeMessage = z.object({
  type: z.literal("unsubscribe"),
  id: MessageId,
  session_id: Name,
});

/** `run`: start a run of `agent` with the user message `input`, in `session_id` or a new session. */
export const RunMessage = z.object({
  type: z.literal("run"),
  id: MessageId,
  agent: Name,
  input: z.string(),
  session_id: Name.optional(),
});

/** `abort`: abort a queued or running run of the caller's tenant. */
export const AbortMessage = z.object({
  type: z.literal("abort"),
  id: MessageId,
  run_id: Name,
});

/**
 * `decide-approval`: decide one tool call waiting for approval in `session_id` (docs/approvals.md), like
 * `POST /api/v1/sessions/{session}/approvals/{tool_call_id}`; the continued run's events follow.
 */
export const DecideApprovalMessage = z.object({
  type: z.literal("decide-approval"),
  id: MessageId,
  session_id: Name,
  tool_call_id: Name,
  decision: z.enum(["approve", "deny"]),
  reason: z.string().min(1).max(1000).optional(),
});

/** Any message a client may send. */
export const ClientMessage = z.discriminatedUnion("type", [
  SubscribeMessage,
  UnsubscribeMessage,
  RunMessage,
  AbortMessage,
  DecideApprovalMessage,
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** The client message types, for error messages and docs. */
export const CLIENT_MESSAGE_TYPES = ["subscribe", "unsubscribe", "run", "abort", "decide-approval"] as const;

/** `event`: one session event (with its `seq`), as stored in the session log. */
export interface EventMessage {
  type: "event";
  session_id: string;
  event: SessionEvent;
}

/** `error`: what went wrong with a client message (or a run); the socket stays open. */
export interface ErrorMessage {
  type: "error";
  /** The `id` of the client message this answers, when it had one. */
  id?: string | number;
  session_id?: string;
  run_id?: string;
  /** The HTTP API's error object (DESIGN.md, Errors). */
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** Any message the server sends. */
export type ServerMessage = EventMessage | ErrorMessage;

/**
 * Parses one text frame into a client message.
 * @throws PlutoError `BAD_REQUEST` for text that is not JSON, not an object, has no known `type`, or has
 *   fields of the wrong type; `details.id` carries the message's `id` when one could be read.
 */
export function parseClientMessage(text: string): ClientMessage {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new PlutoError(
      "BAD_REQUEST",
      'Each frame must be one JSON object such as {"type":"subscribe","session_id":"…"}; this frame is not valid JSON.',
    );
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new PlutoError("BAD_REQUEST", 'Each frame must be one JSON object with a "type" field.');
  }
  const record = data as Record<string, unknown>;
  const id = MessageId.safeParse(record.id);
  const idDetails = id.success && id.data !== undefined ? { id: id.data } : {};
  const type = record.type;
  if (typeof type !== "string" || !(CLIENT_MESSAGE_TYPES as readonly string[]).includes(type)) {
    throw new PlutoError(
      "BAD_REQUEST",
      `Unknown message type ${JSON.stringify(typeof type === "string" ? type.slice(0, 40) : (type ?? null))}. Send one of: ${CLIENT_MESSAGE_TYPES.join(", ")}.`,
      { details: { ...idDetails, types: [...CLIENT_MESSAGE_TYPES] } },
    );
  }
  const parsed = ClientMessage.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") ?? "";
    throw new PlutoError(
      "BAD_REQUEST",
      `Bad "${type}" message: ${field === "" ? "" : `${field}: `}${issue?.message ?? "invalid"}. See docs/websocket.md for the message shapes.`,
      { details: { ...idDetails, ...(field === "" ? {} : { field }) } },
    );
  }
  return parsed.data;
}
