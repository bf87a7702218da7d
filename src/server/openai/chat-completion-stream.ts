import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { isPlutoError } from "../../core/errors.js";
import type { FinishReason, RunEndEvent, ToolApprovalRequestEvent } from "../../core/events.js";
import type { RunHandle } from "../../runs/run-manager.js";
import type { EventQueue } from "../sse.js";
import { approvalNotice } from "./approval-notice.js";
import { type CompletionIdentity, chatCompletionChunk, chatFinishReason } from "./chat-completion-objects.js";
import { openAiErrorBody, openAiErrorFor, statusForEventCode } from "./openai-error.js";

/** Inputs of {@link streamChatCompletion}. */
export interface ChatStreamOptions {
  identity: CompletionIdentity;
  /** The started run; its listener pushes into `queue`. */
  handle: RunHandle;
  queue: EventQueue;
  /** Send the final usage chunk (`stream_options.include_usage`). */
  includeUsage: boolean;
  /** Aborts the run when the client goes away before it ends. */
  abort: (runId: string) => void;
  onUnexpectedError?: (error: unknown) => void;
}

/**
 * Answers a chat completion as OpenAI's SSE stream (`data: <chat.completion.chunk>` frames, then
 * `data: [DONE]`): a role chunk first, one content chunk per `text-delta` event of the run (text of
 * different steps separated by a blank line), a final chunk with `finish_reason`, and a usage chunk
 * when `includeUsage`. A failed or aborted run ends with `data: {"error": {...}}` (see `openai-error.ts`)
 * and then `[DONE]`, so the stream reports failure as its last frame instead of dying (DESIGN.md,
 * Errors). When the client disconnects before the run ends, the run is aborted.
 */
export function streamChatCompletion(context: Context, options: ChatStreamOptions): Response {
  const { identity, handle, queue, includeUsage } = options;
  // `result` rejects only when the session log fails; no run-end will come, so the loop must stop.
  let failure: unknown;
  handle.result.catch((error: unknown) => {
    failure = error;
    if (!isPlutoError(error)) options.onUnexpectedError?.(error);
    queue.close();
  });
  const data = (value: unknown) => JSON.stringify(value);
  return streamSSE(
    context,
    async (stream) => {
      let end: RunEndEvent | undefined;
      stream.onAbort(() => {
        if (end === undefined) options.abort(handle.runId);
        queue.close();
      });
      try {
        await stream.writeSSE({
          data: data(
            chatCompletionChunk(identity, {
              delta: { role: "assistant", content: "" },
              withUsageField: includeUsage,
            }),
          ),
        });
        let textStep: number | undefined;
        let lastFinish: FinishReason | undefined;
        const requests: ToolApprovalRequestEvent[] = [];
        for await (const event of queue.drain()) {
          if (event.runId !== handle.runId) continue;
          if (event.type === "text-delta" && event.text !== "") {
            const separator = textStep !== undefined && textStep !== event.step ? "\n\n" : "";
            textStep = event.step;
            await stream.writeSSE({
              data: data(
                chatCompletionChunk(identity, {
                  delta: { content: separator + event.text },
                  withUsageField: includeUsage,
                }),
              ),
            });
          } else if (event.type === "step-end") {
            lastFinish = event.finishReason;
          } else if (event.type === "tool-approval-request") {
            requests.push(event);
          } else if (event.type === "run-end") {
            end = event;
            break;
          }
        }
        if (stream.aborted) return;
        if (end?.status === "awaiting-approval") {
          const notice = `${textStep === undefined ? "" : "\n\n"}${approvalNotice(handle.key.session, requests)}`;
          await stream.writeSSE({
            data: data(
              chatCompletionChunk(identity, { delta: { content: notice }, withUsageField: includeUsage }),
            ),
          });
        }
        if (end !== undefined && (end.status === "completed" || end.status === "awaiting-approval")) {
          await stream.writeSSE({
            data: data(
              chatCompletionChunk(identity, {
                delta: {},
                finishReason: chatFinishReason(lastFinish),
                withUsageField: includeUsage,
              }),
            ),
          });
          if (includeUsage)
            await stream.writeSSE({ data: data(chatCompletionChunk(identity, { usage: end.usage })) });
        } else if (end !== undefined) {
          const error = end.error ?? {
            code: "INTERNAL",
            message: `The run ended with status ${end.status}.`,
          };
          await stream.writeSSE({ data: data(openAiErrorBody(error, statusForEventCode(error.code))) });
        } else if (failure !== undefined) {
          await stream.writeSSE({ data: data(openAiErrorFor(failure).body) });
        }
        await stream.writeSSE({ data: "[DONE]" });
      } finally {
        handle.unsubscribe();
        queue.close();
      }
    },
    async (error) => {
      options.onUnexpectedError?.(error);
    },
  );
}
