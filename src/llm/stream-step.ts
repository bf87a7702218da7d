/**
 * The production {@link StreamStep}: one model step per AI SDK `streamText` call (no SDK tool loop,
 * no SDK retries), with Pluto's own retries, backoff and fallback models.
 */
import { type JSONSchema7, jsonSchema, streamText, type ToolSet, tool } from "ai";
import { PlutoError } from "../core/errors.js";
import { classifyModelError } from "./classify-error.js";
import type { ModelStep, ModelStepPart, ModelStepRequest, ModelToolSpec, StreamStep } from "./model-step.js";
import type { ModelRegistry, ResolvedLanguageModel } from "./providers.js";
import { abortableSleep, retryDelayMs } from "./retry-delay.js";
import { toModelMessages } from "./to-model-messages.js";
import { toStepParts } from "./to-step-parts.js";

/** Inputs of {@link createStreamStep}. */
export interface StreamStepOptions {
  /** Resolves model ids (see providers.ts). */
  registry: ModelRegistry;
  /** `[spec.model, ...spec.fallback_models]`, tried in order. Must not be empty. */
  models: readonly string[];
  /**
   * `maxRetries`: retries per model after the first attempt (0 = no retry); `maxDelayMs`: cap of any
   * backoff or provider-requested wait (pluto.yaml `retry`).
   */
  retry: { maxRetries: number; maxDelayMs: number };
  /** Waits between attempts; must reject (or return) when `signal` aborts. @default a timer that rejects with RUN_ABORTED on abort */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Random source for jitter, in [0, 1). @default Math.random */
  random?: () => number;
}

function toToolSet(tools: readonly ModelToolSpec[]): ToolSet | undefined {
  if (tools.length === 0) return undefined;
  const set: ToolSet = {};
  for (const spec of tools) {
    // No `execute`: the SDK returns the calls and stops; the executor runs tools itself.
    set[spec.name] = tool({
      description: spec.description,
      inputSchema: jsonSchema(spec.inputSchema as JSONSchema7),
    });
  }
  return set;
}

function aborted(model: string | undefined): PlutoError {
  return new PlutoError(
    "RUN_ABORTED",
    model === undefined ? "The run was aborted." : `The run was aborted while model ${model} was answering.`,
    model === undefined ? {} : { details: { model } },
  );
}

/**
 * Starts one attempt and waits for its first part, so failures before any output can be retried.
 * @returns the step, whose parts begin with that first part
 * @throws the classified error of the attempt
 */
async function startAttempt(
  model: string,
  languageModel: ResolvedLanguageModel,
  request: ModelStepRequest,
): Promise<ModelStep> {
  const controller = new AbortController();
  const signal = AbortSignal.any([request.signal, controller.signal]);
  const context = { model, signal: request.signal };
  const tools = toToolSet(request.tools);
  let parts: AsyncGenerator<ModelStepPart>;
  let first: IteratorResult<ModelStepPart>;
  try {
    const result = streamText({
      model: languageModel,
      instructions: request.system,
      messages: toModelMessages(request.messages),
      ...(tools === undefined ? {} : { tools }),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      ...(request.maxOutputTokens === undefined ? {} : { maxOutputTokens: request.maxOutputTokens }),
      maxRetries: 0,
      abortSignal: signal,
      // Errors reach us as `error` parts; the default handler would also print them.
      onError: () => {},
    });
    parts = toStepParts(result.fullStream, context);
    first = await parts.next();
  } catch (error) {
    controller.abort();
    throw classifyModelError(error, context);
  }
  return {
    model,
    parts: (async function* () {
      let completed = false;
      try {
        if (first.done !== true) yield first.value;
        yield* parts;
        completed = true;
      } catch (error) {
        throw classifyModelError(error, context);
      } finally {
        // The consumer stopped early or the stream failed: close the HTTP response.
        if (!completed) controller.abort();
      }
    })(),
  };
}

/**
 * Builds a {@link StreamStep} that answers each request with the first model that works:
 * - each attempt is one `streamText` call with `maxRetries: 0` and tools without `execute`;
 * - a retryable failure (`PlutoError.retryable`: 429, 5xx, network) before the first part is retried
 *   up to `retry.maxRetries` times, waiting per {@link retryDelayMs} (honouring `Retry-After`);
 * - when a model's retries are exhausted, the next model in `models` is tried the same way;
 * - non-retryable failures, failures after the first part, and aborts end the step at once.
 * The returned `ModelStep.model` is the model that answered.
 * @throws PlutoError `RUN_ABORTED`, `MODEL_ERROR`, `MODEL_RATE_LIMITED`, `PROVIDER_UNKNOWN`,
 *   `PROVIDER_KEY_MISSING`, `CONFIG_INVALID` (from the promise, or from iterating `parts`)
 */
export function createStreamStep(options: StreamStepOptions): StreamStep {
  if (options.models.length === 0) {
    throw new PlutoError(
      "CONFIG_INVALID",
      "createStreamStep needs at least one model: set spec.model in agent.yaml.",
    );
  }
  const sleep = options.sleep ?? abortableSleep;
  const maxRetries = Math.max(0, Math.floor(options.retry.maxRetries));

  return async (request) => {
    let lastError: PlutoError | undefined;
    for (const model of options.models) {
      if (request.signal.aborted) throw aborted(model);
      const languageModel = options.registry.languageModel(model);
      for (let attempt = 0; ; attempt++) {
        try {
          return await startAttempt(model, languageModel, request);
        } catch (caught) {
          const error = classifyModelError(caught, { model, signal: request.signal });
          if (error.code === "RUN_ABORTED" || !error.retryable) throw error;
          lastError = error;
          if (attempt >= maxRetries) break;
          const retryAfter = error.details?.retryAfterMs;
          const delay = retryDelayMs({
            attempt,
            maxDelayMs: options.retry.maxDelayMs,
            ...(typeof retryAfter === "number" ? { retryAfterMs: retryAfter } : {}),
            ...(options.random === undefined ? {} : { random: options.random }),
          });
          await sleep(delay, request.signal);
          if (request.signal.aborted) throw aborted(model);
        }
      }
    }
    const error = lastError ?? new PlutoError("MODEL_ERROR", "No model answered.");
    throw new PlutoError(
      error.code,
      `${error.message} Gave up after ${maxRetries + 1} attempt(s) on each of: ${options.models.join(", ")}.`,
      {
        details: { ...error.details, models: [...options.models], attemptsPerModel: maxRetries + 1 },
        cause: error,
        retryable: error.retryable,
      },
    );
  };
}
