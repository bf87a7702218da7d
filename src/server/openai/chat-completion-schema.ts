import { z } from "zod";
import { PlutoError } from "../../core/errors.js";
import { MAX_INPUT_CHARS } from "../schemas.js";

/**
 * Request schema of `POST /v1/chat/completions`, after OpenAI's Chat Completions API
 * (https://platform.openai.com/docs/api-reference/chat/create). Objects are loose: the many standard
 * fields Pluto does not use (`temperature`, `max_tokens`, `tools`, `response_format`, ...) are
 * accepted and ignored, because unmodified clients always send some of them.
 */

/** One content part of a message. Only `text` parts carry meaning here; others are kept to be refused by name. */
const ContentPart = z.looseObject({
  type: z.string().min(1).max(64),
  text: z.string().optional(),
});

/** A message's `content`: a string, an array of parts, or null (assistant messages with tool calls). */
const MessageContent = z.union([z.string(), z.array(ContentPart).max(10_000), z.null()]);

/** One message of `messages`. Only the last `user` message is read; see {@link runInputFromMessages}. */
const ChatMessage = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  content: MessageContent.optional(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/** The body of `POST /v1/chat/completions`. `model` names a Pluto agent. */
export const ChatCompletionBody = z.looseObject({
  model: z.string().min(1, "model must name an agent").max(200),
  messages: z.array(ChatMessage).min(1, "messages must hold at least one user message").max(100_000),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  /** An end-user id; keys the conversation when no `x-pluto-session-id` header is sent. */
  user: z.string().min(1).max(512).nullish(),
  /** Pluto answers with exactly one choice. */
  n: z.literal(1, "Pluto returns exactly one choice: omit n or send n: 1").nullish(),
});
export type ChatCompletionBody = z.infer<typeof ChatCompletionBody>;

/**
 * The run input of a chat completion request: the content of the LAST `user` message. A string is used
 * as is; an array of parts becomes its `text` parts joined by a newline. Earlier messages (system
 * prompts, history, tool results) are ignored: the agent has its own prompt and Pluto keeps the
 * conversation in its session log.
 * @throws PlutoError `BAD_REQUEST` when there is no user message, it has non-text parts (images, audio,
 * files) or no text, or the text is longer than {@link MAX_INPUT_CHARS}.
 */
export function runInputFromMessages(messages: readonly ChatMessage[]): string {
  let index = messages.length - 1;
  while (index >= 0 && messages[index]?.role !== "user") index -= 1;
  const message = messages[index];
  if (message === undefined) {
    throw new PlutoError(
      "BAD_REQUEST",
      'messages has no user message. Send the user\'s text as the last message with role "user".',
      {
        details: { issues: [{ path: "messages", message: "no message with role user" }] },
      },
    );
  }
  const path = `messages.${index}.content`;
  let text: string;
  if (typeof message.content === "string") {
    text = message.content;
  } else if (Array.isArray(message.content)) {
    const other = message.content.find((part) => part.type !== "text");
    if (other !== undefined) {
      throw new PlutoError(
        "BAD_REQUEST",
        `Pluto agents take text only; the last user message has a "${other.type.slice(0, 64)}" part. Send its content as a string or as text parts.`,
        {
          details: {
            issues: [{ path, message: `unsupported content part type ${other.type.slice(0, 64)}` }],
          },
        },
      );
    }
    text = message.content.map((part) => part.text ?? "").join("\n");
  } else {
    text = "";
  }
  if (text.trim() === "") {
    throw new PlutoError(
      "BAD_REQUEST",
      "The last user message is empty. Put the user's text in its content.",
      {
        details: { issues: [{ path, message: "empty" }] },
      },
    );
  }
  if (text.length > MAX_INPUT_CHARS) {
    throw new PlutoError(
      "BAD_REQUEST",
      `The last user message has ${text.length} characters; the limit is ${MAX_INPUT_CHARS}. Put long documents in an artifact or split the message.`,
      { details: { issues: [{ path, message: `longer than ${MAX_INPUT_CHARS} characters` }] } },
    );
  }
  return text;
}
