import { describe, expect, it } from "vitest";
import { failOnErrorLines } from "../../src/llm/ollama-stream-errors.js";

function streamOf(pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<{ text: string; error?: unknown }> {
  const decoder = new TextDecoder();
  let text = "";
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text };
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

describe("failOnErrorLines", () => {
  it("passes normal NDJSON through unchanged, whatever the chunking", async () => {
    const body = '{"message":{"content":"a"},"done":false}\n{"message":{"content":"b"},"done":true}\n';
    for (const pieces of [[body], body.split(""), [body.slice(0, 7), body.slice(7, 50), body.slice(50)]]) {
      expect(await readAll(failOnErrorLines(streamOf(pieces)))).toEqual({ text: body });
    }
  });

  it("delivers the lines before an error line, then fails with the error", async () => {
    const good = '{"message":{"content":"The"},"done":false}\n';
    const result = await readAll(
      failOnErrorLines(streamOf([good, '{"error":"model crashed"}\n', '{"x":1}\n'])),
    );
    expect(result.text).toBe(good);
    expect(result.error).toEqual({ error: { type: "ollama_stream_error", message: "model crashed" } });
  });

  it("catches an error line without a trailing newline and one split across chunks", async () => {
    expect((await readAll(failOnErrorLines(streamOf(['{"err', 'or":"x"}'])))).error).toBeDefined();
  });

  it("does not mistake content mentioning error for an error line", async () => {
    const body =
      '{"message":{"content":"{\\"error\\": 1}"},"done":false}\n{"error":{"nested":true},"message":{}}\n';
    expect(await readAll(failOnErrorLines(streamOf([body])))).toEqual({ text: body });
  });
});
