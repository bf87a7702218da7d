import type { Message } from "@a2a-js/sdk";
import { RequestMalformedError } from "@a2a-js/sdk/errors";

/**
 * The run input for an A2A message (A2A v1.0 `Part`): text parts verbatim, data parts as JSON, URL
 * parts as `[file <name> (<media type>): <url>]`, and inline bytes as a note naming the file and its
 * size (Pluto agents take text; their tools can fetch URLs). Parts are joined by blank lines.
 * @throws RequestMalformedError when the message has no text, data or file part at all.
 */
export function messageInput(message: Message | undefined): string {
  const pieces: string[] = [];
  for (const part of message?.parts ?? []) {
    const content = part.content;
    if (content === undefined) continue;
    const label = [part.filename, part.mediaType === "" ? undefined : `(${part.mediaType})`]
      .filter((piece) => piece !== undefined && piece !== "")
      .join(" ");
    switch (content.$case) {
      case "text":
        pieces.push(content.value);
        break;
      case "data":
        pieces.push(JSON.stringify(content.value ?? null));
        break;
      case "url":
        pieces.push(`[file${label === "" ? "" : ` ${label}`}: ${content.value}]`);
        break;
      case "raw":
        pieces.push(
          `[file${label === "" ? "" : ` ${label}`}: ${content.value.length} bytes attached inline]`,
        );
        break;
    }
  }
  const input = pieces.join("\n\n");
  if (input.trim() === "") {
    throw new RequestMalformedError(
      "The message has no content: send at least one part with non-empty `text` (or `data`).",
    );
  }
  return input;
}
