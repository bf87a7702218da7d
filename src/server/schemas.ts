import { z } from "zod";

/** Largest accepted `input`, in characters (bodies are also capped by `server.max_body_bytes`). */
export const MAX_INPUT_CHARS = 200_000;

/** Body of `POST /api/v1/agents/{agent}/runs`. */
export const CreateRunBody = z.strictObject({
  input: z.string().min(1, "input must not be empty").max(MAX_INPUT_CHARS),
  session_id: z.string().min(1).max(128).optional(),
  stream: z.boolean().optional(),
});
export type CreateRunBody = z.infer<typeof CreateRunBody>;

/** Body of `POST /sessions/{session}/approvals/{tool_call_id}`. */
export const DecideApprovalBody = z.strictObject({
  decision: z.enum(["approve", "deny"]),
  reason: z.string().min(1).max(1000).optional(),
  stream: z.boolean().optional(),
});
