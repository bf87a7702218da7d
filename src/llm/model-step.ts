import type { FinishReason, Usage } from "../core/events.js";
import type { ContextMessage } from "../core/messages.js";

/** A tool as the model sees it: name, description and a JSON Schema (draft 7 / 2020-12 object) for its input. */
export interface ModelToolSpec {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/** Everything one model step needs. The executor builds it fresh for every step. */
export interface ModelStepRequest {
  system: string;
  messages: ContextMessage[];
  tools: ModelToolSpec[];
  /** Sampling temperature (0–2), from `spec.parameters.temperature`. */
  temperature?: number;
  /** From `spec.parameters.max_output_tokens`. */
  maxOutputTokens?: number;
  signal: AbortSignal;
}

/** What a model step streams back, in order. Exactly one `finish` part ends a successful step. */
export type ModelStepPart =
  | { type: "text-delta"; text: string }
  | { type: "reasoning-delta"; text: string }
  | { type: "tool-call"; toolCallId: string; toolName: string; input: unknown }
  | { type: "finish"; finishReason: FinishReason; usage: Usage };

/**
 * One model step: the seam between the executor and the providers (pi-mono's `streamFn`).
 * `model` is the `provider/model-id` actually used (after fallbacks). The iterable throws a
 * `PlutoError` (`MODEL_ERROR`, `MODEL_RATE_LIMITED`, `PROVIDER_KEY_MISSING`, `RUN_ABORTED`) on failure.
 */
export interface ModelStep {
  model: string;
  parts: AsyncIterable<ModelStepPart>;
}

/** Runs one model step; tests pass a scripted implementation. */
export type StreamStep = (request: ModelStepRequest) => Promise<ModelStep>;
