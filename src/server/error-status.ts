import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode } from "../core/errors.js";

/** The one place that maps error codes to HTTP statuses (DESIGN.md, Errors). */
const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  BAD_REQUEST: 400,
  INVALID_NAME: 400,
  CONFIG_INVALID: 500,
  AGENT_INVALID: 422,
  AGENT_NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  SESSION_CONFLICT: 409,
  SESSION_CORRUPT: 500,
  RUN_NOT_FOUND: 404,
  APPROVAL_NOT_FOUND: 404,
  APPROVAL_DECIDED: 409,
  RUN_ABORTED: 409,
  RUN_INTERRUPTED: 409,
  JOB_NOT_FOUND: 404,
  JOB_CONFLICT: 409,
  ARTIFACT_NOT_FOUND: 404,
  PROVIDER_UNKNOWN: 422,
  PROVIDER_KEY_MISSING: 500,
  MODEL_ERROR: 502,
  MODEL_RATE_LIMITED: 429,
  TOOL_ERROR: 500,
  TOOL_NOT_FOUND: 404,
  MCP_SERVER_FAILED: 502,
  LIMIT_EXCEEDED: 429,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  HOST_NOT_ALLOWED: 403,
  ORIGIN_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  BACKEND_UNAVAILABLE: 503,
  SERVER_BUSY: 503,
  INTERNAL: 500,
};

/** HTTP status for an error code. */
export function statusForCode(code: ErrorCode): ContentfulStatusCode {
  return STATUS[code];
}
