/** Types of fake-model.js (a plain-JS fake LLM server speaking OpenAI, Anthropic and Ollama wire formats). */

/** The wire format of a request, decided by its path. */
export type FakeFormat = "openai-chat" | "openai-responses" | "anthropic" | "ollama";

/** A tool call the fake model makes. `id` defaults to `call_fake_<n>_<i>`; `input` to `{}`. */
export interface FakeToolCall {
  name: string;
  input?: unknown;
  id?: string;
}

/** Token counts the fake reports. Defaults: 10 input, 5 output, 0 reasoning, 0 cached. */
export interface FakeUsage {
  inputTokens?: number;
  outputTokens?: number;
  reasoningTokens?: number;
  cachedInputTokens?: number;
}

/**
 * One scripted answer. Played in the format of the endpoint the request came to.
 * - `text`: one delta, or one delta per array element; `reasoning` likewise (reasoning/thinking deltas);
 * - `toolCalls`: function calls after the text (arguments streamed in two pieces);
 * - `error`: answer with this HTTP status instead (body defaults to the provider's error shape);
 * - `streamError`: start streaming (text so far), then fail in-band the provider's way;
 * - `delayMs`: wait before answering; `chunkDelayMs`: wait between frames (default 0: one write);
 * - `replay`: stream this corpus file verbatim (see replay()); `interaction` picks a cassette exchange,
 *   `status` overrides the recorded status;
 * - `finishReason`: defaults to `tool-calls` when there are tool calls, else `stop`; `model` overrides
 *   the model name echoed back (defaults to the request's `model`);
 * - `nonStreaming`: answer with the format's non-streaming JSON body (`application/json`) even when the
 *   request asked to stream, as a misconfigured proxy or a wrong base URL does;
 * - `rawBody`: answer 200 with this body verbatim under the format's streaming content type (garbage
 *   where a stream was expected).
 */
export interface FakeTurn {
  text?: string | string[];
  reasoning?: string | string[];
  toolCalls?: FakeToolCall[];
  error?: {
    status: number;
    body?: unknown;
    retryAfterSeconds?: number;
    retryAfterMs?: number;
    headers?: Record<string, string>;
  };
  streamError?: { message: string; code?: string };
  delayMs?: number;
  chunkDelayMs?: number;
  usage?: FakeUsage;
  finishReason?: "stop" | "length" | "tool-calls";
  model?: string;
  replay?: string;
  interaction?: number;
  status?: number;
  nonStreaming?: boolean;
  rawBody?: string;
}

/** A request the fake received. `headers` are lower-cased; `body` is the parsed JSON body. */
export interface FakeRequest {
  method: string;
  path: string;
  format: FakeFormat;
  stream: boolean;
  headers: Record<string, string>;
  /** The parsed JSON body (`{}` when empty); assert on it with `toMatchObject`. */
  body: Record<string, unknown>;
}

export interface FakeModelOptions {
  /** Turns queued at start. */
  turns?: FakeTurn[];
  /** What to answer when the queue is empty. @default echo the last user message as text */
  defaultTurn?: FakeTurn | ((request: FakeRequest) => FakeTurn);
  /** Cycle through `turns` forever instead of consuming them (benchmarks). @default false */
  loop?: boolean;
  /** Keep every request in `requests`. @default true */
  recordRequests?: boolean;
  /** @default 0 (any free port) */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Called with one line per model request when set. */
  log?: (line: string) => void;
}

export interface FakeModel {
  /** Base URL without a path, e.g. `http://127.0.0.1:41234`; providers use `${url}/v1` or `${url}/api`. */
  url: string;
  port: number;
  /** Every model request received, oldest first. */
  requests: FakeRequest[];
  enqueue(...turns: FakeTurn[]): void;
  /** How many queued turns are left. */
  pending(): number;
  /** Drops queued turns and recorded requests. */
  clear(): void;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 (port 0 by default). */
export function startFakeModel(options?: FakeModelOptions): Promise<FakeModel>;

/** A turn that streams a corpus file verbatim (`.chunks.txt`, `.sse`, `.ndjson`, `.json`, `.yaml` cassette). */
export function replay(
  file: string,
  options?: { interaction?: number; status?: number; chunkDelayMs?: number },
): FakeTurn;

/** The text of the last user message in a request body of any supported format. */
export function lastUserText(body: Record<string, unknown>): string | undefined;

/** The kind of a corpus file, by its name. */
export function fileKind(file: string): "chunks" | "sse" | "ndjson" | "json" | "cassette" | "unknown";

/** The HTTP status a recorded `{"error": ...}` body implies (200 when it is not an error body). */
export function statusForErrorBody(body: unknown): number;

/** A recorded response as it will be written. */
export function loadRecordedResponse(
  file: string,
  options?: { interaction?: number; status?: number; format?: string },
): { status: number; headers: Record<string, string>; frames: string[] };

/** The interactions of a VCR cassette (`.yaml`). */
export function cassetteInteractions(file: string): Array<{
  request: { parsed_body?: unknown; body?: unknown; uri?: string };
  response: {
    status?: { code?: number };
    headers?: Record<string, string[]>;
    body?: { string?: string };
    parsed_body?: unknown;
  };
}>;
