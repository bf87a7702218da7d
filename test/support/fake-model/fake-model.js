/**
 * A local fake LLM server speaking the providers' real wire formats (see wire-formats.js), for tests,
 * end-to-end runs and the benchmark. Plain ESM JavaScript so `node` runs it without a build; types in
 * fake-model.d.ts.
 *
 * Routes (matched on the path's end, so any base path works, e.g. `/v1`, `/api/v1`):
 * - `POST …/chat/completions` OpenAI Chat Completions (SSE when `stream: true`, else JSON);
 * - `POST …/responses` OpenAI Responses; `POST …/messages` Anthropic Messages;
 * - `POST …/api/chat` Ollama (NDJSON unless `stream: false`; Ollama streams by default);
 * - `POST /__fake/turns` enqueue a JSON array of turns; `GET /__fake/requests` the recorded requests;
 *   `DELETE /__fake/requests` forgets them (for out-of-process use via main.js).
 *
 * Each model request takes the next scripted turn from the queue (or the default turn when it is
 * empty: echo the last user message) and plays it in the format of the endpoint it came to.
 */
import { createServer } from "node:http";
import { loadRecordedResponse } from "./replay.js";
import {
  anthropicJson,
  anthropicStream,
  defaultErrorBody,
  ollamaJson,
  ollamaStream,
  openaiChatJson,
  openaiChatStream,
  openaiResponsesJson,
  openaiResponsesStream,
  STREAM_CONTENT_TYPE,
} from "./wire-formats.js";

export { cassetteInteractions, fileKind, loadRecordedResponse, statusForErrorBody } from "./replay.js";

/** Largest request body accepted, in bytes. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * A turn that streams a recorded corpus file verbatim.
 * @param {string} file absolute path
 * @param {{ interaction?: number; status?: number; chunkDelayMs?: number }} [options]
 * @returns {import("./fake-model.js").FakeTurn}
 */
export function replay(file, options = {}) {
  return { replay: file, ...options };
}

/** @param {string} path @returns {import("./fake-model.js").FakeFormat | undefined} */
function formatOf(path) {
  if (path.endsWith("/api/chat")) return "ollama";
  if (path.endsWith("/chat/completions")) return "openai-chat";
  if (path.endsWith("/responses")) return "openai-responses";
  if (path.endsWith("/messages")) return "anthropic";
  return undefined;
}

/** @param {unknown} content */
function textOf(content) {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return undefined;
  const texts = content
    .filter((part) => typeof part === "object" && part !== null && typeof part.text === "string")
    .filter((part) => part.type === undefined || part.type === "text" || part.type === "input_text")
    .map((part) => part.text);
  return texts.length > 0 ? texts.join("") : undefined;
}

/**
 * The text of the last user message in any of the four request formats, or undefined.
 * @param {Record<string, unknown>} body
 */
export function lastUserText(body) {
  const messages = Array.isArray(body.messages) ? body.messages : Array.isArray(body.input) ? body.input : [];
  if (typeof body.input === "string") return body.input;
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index];
    if (typeof message !== "object" || message === null || message.role !== "user") continue;
    const text = textOf(message.content);
    if (text !== undefined) return text;
  }
  return undefined;
}

/** @type {(request: import("./fake-model.js").FakeRequest) => import("./fake-model.js").FakeTurn} */
const echoTurn = (request) => ({
  text: lastUserText(/** @type {Record<string, unknown>} */ (request.body)) ?? "",
});

/**
 * Applies defaults to a scripted turn.
 * @param {import("./fake-model.js").FakeTurn} turn
 * @param {string} model
 * @param {number} serial
 * @returns {import("./wire-formats.js").PlayableTurn}
 */
function playable(turn, model, serial) {
  const text = turn.text === undefined ? [] : Array.isArray(turn.text) ? turn.text : [turn.text];
  const reasoning =
    turn.reasoning === undefined ? [] : Array.isArray(turn.reasoning) ? turn.reasoning : [turn.reasoning];
  const toolCalls = (turn.toolCalls ?? []).map((call, index) => ({
    id: call.id ?? `call_fake_${serial}_${index}`,
    name: call.name,
    input: call.input ?? {},
  }));
  return {
    text: text.filter((piece) => piece !== ""),
    reasoning,
    toolCalls,
    usage: {
      inputTokens: turn.usage?.inputTokens ?? 10,
      outputTokens: turn.usage?.outputTokens ?? 5,
      reasoningTokens: turn.usage?.reasoningTokens ?? 0,
      cachedInputTokens: turn.usage?.cachedInputTokens ?? 0,
    },
    finishReason: turn.finishReason ?? (toolCalls.length > 0 ? "tool-calls" : "stop"),
    streamError: turn.streamError,
    model: turn.model ?? model,
    id: `fake${serial}`,
  };
}

/** @param {number} ms @param {import("node:http").ServerResponse} response */
function wait(ms, response) {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    response.once("close", () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}

/**
 * Writes frames one by one, `chunkDelayMs` apart; stops when the client goes away.
 * @param {import("node:http").ServerResponse} response
 * @param {number} status
 * @param {Record<string, string>} headers
 * @param {string[]} frames
 * @param {number} chunkDelayMs
 */
async function writeFrames(response, status, headers, frames, chunkDelayMs) {
  response.writeHead(status, headers);
  if (chunkDelayMs <= 0) {
    response.end(frames.join(""));
    return;
  }
  for (const frame of frames) {
    if (response.destroyed || response.writableEnded) return;
    response.write(frame);
    await wait(chunkDelayMs, response);
  }
  if (!response.destroyed) response.end();
}

/**
 * @param {import("node:http").IncomingMessage} request
 * @returns {Promise<string>}
 */
function readBody(request) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    request.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error("request body too large"));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/**
 * @param {import("node:http").ServerResponse} response
 * @param {number} status
 * @param {unknown} body
 * @param {Record<string, string>} [headers]
 */
function sendJson(response, status, body, headers = {}) {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(text);
}

/**
 * Starts a fake model server on 127.0.0.1.
 * @param {import("./fake-model.js").FakeModelOptions} [options]
 * @returns {Promise<import("./fake-model.js").FakeModel>}
 */
export async function startFakeModel(options = {}) {
  /** @type {import("./fake-model.js").FakeTurn[]} */
  const queue = [...(options.turns ?? [])];
  /** @type {import("./fake-model.js").FakeRequest[]} */
  const requests = [];
  const record = options.recordRequests ?? true;
  const defaultTurn = options.defaultTurn ?? echoTurn;
  let loopIndex = 0;
  let serial = 0;

  /** @param {import("./fake-model.js").FakeRequest} request */
  const nextTurn = (request) => {
    if (options.loop === true && queue.length > 0)
      return /** @type {import("./fake-model.js").FakeTurn} */ (queue[loopIndex++ % queue.length]);
    const turn = queue.shift();
    if (turn !== undefined) return turn;
    return typeof defaultTurn === "function" ? defaultTurn(request) : defaultTurn;
  };

  /**
   * @param {import("node:http").IncomingMessage} request
   * @param {import("node:http").ServerResponse} response
   */
  const handle = async (request, response) => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const raw = request.method === "GET" || request.method === "HEAD" ? "" : await readBody(request);
    if (path === "/__fake/turns" && request.method === "POST") {
      const turns = JSON.parse(raw);
      queue.push(...(Array.isArray(turns) ? turns : [turns]));
      sendJson(response, 200, { queued: queue.length });
      return;
    }
    if (path === "/__fake/requests") {
      if (request.method === "DELETE") requests.length = 0;
      sendJson(response, 200, requests);
      return;
    }
    const format = request.method === "POST" ? formatOf(path) : undefined;
    if (format === undefined) {
      sendJson(response, 404, {
        error: { message: `fake model: no route for ${request.method} ${path}`, type: "not_found" },
      });
      return;
    }
    /** @type {Record<string, unknown>} */
    let body;
    try {
      body = raw === "" ? {} : JSON.parse(raw);
    } catch {
      sendJson(response, 400, defaultErrorBody(format, 400));
      return;
    }
    const stream = format === "ollama" ? body.stream !== false : body.stream === true;
    /** @type {Record<string, string>} */
    const headers = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string") headers[name] = value;
      else if (Array.isArray(value)) headers[name] = value.join(", ");
    }
    /** @type {import("./fake-model.js").FakeRequest} */
    const recorded = { method: request.method ?? "POST", path, format, stream, headers, body };
    if (record) requests.push(recorded);
    if (options.log) options.log(`${request.method} ${path} ${format}${stream ? " stream" : ""}`);
    const turn = nextTurn(recorded);
    await wait(turn.delayMs ?? 0, response);
    if (response.destroyed) return;
    await play(turn, recorded, response);
  };

  /**
   * @param {import("./fake-model.js").FakeTurn} turn
   * @param {import("./fake-model.js").FakeRequest} request
   * @param {import("node:http").ServerResponse} response
   */
  const play = async (turn, request, response) => {
    const chunkDelayMs = turn.chunkDelayMs ?? 0;
    if (turn.replay !== undefined) {
      const recordedResponse = loadRecordedResponse(turn.replay, { ...turn, format: request.format });
      await writeFrames(
        response,
        recordedResponse.status,
        recordedResponse.headers,
        recordedResponse.frames,
        chunkDelayMs,
      );
      return;
    }
    if (turn.error !== undefined) {
      const { status } = turn.error;
      /** @type {Record<string, string>} */
      const headers = { ...(turn.error.headers ?? {}) };
      if (turn.error.retryAfterSeconds !== undefined)
        headers["retry-after"] = String(turn.error.retryAfterSeconds);
      if (turn.error.retryAfterMs !== undefined) headers["retry-after-ms"] = String(turn.error.retryAfterMs);
      sendJson(response, status, turn.error.body ?? defaultErrorBody(request.format, status), headers);
      return;
    }
    if (turn.rawBody !== undefined) {
      const headers = { "content-type": STREAM_CONTENT_TYPE[request.format], "cache-control": "no-cache" };
      await writeFrames(response, 200, headers, [turn.rawBody], chunkDelayMs);
      return;
    }
    const body = /** @type {Record<string, unknown>} */ (request.body);
    const model = typeof body.model === "string" ? body.model : "fake-model";
    const turnToPlay = playable(turn, model, ++serial);
    if (!request.stream || turn.nonStreaming === true) {
      const json =
        request.format === "openai-chat"
          ? openaiChatJson(turnToPlay)
          : request.format === "openai-responses"
            ? openaiResponsesJson(turnToPlay)
            : request.format === "anthropic"
              ? anthropicJson(turnToPlay)
              : ollamaJson(turnToPlay);
      sendJson(response, 200, json);
      return;
    }
    const frames =
      request.format === "openai-chat"
        ? openaiChatStream(turnToPlay, body)
        : request.format === "openai-responses"
          ? openaiResponsesStream(turnToPlay)
          : request.format === "anthropic"
            ? anthropicStream(turnToPlay)
            : ollamaStream(turnToPlay);
    const headers = { "content-type": STREAM_CONTENT_TYPE[request.format], "cache-control": "no-cache" };
    await writeFrames(response, 200, headers, frames, chunkDelayMs);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      sendJson(response, 500, {
        error: {
          message: `fake model failed: ${error instanceof Error ? error.message : String(error)}`,
          type: "fake_model_error",
        },
      });
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve(undefined));
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const url = `http://${options.host ?? "127.0.0.1"}:${port}`;

  return {
    url,
    port,
    requests,
    enqueue(...turns) {
      queue.push(...turns);
    },
    pending() {
      return queue.length;
    },
    clear() {
      queue.length = 0;
      requests.length = 0;
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      });
    },
  };
}
