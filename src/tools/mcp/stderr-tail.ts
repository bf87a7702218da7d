import type { Stream } from "node:stream";

/** Keeps the last `maxChars` characters written to a child process's stderr. */
export interface StderrTail {
  /** The kept text, trimmed; `""` when nothing was written. */
  text(): string;
}

/**
 * Collects the tail of `stream` (a stdio MCP server's piped stderr) so failures can show the server's
 * last words. `maxChars` defaults to 2000. The stream is consumed, so the child never blocks on a full pipe.
 */
export function collectStderrTail(stream: Stream | null, maxChars = 2000): StderrTail {
  let buffer = "";
  stream?.on("data", (chunk: Buffer | string) => {
    buffer += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    if (buffer.length > maxChars * 2) buffer = buffer.slice(-maxChars);
  });
  return {
    text: () => buffer.slice(-maxChars).trim(),
  };
}
