import { z } from "zod";
import { ChatCompletionBody } from "../openai/chat-completion-schema.js";
import type { OpenApiBuilder } from "./openapi-builder.js";

/**
 * The OpenAI-compatible API (docs/api-openai.md) in the OpenAPI document: request bodies are the
 * routes' own (`openai/chat-completion-schema.ts`), responses are OpenAI's objects as Pluto fills
 * them (`openai/chat-completion-objects.ts`).
 */

/** OpenAI's `model` object; one per valid agent. */
export const ModelObject = z.object({
  id: z.string().describe("The agent's name."),
  object: z.literal("model"),
  created: z.literal(0).describe("Always 0: agents are files with no creation time."),
  owned_by: z.literal("pluto"),
});

/** `GET /v1/models`. */
export const ModelListResponse = z.object({ object: z.literal("list"), data: z.array(ModelObject) });

/** OpenAI's `usage` (`ChatUsage`). */
const ChatUsage = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
  prompt_tokens_details: z.object({ cached_tokens: z.number().int() }).optional(),
  completion_tokens_details: z.object({ reasoning_tokens: z.number().int() }).optional(),
});

const FinishReason = z.enum(["stop", "length", "content_filter"]);

/** A `chat.completion` with one choice (`chatCompletion`). */
export const ChatCompletionResponse = z.object({
  id: z.string().describe("`chatcmpl-<run id>`."),
  object: z.literal("chat.completion"),
  created: z.number().int().describe("Unix time in seconds."),
  model: z.string().describe("The agent name sent as `model`."),
  choices: z.array(
    z.object({
      index: z.literal(0),
      message: z.object({
        role: z.literal("assistant"),
        content: z.string(),
        refusal: z.null(),
        annotations: z.array(z.unknown()),
      }),
      logprobs: z.null(),
      finish_reason: FinishReason,
    }),
  ),
  usage: ChatUsage,
});

/** The SSE body of a streamed completion: `data: <chat.completion.chunk JSON>` frames, then `data: [DONE]`. */
const ChunkStream = z
  .string()
  .describe(
    "Server-Sent Events as OpenAI sends them: `data:` frames each holding a `chat.completion.chunk` object, ending with `data: [DONE]`.",
  );

/** Registers `/v1/models`, `/v1/models/{model}` and `/v1/chat/completions`. */
export function registerOpenAiApiPaths(builder: OpenApiBuilder): void {
  const tags = ["OpenAI-compatible"];
  const sessionHeader = z.object({
    "x-pluto-session-id": z
      .string()
      .describe("The Pluto session of this conversation (send it back to continue)."),
  });
  builder.path({
    method: "get",
    path: "/v1/models",
    operationId: "listModels",
    summary: "List agents as OpenAI models",
    tags,
    responses: {
      200: {
        description: "Every valid agent of the caller's tenant as a model.",
        content: {
          "application/json": { schema: builder.schema("ModelList", ModelListResponse, "response") },
        },
      },
      ...builder.errors("openai", 401, 429),
    },
  });
  builder.path({
    method: "get",
    path: "/v1/models/{model}",
    operationId: "getModel",
    summary: "Get one agent as an OpenAI model",
    tags,
    request: { params: z.object({ model: z.string().describe("The agent's name.") }) },
    responses: {
      200: {
        description: "The model object.",
        content: { "application/json": { schema: builder.schema("Model", ModelObject, "response") } },
      },
      ...builder.errors("openai", 400, 401, 404, 429),
    },
  });
  builder.path({
    method: "post",
    path: "/v1/chat/completions",
    operationId: "createChatCompletion",
    summary: "Chat completion: run the agent named by `model`",
    description:
      "OpenAI's Chat Completions API. `model` names an agent; only the last `user` message is used (the conversation lives in the Pluto session chosen by the `x-pluto-session-id` header, else `user`, else a new one). Unknown standard fields are accepted and ignored. With `stream: true` the answer is SSE `chat.completion.chunk` frames.",
    tags,
    request: {
      headers: z.object({
        "x-pluto-session-id": z.string().optional().describe("Continue this Pluto session."),
      }),
      body: {
        required: true,
        content: {
          "application/json": {
            schema: builder.schema("ChatCompletionRequest", ChatCompletionBody, "request"),
          },
        },
      },
    },
    responses: {
      200: {
        description: "The completion (JSON), or SSE chunks when `stream` is true.",
        headers: sessionHeader.extend({ "x-pluto-run-id": z.string().describe("The run that answered.") }),
        content: {
          "application/json": {
            schema: builder.schema("ChatCompletion", ChatCompletionResponse, "response"),
          },
          "text/event-stream": { schema: ChunkStream },
        },
      },
      ...builder.errors("openai", 400, 401, 404, 409, 413, 422, 429, 500, 502),
    },
  });
}
