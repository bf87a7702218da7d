/**
 * Turns whatever a provider call failed with (an AI SDK `APICallError` thrown or delivered as an
 * `error` stream part, an in-band provider error object, a network failure, an abort) into a
 * `PlutoError` whose `retryable` flag is decided here, where the error is born.
 *
 * Rules: 429 → `MODEL_RATE_LIMITED` retryable (except `insufficient_quota`: billing, not load);
 * 5xx (incl. Anthropic's 529), 408 and network failures → `MODEL_ERROR` retryable; 401/403 →
 * `MODEL_ERROR` about the API key; other 4xx and unreadable responses → `MODEL_ERROR` not retryable;
 * aborts → `RUN_ABORTED`.
 */
import { APICallError, NoOutputGeneratedError } from "ai";
import { errorMessage, isPlutoError, PlutoError } from "../core/errors.js";
import { envPrefix } from "./providers.js";

/** Where the failed call went: the `provider/model-id` and the signal of the run. */
export interface ErrorContext {
  model: string;
  signal?: AbortSignal;
}

/** Network error codes (Node/undici) that mean "the request never got an answer": retryable. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
]);

/** In-band error type/code strings (OpenAI, Anthropic, OpenRouter) and what they mean. */
const RATE_LIMIT_KINDS = /rate_limit|too_many_requests|resource_exhausted/i;
const QUOTA_KINDS = /insufficient_quota|billing/i;
const TRANSIENT_KINDS = /overloaded|server_error|api_error|internal|unavailable|timeout/i;
const AUTH_KINDS = /authentication|invalid_api_key|permission|unauthorized|forbidden/i;

/** True when `error` is an abort (DOMException `AbortError`/`TimeoutError` or a cause chain holding one). */
export function isAbortError(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (typeof current !== "object") return false;
    const name = (current as { name?: unknown }).name;
    if (name === "AbortError" || name === "ResponseAborted") return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function networkCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (typeof current !== "object") return undefined;
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The delay a 429/503 response asks for, in ms: `retry-after-ms` (OpenAI), else `retry-after`
 * as seconds or an HTTP date (RFC 9110 §10.2.3). Undefined when absent or unreadable.
 */
export function retryAfterMs(
  headers: Record<string, string> | undefined,
  now = Date.now(),
): number | undefined {
  if (headers === undefined) return undefined;
  const lower = (name: string) => headers[name] ?? headers[name.toUpperCase()];
  const milliseconds = Number.parseFloat(lower("retry-after-ms") ?? "");
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  const value = lower("retry-after");
  if (value === undefined) return undefined;
  const seconds = Number(value.trim());
  if (value.trim() !== "" && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  // Only an IMF-fixdate ("Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse would also read "-5" as a year.
  if (!/^[A-Za-z]{3}, /.test(value.trim())) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The provider's own message inside an error body such as `{"error": {"message": ...}}`, if any. */
function providerMessage(data: unknown, fallback: string): string {
  if (typeof data === "object" && data !== null) {
    const error = (data as { error?: unknown }).error;
    if (typeof error === "string") return error;
    if (typeof error === "object" && error !== null) {
      const message = (error as { message?: unknown }).message;
      if (typeof message === "string") return message;
    }
    const message = (data as { message?: unknown }).message;
    if (typeof message === "string") return message;
  }
  return fallback;
}

/** The type/code strings of an in-band error object (`{type, code, error: {type, code}}` shapes). */
function errorKinds(value: unknown): { kind: string; status: number | undefined } {
  const parts: string[] = [];
  let status: number | undefined;
  const visit = (item: unknown, depth: number) => {
    if (typeof item !== "object" || item === null || depth > 2) return;
    for (const key of ["type", "code", "status"] as const) {
      const field = (item as Record<string, unknown>)[key];
      if (typeof field === "string") parts.push(field);
      if (typeof field === "number" && field >= 400 && field < 600) status ??= field;
    }
    visit((item as { error?: unknown }).error, depth + 1);
  };
  visit(value, 0);
  return { kind: parts.join(" "), status };
}

function keyHint(model: string): string {
  const provider = model.split("/")[0] ?? model;
  const prefix = envPrefix(provider);
  return `Check the ${prefix}_API_KEY environment variable or providers.${provider}.api_key in pluto.yaml.`;
}

function fromStatus(
  status: number,
  kind: string,
  message: string,
  context: ErrorContext,
  extra: { cause: unknown; retryAfterMs?: number },
): PlutoError {
  const details: Record<string, unknown> = { model: context.model, status };
  if (extra.retryAfterMs !== undefined) details.retryAfterMs = extra.retryAfterMs;
  const options = { details, cause: extra.cause };
  if (status === 429 && QUOTA_KINDS.test(kind)) {
    return new PlutoError(
      "MODEL_RATE_LIMITED",
      `Model ${context.model} refused the request: the account's quota is used up (HTTP 429: ${message}). ` +
        `Check the provider plan and billing, or configure fallback_models with another provider.`,
      { ...options, retryable: false },
    );
  }
  if (status === 429) {
    return new PlutoError(
      "MODEL_RATE_LIMITED",
      `Model ${context.model} is rate limited (HTTP 429: ${message}). Wait and retry, lower the request rate, ` +
        `or configure fallback_models.`,
      { ...options, retryable: true },
    );
  }
  if (status === 401 || status === 403) {
    return new PlutoError(
      "MODEL_ERROR",
      `Model ${context.model} rejected the API key (HTTP ${status}: ${message}). ${keyHint(context.model)}`,
      { ...options, retryable: false },
    );
  }
  if (status >= 500 || status === 408) {
    return new PlutoError(
      "MODEL_ERROR",
      `Model ${context.model} failed on the provider's side (HTTP ${status}: ${message}). This is usually ` +
        `temporary; Pluto retries it, and fallback_models can take over.`,
      { ...options, retryable: true },
    );
  }
  return new PlutoError(
    "MODEL_ERROR",
    `Model ${context.model} rejected the request (HTTP ${status}: ${message}). Check the model id and the ` +
      `agent's parameters (e.g. temperature, max_output_tokens) for this model.`,
    { ...options, retryable: false },
  );
}

/**
 * Classifies a failure of one model call.
 * @param error what was thrown or carried by an `error` stream part
 * @returns a `PlutoError` (`RUN_ABORTED`, `MODEL_RATE_LIMITED` or `MODEL_ERROR`; an existing
 *   `PlutoError` is returned unchanged) with `retryable` set and `details.model`
 */
export function classifyModelError(error: unknown, context: ErrorContext): PlutoError {
  if (isPlutoError(error)) return error;
  if (context.signal?.aborted === true || isAbortError(error)) {
    return new PlutoError("RUN_ABORTED", `The run was aborted while model ${context.model} was answering.`, {
      details: { model: context.model },
      cause: error,
    });
  }
  if (APICallError.isInstance(error)) {
    const message = providerMessage(error.data, error.message);
    if (error.statusCode !== undefined) {
      const retryAfter = retryAfterMs(error.responseHeaders);
      return fromStatus(error.statusCode, errorKinds(error.data).kind, message, context, {
        cause: error,
        ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
      });
    }
    return networkError(context, error, message);
  }
  // The SDK's name for a stream that ended before anything could be parsed (Anthropic's wire format).
  if (NoOutputGeneratedError.isInstance(error)) return noReadableAnswerError(context, error);
  const code = networkCode(error);
  if (code !== undefined) return networkError(context, error, `${errorMessage(error)} (${code})`);
  if (
    error instanceof Error &&
    /fetch failed|socket hang up|terminated|other side closed/i.test(error.message)
  ) {
    return networkError(context, error, errorMessage(error));
  }
  if (typeof error === "object" && error !== null && !(error instanceof Error)) {
    return fromInBandError(error, context);
  }
  return new PlutoError(
    "MODEL_ERROR",
    `Model ${context.model} sent a response Pluto could not use: ${errorMessage(error)}. ` +
      `Check that the provider and base_url speak the expected API.`,
    { details: { model: context.model }, cause: error, retryable: false },
  );
}

function networkError(context: ErrorContext, cause: unknown, message: string): PlutoError {
  return new PlutoError(
    "MODEL_ERROR",
    `Could not reach model ${context.model}: ${message}. Check the network and the provider's base_url; ` +
      `Pluto retries this.`,
    { details: { model: context.model }, cause, retryable: true },
  );
}

/** An error object a provider sent inside a 200 stream (OpenAI `error` event, Anthropic `event: error`, OpenRouter chunk). */
function fromInBandError(error: object, context: ErrorContext): PlutoError {
  const { kind, status } = errorKinds(error);
  const message = providerMessage(error, JSON.stringify(error));
  if (status !== undefined) return fromStatus(status, kind, message, context, { cause: error });
  if (QUOTA_KINDS.test(kind)) return fromStatus(429, kind, message, context, { cause: error });
  if (RATE_LIMIT_KINDS.test(kind)) return fromStatus(429, kind, message, context, { cause: error });
  if (AUTH_KINDS.test(kind)) return fromStatus(401, kind, message, context, { cause: error });
  if (TRANSIENT_KINDS.test(kind)) return fromStatus(500, kind, message, context, { cause: error });
  return new PlutoError(
    "MODEL_ERROR",
    `Model ${context.model} reported an error while streaming: ${message}.`,
    { details: { model: context.model, kind }, cause: error, retryable: false },
  );
}

/**
 * The failure of a model answer with nothing in it Pluto could read: no chunk of the expected wire
 * format at all (a plain JSON body sent to a streaming request, an HTML page, a stream of another
 * provider's format). Almost always a wrong `base_url` or provider type, so not retryable.
 * @returns PlutoError `MODEL_ERROR` naming the model and the likely causes, `details.model`
 */
export function noReadableAnswerError(context: ErrorContext, cause?: unknown): PlutoError {
  return new PlutoError(
    "MODEL_ERROR",
    `Model ${context.model} answered without a single chunk Pluto could read (for example a plain JSON ` +
      `body instead of a stream, or an HTML page). The provider's base_url or wire format is likely wrong: ` +
      `check providers.<name>.base_url in pluto.yaml (usually ending in /v1; the server root for Ollama) and ` +
      `that the provider's type and api match what the server speaks.`,
    { details: { model: context.model }, ...(cause === undefined ? {} : { cause }), retryable: false },
  );
}
