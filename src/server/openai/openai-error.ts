import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode } from "../../core/errors.js";
import { isPlutoError } from "../../core/errors.js";
import type { EventError } from "../../core/events.js";
import { statusForCode } from "../error-status.js";

/**
 * The error body of the OpenAI-compatible API: OpenAI's shape (`message`, `type`, `param`, `code`;
 * https://platform.openai.com/docs/guides/error-codes) whose `code` is Pluto's stable error code, so
 * the body is also Pluto's one error format (`code`, `message`, optional `details`).
 */
export interface OpenAiErrorBody {
  error: {
    message: string;
    /** OpenAI's error class, derived from the HTTP status (see {@link openAiErrorType}). */
    type: string;
    /** The request field at fault (`messages.2.content`), when known; otherwise null. */
    param: string | null;
    /** Pluto's error code, e.g. `AGENT_NOT_FOUND`. */
    code: string;
    details?: Record<string, unknown>;
  };
}

/**
 * OpenAI's `error.type` for an HTTP status: 401 `authentication_error`, 403 `permission_error`,
 * 429 `rate_limit_error`, other 4xx `invalid_request_error`, 5xx `server_error`.
 */
export function openAiErrorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "rate_limit_error";
  return status >= 500 ? "server_error" : "invalid_request_error";
}

/** HTTP status for a code that crossed a run's `run-end` event (any string): Pluto's mapping, else 500. */
export function statusForEventCode(code: string): ContentfulStatusCode {
  const status: unknown = statusForCode(code as ErrorCode);
  return typeof status === "number" ? (status as ContentfulStatusCode) : 500;
}

/** Builds the error body for a Pluto error code and message (from a thrown error or a run's `error`). */
export function openAiErrorBody(
  error: EventError & { details?: Record<string, unknown> | undefined },
  status: number,
): OpenAiErrorBody {
  const issues = error.details?.issues;
  const firstPath =
    Array.isArray(issues) && typeof issues[0]?.path === "string" && issues[0].path !== ""
      ? issues[0].path
      : null;
  return {
    error: {
      message: error.message,
      type: openAiErrorType(status),
      param: firstPath,
      code: error.code,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
}

/**
 * Body and status for anything thrown while answering: PlutoErrors keep their code and message;
 * anything else is hidden as `INTERNAL` (the caller reports it to the server log).
 */
export function openAiErrorFor(error: unknown): { status: ContentfulStatusCode; body: OpenAiErrorBody } {
  if (isPlutoError(error)) {
    const status = statusForCode(error.code);
    return { status, body: openAiErrorBody(error.toJSON(), status) };
  }
  return {
    status: 500,
    body: openAiErrorBody(
      { code: "INTERNAL", message: "Internal error; the server log has the details." },
      500,
    ),
  };
}
