/**
 * Stable error codes. Each code maps to one HTTP status in `server/error-status.ts`;
 * clients match on the code, never on the message.
 */
export type ErrorCode =
  | "BAD_REQUEST"
  | "CONFIG_INVALID"
  | "AGENT_INVALID"
  | "AGENT_NOT_FOUND"
  | "SESSION_NOT_FOUND"
  | "SESSION_CONFLICT"
  | "SESSION_CORRUPT"
  | "RUN_NOT_FOUND"
  | "RUN_ABORTED"
  | "RUN_INTERRUPTED"
  | "JOB_NOT_FOUND"
  | "JOB_CONFLICT"
  | "APPROVAL_NOT_FOUND"
  | "APPROVAL_DECIDED"
  | "ARTIFACT_NOT_FOUND"
  | "INVALID_NAME"
  | "PROVIDER_UNKNOWN"
  | "PROVIDER_KEY_MISSING"
  | "MODEL_ERROR"
  | "MODEL_RATE_LIMITED"
  | "TOOL_ERROR"
  | "TOOL_NOT_FOUND"
  | "MCP_SERVER_FAILED"
  | "LIMIT_EXCEEDED"
  | "PAYLOAD_TOO_LARGE"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "HOST_NOT_ALLOWED"
  | "ORIGIN_NOT_ALLOWED"
  | "NOT_FOUND"
  | "BACKEND_UNAVAILABLE"
  | "SERVER_BUSY"
  | "INTERNAL";

/** Options for {@link PlutoError}. */
export interface PlutoErrorOptions {
  /** Structured context for clients (JSON-serialisable). */
  details?: Record<string, unknown>;
  /** The underlying error, kept for logs; never sent over the wire. */
  cause?: unknown;
  /** True when repeating the same call may succeed (rate limits, 5xx, network). Decided where the error is born. */
  retryable?: boolean;
}

/**
 * The one error type Pluto throws on purpose. `message` says what went wrong and how to fix it.
 * Over HTTP it becomes `{"error": {"code", "message", "details"}}` (DESIGN.md, Errors).
 */
export class PlutoError extends Error {
  override readonly name = "PlutoError";
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: PlutoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }

  /** The wire shape of this error, as DESIGN.md's Errors section defines it. */
  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** True when `error` is a {@link PlutoError}, optionally with the given code. */
export function isPlutoError(error: unknown, code?: ErrorCode): error is PlutoError {
  return error instanceof PlutoError && (code === undefined || error.code === code);
}

/** A readable one-line message for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : JSON.stringify(error);
}
