/**
 * Maps the AI SDK's `fullStream` parts (ai v7 `TextStreamPart`) to Pluto's {@link ModelStepPart}s,
 * turning `error` and `abort` parts into thrown `PlutoError`s.
 */
import type { LanguageModelUsage, FinishReason as SdkFinishReason, TextStreamPart, ToolSet } from "ai";
import { PlutoError } from "../core/errors.js";
import type { FinishReason, Usage } from "../core/events.js";
import { classifyModelError, noReadableAnswerError } from "./classify-error.js";
import type { ModelStepPart } from "./model-step.js";

/** SDK finish reasons Pluto has no name for (`interrupted`) become `other`. */
export function toFinishReason(reason: SdkFinishReason | undefined): FinishReason {
  switch (reason) {
    case "stop":
    case "length":
    case "content-filter":
    case "tool-calls":
    case "error":
    case "other":
      return reason;
    case undefined:
      return "unknown";
    default:
      return "other";
  }
}

/**
 * Pluto usage from SDK usage: missing counts become 0; `totalTokens` falls back to input + output;
 * reasoning and cached-input counts are set only when the provider reported them.
 */
export function toUsage(usage: LanguageModelUsage | undefined): Usage {
  const inputTokens = usage?.inputTokens ?? 0;
  const outputTokens = usage?.outputTokens ?? 0;
  const result: Usage = {
    inputTokens,
    outputTokens,
    totalTokens: usage?.totalTokens ?? inputTokens + outputTokens,
  };
  const reasoningTokens = usage?.outputTokenDetails?.reasoningTokens;
  const cachedInputTokens = usage?.inputTokenDetails?.cacheReadTokens;
  if (reasoningTokens !== undefined) result.reasoningTokens = reasoningTokens;
  if (cachedInputTokens !== undefined) result.cachedInputTokens = cachedInputTokens;
  return result;
}

/** Finish reasons a provider actually sends; the SDK reports anything else when it saw no finish chunk. */
const SENT_FINISH_REASONS: ReadonlySet<SdkFinishReason> = new Set([
  "stop",
  "length",
  "content-filter",
  "tool-calls",
  "error",
]);

/**
 * True when a `finish` part carries nothing the provider sent: no finish reason the wire format has
 * (the SDK reports `interrupted` or `other` when it parsed no finish chunk) and no token counts.
 * Together with an empty step this means no chunk of the stream was readable at all.
 */
function isUnreadFinish(reason: SdkFinishReason | undefined, usage: LanguageModelUsage | undefined): boolean {
  if (reason !== undefined && SENT_FINISH_REASONS.has(reason)) return false;
  return usage?.inputTokens === undefined && usage?.outputTokens === undefined;
}

/**
 * Yields the step parts of one SDK stream, in order, ending with exactly one `finish`.
 * Text and reasoning deltas pass through (empty ones dropped); `tool-call` parts carry the parsed
 * input (the raw text when the model sent invalid JSON: the executor reports that to the model);
 * provider-executed tool calls are left out.
 * A step with no text, reasoning or tool call whose finish carries no finish reason and no usage read
 * nothing of the stream (wrong base URL or wire format) and fails. A step that ends with a finish the
 * provider sent (`stop`, or reasoning only) is a legitimate answer, even with no text.
 * @throws PlutoError classified by {@link classifyModelError} on an `error` part, `RUN_ABORTED` on
 *   `abort`, `MODEL_ERROR` when the stream ends without a finish or nothing in it was readable
 *   ({@link noReadableAnswerError})
 */
export async function* toStepParts(
  stream: AsyncIterable<TextStreamPart<ToolSet>>,
  context: { model: string; signal: AbortSignal },
): AsyncGenerator<ModelStepPart> {
  let content = false;
  for await (const part of stream) {
    switch (part.type) {
      case "text-start":
      case "reasoning-start":
      case "tool-input-start":
        content = true;
        break;
      case "text-delta":
        content = true;
        if (part.text !== "") yield { type: "text-delta", text: part.text };
        break;
      case "reasoning-delta":
        content = true;
        if (part.text !== "") yield { type: "reasoning-delta", text: part.text };
        break;
      case "tool-call":
        content = true;
        // Calls the provider ran itself (web search, code execution…) carry their results in the
        // stream; the executor must not run them again.
        if (part.providerExecuted === true) break;
        yield { type: "tool-call", toolCallId: part.toolCallId, toolName: part.toolName, input: part.input };
        break;
      case "finish":
        if (!content && isUnreadFinish(part.finishReason, part.totalUsage)) {
          throw noReadableAnswerError(context);
        }
        yield {
          type: "finish",
          finishReason: toFinishReason(part.finishReason),
          usage: toUsage(part.totalUsage),
        };
        return;
      case "error":
        throw classifyModelError(part.error, context);
      case "abort":
        throw new PlutoError(
          "RUN_ABORTED",
          `The run was aborted while model ${context.model} was answering.`,
          {
            details: { model: context.model },
          },
        );
      default:
        break;
    }
  }
  if (context.signal.aborted) {
    throw new PlutoError("RUN_ABORTED", `The run was aborted while model ${context.model} was answering.`, {
      details: { model: context.model },
    });
  }
  throw new PlutoError(
    "MODEL_ERROR",
    `Model ${context.model} ended its answer without finishing it. Check that the provider's base_url speaks the expected API.`,
    { details: { model: context.model }, retryable: true },
  );
}
