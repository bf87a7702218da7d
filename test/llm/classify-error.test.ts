import { APICallError } from "ai";
import { describe, expect, it } from "vitest";
import { PlutoError } from "../../src/core/errors.js";
import { classifyModelError, isAbortError, retryAfterMs } from "../../src/llm/classify-error.js";
import { abortableSleep, retryDelayMs } from "../../src/llm/retry-delay.js";

const context = { model: "openai/gpt-5-mini" };

function apiError(
  statusCode: number | undefined,
  options: { body?: unknown; headers?: Record<string, string> } = {},
) {
  return new APICallError({
    message: `HTTP ${statusCode}`,
    url: "http://127.0.0.1/v1/responses",
    requestBodyValues: {},
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(options.headers === undefined ? {} : { responseHeaders: options.headers }),
    data: options.body,
  });
}

describe("classifyModelError", () => {
  it.each([
    [429, "MODEL_RATE_LIMITED", true],
    [500, "MODEL_ERROR", true],
    [502, "MODEL_ERROR", true],
    [529, "MODEL_ERROR", true],
    [408, "MODEL_ERROR", true],
    [400, "MODEL_ERROR", false],
    [404, "MODEL_ERROR", false],
    [422, "MODEL_ERROR", false],
    [401, "MODEL_ERROR", false],
    [403, "MODEL_ERROR", false],
  ])("HTTP %i → %s (retryable %s)", (status, code, retryable) => {
    const error = classifyModelError(apiError(status), context);
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
    expect(error.details).toMatchObject({ model: context.model, status });
  });

  it("tells how to fix a rejected key", () => {
    const error = classifyModelError(apiError(401), { model: "anthropic/claude-sonnet-4-5" });
    expect(error.message).toContain("ANTHROPIC_API_KEY");
    expect(error.message).toContain("providers.anthropic.api_key");
  });

  it("keeps the provider's own message and the Retry-After delay", () => {
    const error = classifyModelError(
      apiError(429, {
        body: { error: { message: "Slow down", type: "rate_limit_exceeded" } },
        headers: { "retry-after": "7" },
      }),
      context,
    );
    expect(error.message).toContain("Slow down");
    expect(error.details?.retryAfterMs).toBe(7000);
  });

  it("does not retry an exhausted quota (429 insufficient_quota)", () => {
    const error = classifyModelError(
      apiError(429, { body: { error: { message: "quota", type: "insufficient_quota" } } }),
      context,
    );
    expect(error.code).toBe("MODEL_RATE_LIMITED");
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("billing");
  });

  it("treats a call that never got a status as a retryable network failure", () => {
    expect(classifyModelError(apiError(undefined), context)).toMatchObject({
      code: "MODEL_ERROR",
      retryable: true,
    });
    const refused = Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
    expect(classifyModelError(refused, context)).toMatchObject({ code: "MODEL_ERROR", retryable: true });
  });

  it("maps aborts to RUN_ABORTED", () => {
    const controller = new AbortController();
    controller.abort();
    expect(classifyModelError(new Error("anything"), { ...context, signal: controller.signal }).code).toBe(
      "RUN_ABORTED",
    );
    expect(classifyModelError(new DOMException("aborted", "AbortError"), context).code).toBe("RUN_ABORTED");
    expect(isAbortError({ cause: { name: "AbortError" } })).toBe(true);
  });

  it.each([
    [{ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }, "MODEL_ERROR", true],
    [{ type: "error", error: { type: "rate_limit_error", message: "Slow" } }, "MODEL_RATE_LIMITED", true],
    [
      {
        type: "error",
        sequence_number: 2,
        error: { type: "insufficient_quota", code: "insufficient_quota", message: "q" },
      },
      "MODEL_RATE_LIMITED",
      false,
    ],
    [{ error: { code: 400, message: "Token limit reached" } }, "MODEL_ERROR", false],
    [{ error: { code: 502, message: "Bad gateway" } }, "MODEL_ERROR", true],
    [{ error: "the model failed to generate a response" }, "MODEL_ERROR", false],
    [{ something: "odd" }, "MODEL_ERROR", false],
  ])("classifies in-band error %j", (value, code, retryable) => {
    const error = classifyModelError(value, context);
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
  });

  it("returns PlutoErrors unchanged and reports unreadable responses as not retryable", () => {
    const original = new PlutoError("PROVIDER_KEY_MISSING", "x");
    expect(classifyModelError(original, context)).toBe(original);
    const parse = classifyModelError(new SyntaxError("Unexpected token < in JSON"), context);
    expect(parse).toMatchObject({ code: "MODEL_ERROR", retryable: false });
    expect(parse.message).toContain("base_url");
  });
});

describe("retryAfterMs", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  it("reads retry-after-ms, retry-after seconds and HTTP dates", () => {
    expect(retryAfterMs({ "retry-after-ms": "250" }, now)).toBe(250);
    expect(retryAfterMs({ "retry-after": "3" }, now)).toBe(3000);
    expect(retryAfterMs({ "retry-after": "0.5" }, now)).toBe(500);
    expect(retryAfterMs({ "retry-after": "Thu, 01 Jan 2026 00:00:10 GMT" }, now)).toBe(10_000);
    expect(retryAfterMs({ "retry-after": "Wed, 31 Dec 2025 00:00:00 GMT" }, now)).toBe(0);
  });
  it("ignores absent, negative or unreadable values", () => {
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs({})).toBeUndefined();
    expect(retryAfterMs({ "retry-after": "soon" })).toBeUndefined();
    expect(retryAfterMs({ "retry-after": "-5" })).toBeUndefined();
    expect(retryAfterMs({ "retry-after-ms": "abc" })).toBeUndefined();
  });
});

describe("retryDelayMs", () => {
  it("grows exponentially with jitter inside [ceiling/2, ceiling], capped", () => {
    expect(retryDelayMs({ attempt: 0, maxDelayMs: 10_000, random: () => 0 })).toBe(250);
    expect(retryDelayMs({ attempt: 0, maxDelayMs: 10_000, random: () => 0.999999 })).toBe(500);
    expect(retryDelayMs({ attempt: 3, maxDelayMs: 10_000, random: () => 0 })).toBe(2000);
    expect(retryDelayMs({ attempt: 20, maxDelayMs: 3000, random: () => 1 })).toBe(3000);
    for (let attempt = 0; attempt < 10; attempt++) {
      const delay = retryDelayMs({ attempt, maxDelayMs: 8000 });
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(8000);
    }
  });
  it("uses the provider's delay, capped at maxDelayMs", () => {
    expect(retryDelayMs({ attempt: 5, maxDelayMs: 10_000, retryAfterMs: 1200 })).toBe(1200);
    expect(retryDelayMs({ attempt: 0, maxDelayMs: 10_000, retryAfterMs: 60_000 })).toBe(10_000);
  });
});

describe("abortableSleep", () => {
  it("waits, and rejects with RUN_ABORTED on abort", async () => {
    await abortableSleep(1, new AbortController().signal);
    const controller = new AbortController();
    const sleeping = abortableSleep(60_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toMatchObject({ code: "RUN_ABORTED" });
    await expect(abortableSleep(10, controller.signal)).rejects.toMatchObject({ code: "RUN_ABORTED" });
  });
});
