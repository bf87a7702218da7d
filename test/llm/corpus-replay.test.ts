/**
 * Replays every recorded provider response in ../shared/corpus/provider-streams through the real
 * provider packages and Pluto's stream step, one test per file (per exchange for VCR cassettes).
 * What each file should produce is read from the file itself (the text deltas, the tool names, an
 * error event), so new recordings dropped into the folder are checked the same way.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ProviderConfig } from "../../src/config/pluto-config.js";
import { isPlutoError } from "../../src/core/errors.js";
import type { ModelStepPart } from "../../src/llm/model-step.js";
import { createModelRegistry } from "../../src/llm/providers.js";
import { createStreamStep } from "../../src/llm/stream-step.js";
import { corpusPath } from "../support/corpus.js";
import {
  cassetteInteractions,
  type FakeModel,
  fileKind,
  replay,
  startFakeModel,
  statusForErrorBody,
} from "../support/fake-model/fake-model.js";
import { stepRequest, summarize, WEATHER_TOOL } from "./llm-test-helpers.js";

/** The corpus folder; PLUTO_PROVIDER_STREAMS points the same checks at another copy (e.g. with more recordings). */
const CORPUS = process.env.PLUTO_PROVIDER_STREAMS ?? corpusPath("provider-streams");

type Wire = "openai-chat" | "openai-responses" | "anthropic" | "ollama";

/** Which Pluto provider plays each folder's recordings, and the wire format they are in. */
const FOLDERS: Record<
  string,
  { model: string; wire: Wire; providers: (url: string) => Record<string, ProviderConfig> }
> = {
  "openai-chat": {
    model: "openai/gpt-4o-mini",
    wire: "openai-chat",
    providers: (url) => ({
      openai: { type: "openai", apiKey: "k", baseUrl: `${url}/v1`, api: "chat", headers: {} },
    }),
  },
  "openai-compatible": {
    model: "compat/any-model",
    wire: "openai-chat",
    providers: (url) => ({ compat: { type: "openai-compatible", baseUrl: `${url}/v1`, headers: {} } }),
  },
  "openai-responses": {
    model: "openai/gpt-5-mini",
    wire: "openai-responses",
    providers: (url) => ({ openai: { type: "openai", apiKey: "k", baseUrl: `${url}/v1`, headers: {} } }),
  },
  anthropic: {
    model: "anthropic/claude-sonnet-4-5",
    wire: "anthropic",
    providers: (url) => ({
      anthropic: { type: "anthropic", apiKey: "k", baseUrl: `${url}/v1`, headers: {} },
    }),
  },
  ollama: {
    model: "ollama/llama3.2",
    wire: "ollama",
    providers: (url) => ({ ollama: { type: "ollama", baseUrl: url, headers: {} } }),
  },
  openrouter: {
    model: "openrouter/some/model",
    wire: "openai-chat",
    providers: (url) => ({
      openrouter: { type: "openrouter", apiKey: "k", baseUrl: `${url}/api/v1`, headers: {} },
    }),
  },
  // Pluto has no Gemini provider; Google's recorded error bodies are served by an OpenAI-compatible
  // endpoint to check that the status and body are classified.
  google: {
    model: "compat/gemini",
    wire: "openai-chat",
    providers: (url) => ({ compat: { type: "openai-compatible", baseUrl: `${url}/v1`, headers: {} } }),
  },
};

/** What a recording should come out as. */
interface Expectation {
  text: string;
  toolNames: string[];
  /** Set when the recording carries an error (HTTP status >= 400 or an in-band error event). */
  error?: { status?: number };
  hasUsage: boolean;
  /** An Ollama `/api/generate` stream: a different endpoint from the `/api/chat` Pluto calls. */
  generateEndpoint: boolean;
}

type Json = Record<string, unknown>;

function asRecord(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function parseJsonLines(lines: string[]): Json[] {
  const objects: Json[] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed === "[DONE]") continue;
    try {
      const parsed = asRecord(JSON.parse(trimmed));
      if (parsed) objects.push(parsed);
    } catch {
      // Not JSON (e.g. a comment line): not part of the expectation.
    }
  }
  return objects;
}

/** The JSON payloads of SSE text (`data:` lines only; comments and `event:` lines ignored). */
function ssePayloads(text: string): Json[] {
  return parseJsonLines(
    text
      .split(/\r?\n/)
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5)),
  );
}

function expectationOf(wire: Wire, payloads: Json[], status: number): Expectation {
  let text = "";
  const toolNames: string[] = [];
  let inBandError = false;
  let generateEndpoint = false;
  for (const payload of payloads) {
    if (payload.type === "error" || (payload.error !== undefined && payload.error !== null))
      inBandError = true;
    if (wire === "openai-chat") {
      for (const choice of Array.isArray(payload.choices) ? payload.choices : []) {
        const delta = asRecord(asRecord(choice)?.delta);
        if (typeof delta?.content === "string") text += delta.content;
        for (const call of Array.isArray(delta?.tool_calls) ? delta.tool_calls : []) {
          const name = asRecord(asRecord(call)?.function)?.name;
          if (typeof name === "string" && name !== "") toolNames.push(name);
        }
      }
    } else if (wire === "openai-responses") {
      if (payload.type === "response.output_text.delta" && typeof payload.delta === "string")
        text += payload.delta;
      const item = asRecord(payload.item);
      if (payload.type === "response.output_item.added" && item?.type === "function_call")
        toolNames.push(String(item.name));
    } else if (wire === "anthropic") {
      const delta = asRecord(payload.delta);
      if (payload.type === "content_block_delta" && delta?.type === "text_delta") text += String(delta.text);
      const block = asRecord(payload.content_block);
      if (payload.type === "content_block_start" && block?.type === "tool_use")
        toolNames.push(String(block.name));
    } else {
      const message = asRecord(payload.message);
      if (message === undefined && typeof payload.response === "string") generateEndpoint = true;
      if (typeof message?.content === "string") text += message.content;
      for (const call of Array.isArray(message?.tool_calls) ? message.tool_calls : []) {
        const name = asRecord(asRecord(call)?.function)?.name;
        if (typeof name === "string") toolNames.push(name);
      }
    }
  }
  const raw = JSON.stringify(payloads);
  const hasUsage = /"(prompt_tokens|input_tokens|prompt_eval_count)":[1-9]/.test(raw);
  const expectation: Expectation = { text, toolNames, hasUsage, generateEndpoint };
  if (status >= 400) expectation.error = { status };
  else if (inBandError) expectation.error = {};
  return expectation;
}

/** One replayable case, or a visible reason why a file is not one. */
type ReplayCase =
  | { name: string; file: string; interaction?: number; expectation: Expectation }
  | { name: string; skip: string };

function casesOf(folder: string, file: string, wire: Wire): ReplayCase[] {
  const path = join(CORPUS, folder, file);
  const kind = fileKind(file);
  const text = readFileSync(path, "utf8");
  switch (kind) {
    case "chunks":
    case "ndjson":
      return [
        {
          name: file,
          file: path,
          expectation: expectationOf(wire, parseJsonLines(text.split(/\r?\n/)), 200),
        },
      ];
    case "sse":
      return [{ name: file, file: path, expectation: expectationOf(wire, ssePayloads(text), 200) }];
    case "json": {
      const status = statusForErrorBody(JSON.parse(text));
      if (status < 400) return [{ name: file, skip: "a non-streaming response body (Pluto always streams)" }];
      return [{ name: file, file: path, expectation: expectationOf(wire, [], status) }];
    }
    case "cassette":
      return cassetteInteractions(path).map((interaction, index): ReplayCase => {
        const name = `${file} #${index}`;
        const status = interaction.response.status?.code ?? 200;
        const body = interaction.response.body?.string;
        const isStream = (interaction.response.headers?.["content-type"]?.[0] ?? "").includes("event-stream");
        if (status < 400 && !isStream)
          return { name, skip: "a non-streaming exchange (Pluto always streams)" };
        const payloads = typeof body === "string" ? ssePayloads(body) : [];
        return { name, file: path, interaction: index, expectation: expectationOf(wire, payloads, status) };
      });
    default:
      return [{ name: file, skip: `not a recorded response (unknown file kind)` }];
  }
}

let fake: FakeModel;
beforeAll(async () => {
  fake = await startFakeModel();
});
afterAll(async () => {
  await fake.close();
});

const folders = readdirSync(CORPUS, { withFileTypes: true }).filter((entry) => entry.isDirectory());

it("finds the corpus", () => {
  expect(folders.length).toBeGreaterThan(0);
});

for (const folder of folders) {
  const setup = FOLDERS[folder.name];
  describe(`corpus ${folder.name}`, () => {
    if (setup === undefined) {
      it(`${folder.name}: holds no stream in a format a Pluto provider speaks`, () => {
        // e.g. google/: Pluto has no Gemini provider; its recorded 429 body is not an SSE stream.
        for (const file of readdirSync(join(CORPUS, folder.name))) {
          expect(["chunks", "sse", "ndjson"], file).not.toContain(fileKind(file));
        }
      });
      return;
    }
    const files = readdirSync(join(CORPUS, folder.name)).sort();
    // Non-streaming bodies (plain JSON answers) are left out: Pluto always streams.
    const cases = files.flatMap((file) => casesOf(folder.name, file, setup.wire));
    for (const replayCase of cases) {
      if ("skip" in replayCase) continue;
      it(`replays ${replayCase.name}`, async () => {
        const { expectation } = replayCase;
        fake.enqueue(
          replay(
            replayCase.file,
            replayCase.interaction === undefined ? {} : { interaction: replayCase.interaction },
          ),
        );
        const streamStep = createStreamStep({
          registry: createModelRegistry({ providers: setup.providers(fake.url), env: {} }),
          models: [setup.model],
          retry: { maxRetries: 0, maxDelayMs: 0 },
        });
        const parts: ModelStepPart[] = [];
        let failure: unknown;
        // ollama-ai-provider-v2 prints every NDJSON line it cannot read; /api/generate lines are all such lines.
        const quiet = expectation.generateEndpoint
          ? vi.spyOn(console, "warn").mockImplementation(() => {})
          : undefined;
        try {
          const step = await streamStep(
            stepRequest([{ role: "user", text: "replay" }], { tools: [WEATHER_TOOL] }),
          );
          expect(step.model).toBe(setup.model);
          for await (const part of step.parts) parts.push(part);
        } catch (error) {
          failure = error;
        } finally {
          quiet?.mockRestore();
        }
        const result = summarize(parts);

        if (expectation.generateEndpoint) {
          // An /api/generate stream on /api/chat: Pluto must end cleanly, with a classified error or an empty answer.
          if (failure !== undefined) expect(isPlutoError(failure, "MODEL_ERROR")).toBe(true);
          else expect(result.finish).toBeDefined();
          return;
        }
        if (expectation.error !== undefined) {
          expect(failure, "a recorded error must surface as a PlutoError").toBeDefined();
          if (!isPlutoError(failure)) throw failure;
          expect(["MODEL_ERROR", "MODEL_RATE_LIMITED"]).toContain(failure.code);
          expect(failure.details?.model).toBe(setup.model);
          const status = expectation.error.status;
          if (status === 429) expect(failure.code).toBe("MODEL_RATE_LIMITED");
          if (status !== undefined && status >= 500) expect(failure.retryable).toBe(true);
          if (status !== undefined && status >= 400 && status < 500 && status !== 429 && status !== 408) {
            expect(failure.retryable).toBe(false);
          }
          expect(expectation.text.startsWith(result.text)).toBe(true);
          return;
        }
        if (failure !== undefined) throw failure;
        expect(result.finish, "a successful stream ends with a finish part").toBeDefined();
        expect(parts.at(-1)?.type).toBe("finish");
        expect(result.text).toBe(expectation.text);
        expect(result.toolCalls.map((call) => call.toolName)).toEqual(expectation.toolNames);
        for (const call of result.toolCalls) {
          expect(typeof call.toolCallId).toBe("string");
          expect(call.toolCallId).not.toBe("");
          expect(asRecord(call.input), `tool call ${call.toolName} input parsed to an object`).toBeDefined();
        }
        if (result.finish?.finishReason !== "content-filter") {
          expect(result.text.length + result.toolCalls.length + result.reasoning.length).toBeGreaterThan(0);
        }
        if (expectation.toolNames.length > 0) expect(result.finish?.finishReason).toBe("tool-calls");
        if (expectation.hasUsage) expect(result.finish?.usage.inputTokens).toBeGreaterThan(0);
      });
    }
  });
}
