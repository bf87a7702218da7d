import type { FinishReason, Usage } from "../../core/events.js";

/**
 * The response objects of OpenAI's Chat Completions API (`chat.completion`, `chat.completion.chunk`;
 * https://platform.openai.com/docs/api-reference/chat/object), built from Pluto run data.
 */

/** OpenAI's `usage` object. */
export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

/** OpenAI's `finish_reason` values that a Pluto run can produce. */
export type ChatFinishReason = "stop" | "length" | "content_filter";

/** Identity of one completion: every chunk of a stream repeats it. */
export interface CompletionIdentity {
  /** `chatcmpl-<runId>`. */
  id: string;
  /** Unix time in seconds when the request arrived. */
  created: number;
  /** The agent name the client sent as `model`. */
  model: string;
}

/** Maps Pluto usage to OpenAI's, with the detail objects only when the provider reported them. */
export function chatUsage(usage: Usage): ChatUsage {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    ...(usage.cachedInputTokens === undefined
      ? {}
      : { prompt_tokens_details: { cached_tokens: usage.cachedInputTokens } }),
    ...(usage.reasoningTokens === undefined
      ? {}
      : { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } }),
  };
}

/**
 * The `finish_reason` of a finished run from its last step's reason: `length` and `content_filter`
 * pass through; everything else (a normal stop, an `awaiting-approval` pause) is `stop`.
 */
export function chatFinishReason(lastStep: FinishReason | undefined): ChatFinishReason {
  if (lastStep === "length") return "length";
  if (lastStep === "content-filter") return "content_filter";
  return "stop";
}

/** A whole `chat.completion` object with one choice. */
export function chatCompletion(
  identity: CompletionIdentity,
  answer: { content: string; finishReason: ChatFinishReason; usage: Usage },
) {
  return {
    id: identity.id,
    object: "chat.completion" as const,
    created: identity.created,
    model: identity.model,
    choices: [
      {
        index: 0,
        message: { role: "assistant" as const, content: answer.content, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: answer.finishReason,
      },
    ],
    usage: chatUsage(answer.usage),
  };
}

/**
 * One `chat.completion.chunk`. `delta` and `finishReason` describe choice 0; with `usage` the chunk is
 * the final usage chunk, whose `choices` is empty (OpenAI's `stream_options.include_usage`).
 * `withUsageField` adds `usage: null` to ordinary chunks, as OpenAI does when usage was requested.
 */
export function chatCompletionChunk(
  identity: CompletionIdentity,
  part:
    | {
        delta: { role?: "assistant"; content?: string };
        finishReason?: ChatFinishReason;
        withUsageField: boolean;
      }
    | { usage: Usage },
) {
  const base = {
    id: identity.id,
    object: "chat.completion.chunk" as const,
    created: identity.created,
    model: identity.model,
  };
  if ("usage" in part) return { ...base, choices: [], usage: chatUsage(part.usage) };
  return {
    ...base,
    choices: [{ index: 0, delta: part.delta, logprobs: null, finish_reason: part.finishReason ?? null }],
    ...(part.withUsageField ? { usage: null } : {}),
  };
}
