/**
 * Ollama reports a failure during streaming as an NDJSON line `{"error": "..."}` with status 200
 * (ollama docs/api/errors.mdx, "Errors that occur while streaming"; corpus
 * `ollama/api-generate-stream-midstream-error.ndjson`). `ollama-ai-provider-v2` drops lines it cannot
 * parse, so such a stream would look like a short, successful answer. This fetch wrapper turns the
 * error line into a stream error, after every line before it has been read.
 */

/** A `fetch` function as the AI SDK providers accept it. */
export type FetchFunction = typeof globalThis.fetch;

/** The value an Ollama stream fails with: the provider's in-band error object. */
export interface OllamaStreamError {
  error: { type: "ollama_stream_error"; message: string };
}

function errorLine(line: string): OllamaStreamError | undefined {
  if (!line.includes('"error"')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== "object" || value === null || "message" in value) return undefined;
    const error = (value as { error?: unknown }).error;
    if (typeof error !== "string") return undefined;
    return { error: { type: "ollama_stream_error", message: error } };
  } catch {
    return undefined;
  }
}

/**
 * Wraps an NDJSON body: passes lines through unchanged and fails the stream at an `{"error": ...}` line.
 * The failure is raised on the read after the last good line, so no earlier text is lost.
 */
export function failOnErrorLines(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffered = "";
  let pendingError: OllamaStreamError | undefined;
  return new ReadableStream<Uint8Array>(
    {
      // Loops until it has delivered something, closed or failed: with highWaterMark 0 the stream
      // calls pull once per read, and a pull that delivers nothing would leave that read waiting.
      async pull(controller) {
        for (;;) {
          if (pendingError !== undefined) {
            // Let the lines already delivered travel down the provider's pipes first: erroring a pipe
            // discards what is still queued in it.
            await new Promise((resolve) => setTimeout(resolve, 1));
            controller.error(pendingError);
            await reader.cancel().catch(() => {});
            return;
          }
          const { done, value } = await reader.read();
          const text = done
            ? buffered + decoder.decode()
            : buffered + decoder.decode(value, { stream: true });
          const cut = done ? text.length : text.lastIndexOf("\n") + 1;
          buffered = text.slice(cut);
          let passed = "";
          for (const line of text.slice(0, cut).split(/(?<=\n)/)) {
            pendingError = errorLine(line.trim());
            if (pendingError !== undefined) break;
            passed += line;
          }
          if (passed !== "") {
            controller.enqueue(encoder.encode(passed));
            return;
          }
          if (done && pendingError === undefined) {
            controller.close();
            return;
          }
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A fetch that applies {@link failOnErrorLines} to successful NDJSON responses and leaves every
 * other response untouched.
 */
export function ollamaFetch(baseFetch: FetchFunction = globalThis.fetch): FetchFunction {
  return async (input, init) => {
    const response = await baseFetch(input, init);
    const contentType = response.headers.get("content-type") ?? "";
    if (!response.ok || response.body === null || !contentType.includes("ndjson")) return response;
    return new Response(failOnErrorLines(response.body), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}
