import { setTimeout as sleep } from "node:timers/promises";
import { PlutoError } from "../../src/core/errors.js";
import type { FinishReason, Usage } from "../../src/core/events.js";
import type { ToolCallPart } from "../../src/core/messages.js";
import type { ModelStepPart, ModelStepRequest, StreamStep } from "../../src/llm/model-step.js";

/**
 * One scripted model step, described as data. Parts are streamed in this order: reasoning chunks,
 * text chunks, tool calls, then one `finish` part (unless {@link omitFinish}). `parts`, when given,
 * replaces that generated sequence verbatim (the `finish` part included).
 */
export interface ScriptedStepSpec {
  /** The `provider/model-id` the step reports. @default the script's `model` option */
  model?: string;
  /** `reasoning-delta` chunks. @default [] */
  reasoning?: string[];
  /** `text-delta` chunks (a single string is one chunk). @default [] */
  text?: string | string[];
  /** `tool-call` parts. @default [] */
  toolCalls?: ToolCallPart[];
  /** @default "tool-calls" when there are tool calls, else "stop" */
  finishReason?: FinishReason;
  /** Usage of the `finish` part. @default { inputTokens: 10, outputTokens: 5, totalTokens: 15 } */
  usage?: Usage;
  /** Explicit parts, replacing the generated sequence. */
  parts?: ModelStepPart[];
  /** When true, no `finish` part is streamed. */
  omitFinish?: boolean;
  /** Thrown (as a rejection of the `StreamStep` call itself) before any part is streamed. */
  errorBeforeStream?: unknown;
  /** Thrown from the part iterator after `afterParts` parts were yielded. */
  errorMidStream?: { afterParts: number; error: unknown };
  /**
   * Milliseconds to wait before each part. The wait honours `request.signal`: when it aborts, the
   * iterator throws PlutoError `RUN_ABORTED`, as real provider steps do.
   */
  delayMs?: number;
  /** Awaited (honouring `request.signal`) before the first part; lets a test hold a step open. */
  gate?: Promise<unknown>;
}

/** Default usage of a scripted `finish` part. */
export const SCRIPTED_USAGE: Usage = Object.freeze({ inputTokens: 10, outputTokens: 5, totalTokens: 15 });

/** A scripted {@link StreamStep} plus what it observed. */
export interface ScriptedStream {
  /** Pass this to the executor / run manager. Each call consumes the next spec of the queue. */
  streamStep: StreamStep;
  /** Every request received, in call order (the objects the executor passed, signal included). */
  requests: ModelStepRequest[];
  /** Appends more specs to the queue. */
  push(...specs: ScriptedStepSpec[]): void;
  /** Number of specs not yet consumed. */
  remaining(): number;
}

/** Options for {@link scriptedStream}. */
export interface ScriptedStreamOptions {
  /** @default "scripted/test-model" */
  model?: string;
}

function abortedError(): PlutoError {
  return new PlutoError("RUN_ABORTED", "The scripted step was aborted.");
}

async function waitFor<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw abortedError();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortedError());
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
  }
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw abortedError();
  }
}

function partsOf(spec: ScriptedStepSpec): ModelStepPart[] {
  if (spec.parts !== undefined) return spec.parts;
  const parts: ModelStepPart[] = [];
  for (const text of spec.reasoning ?? []) parts.push({ type: "reasoning-delta", text });
  const texts = typeof spec.text === "string" ? [spec.text] : (spec.text ?? []);
  for (const text of texts) parts.push({ type: "text-delta", text });
  for (const call of spec.toolCalls ?? []) parts.push({ type: "tool-call", ...call });
  if (spec.omitFinish !== true) {
    const hasCalls = (spec.toolCalls ?? []).length > 0;
    parts.push({
      type: "finish",
      finishReason: spec.finishReason ?? (hasCalls ? "tool-calls" : "stop"),
      usage: spec.usage ?? SCRIPTED_USAGE,
    });
  }
  return parts;
}

async function* streamParts(spec: ScriptedStepSpec, signal: AbortSignal): AsyncGenerator<ModelStepPart> {
  if (spec.gate !== undefined) await waitFor(spec.gate, signal);
  const parts = partsOf(spec);
  for (const [index, part] of parts.entries()) {
    if (spec.errorMidStream !== undefined && index === spec.errorMidStream.afterParts)
      throw spec.errorMidStream.error;
    if (spec.delayMs !== undefined) await pause(spec.delayMs, signal);
    yield part;
  }
  if (spec.errorMidStream !== undefined && spec.errorMidStream.afterParts >= parts.length) {
    throw spec.errorMidStream.error;
  }
}

/**
 * Builds a {@link StreamStep} that replays `specs` in order, one per call, and records every request.
 * A call after the queue is empty rejects with PlutoError `MODEL_ERROR` ("script exhausted") so a test
 * that makes more steps than it scripted fails with a readable reason.
 */
export function scriptedStream(
  specs: ScriptedStepSpec[] = [],
  options: ScriptedStreamOptions = {},
): ScriptedStream {
  const queue = [...specs];
  const requests: ModelStepRequest[] = [];
  const defaultModel = options.model ?? "scripted/test-model";
  const streamStep: StreamStep = async (request) => {
    requests.push(request);
    const spec = queue.shift();
    if (spec === undefined) {
      throw new PlutoError(
        "MODEL_ERROR",
        `Scripted model exhausted: step ${requests.length} was not scripted.`,
      );
    }
    if (spec.errorBeforeStream !== undefined) throw spec.errorBeforeStream;
    return { model: spec.model ?? defaultModel, parts: streamParts(spec, request.signal) };
  };
  return {
    streamStep,
    requests,
    push: (...more) => {
      queue.push(...more);
    },
    remaining: () => queue.length,
  };
}

/** A promise with its resolve function exposed (for gates). */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/** Creates a {@link Deferred}. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
