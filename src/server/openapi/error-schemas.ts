import { z } from "zod";

/**
 * The error bodies of Pluto's HTTP APIs as zod schemas, for the OpenAPI document and for tests that
 * check real answers against it. The format is DESIGN.md's ("Errors"); `error-status.ts` maps codes
 * to statuses.
 */

/** `error` of Pluto's one error format. */
const ErrorObject = z.object({
  code: z
    .string()
    .describe("Stable error code, e.g. `AGENT_NOT_FOUND`; see docs/http-api.md for the status of each."),
  message: z.string().describe("What went wrong and how to fix it."),
  details: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("Structured context, e.g. `issues` of a bad body."),
});

/** `{"error": {"code", "message", "details"?}}`: every error of the native, admin, A2A-card and MCP routes. */
export const ErrorBody = z.object({ error: ErrorObject });

/**
 * Errors of the Agent Protocol routes: Pluto's format plus a top-level `message`, which the protocol's
 * `NotFound` response requires.
 */
export const AgentProtocolErrorBody = z.object({ error: ErrorObject, message: z.string() });

/**
 * Errors of the OpenAI-compatible routes: OpenAI's shape (`message`, `type`, `param`, `code`) whose
 * `code` is Pluto's error code (`openai/openai-error.ts`).
 */
export const OpenAiErrorBody = z.object({
  error: z.object({
    message: z.string(),
    type: z
      .string()
      .describe(
        "OpenAI's error class: `invalid_request_error`, `authentication_error`, `permission_error`, `rate_limit_error` or `server_error`.",
      ),
    param: z
      .string()
      .nullable()
      .describe("The request field at fault, e.g. `messages.2.content`, else null."),
    code: z.string().describe("Pluto's error code, e.g. `AGENT_NOT_FOUND`."),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
