/**
 * Turns recorded provider responses (the corpus at `../shared/corpus/provider-streams`, formats
 * described in its SOURCES.md) into raw HTTP responses the fake model plays back verbatim:
 * - `*.chunks.txt`: one JSON payload per line → re-emitted as `data: <line>` SSE frames
 *   (plus `data: [DONE]` when played on the Chat Completions endpoint, as the real API ends);
 * - `*.sse`, `*.ndjson`: written as they are;
 * - `*.json`: written as they are; an `{"error": ...}` body gets the status it implies;
 * - `*.yaml`: a VCR cassette; one interaction's recorded status, content type and body.
 */
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";

/**
 * A recorded response ready to write.
 * @typedef {object} RawResponse
 * @property {number} status
 * @property {Record<string, string>} headers
 * @property {string[]} frames pieces written one by one (SSE events, NDJSON lines or one body)
 */

/** @param {string} file */
export function fileKind(file) {
  if (file.endsWith(".chunks.txt")) return "chunks";
  const extension = extname(file).toLowerCase();
  if (extension === ".sse") return "sse";
  if (extension === ".ndjson") return "ndjson";
  if (extension === ".json") return "json";
  if (extension === ".yaml" || extension === ".yml") return "cassette";
  return "unknown";
}

/**
 * The HTTP status a recorded error body implies: an explicit numeric `error.code`, else by error type
 * (`insufficient_quota` is sent with 429 by OpenAI; Ollama's plain `{"error": "..."}` with 500).
 * @param {unknown} body
 * @returns {number}
 */
export function statusForErrorBody(body) {
  if (typeof body !== "object" || body === null || !("error" in body)) return 200;
  const error = /** @type {{ error: unknown }} */ (body).error;
  // A Responses API object carries `"error": null` when nothing failed.
  if (error === null || error === undefined) return 200;
  if (typeof error === "string") return 500;
  if (typeof error !== "object" || error === null) return 500;
  const { code, type, status } = /** @type {{ code?: unknown; type?: unknown; status?: unknown }} */ (error);
  if (typeof code === "number" && code >= 400 && code < 600) return code;
  const kind = `${String(type ?? "")} ${String(code ?? "")} ${String(status ?? "")}`;
  if (/rate_limit|insufficient_quota|RESOURCE_EXHAUSTED/.test(kind)) return 429;
  if (/authentication|invalid_api_key/.test(kind)) return 401;
  if (/permission/.test(kind)) return 403;
  if (/overloaded/.test(kind)) return 529;
  if (/server_error|api_error|INTERNAL/.test(kind)) return 500;
  return 400;
}

/** @param {string} text */
function lines(text) {
  return text.split(/\r?\n/).filter((line) => line.trim() !== "");
}

/**
 * Loads one recorded response.
 * @param {string} file absolute path of a corpus file
 * @param {{ interaction?: number; status?: number; format?: string }} [options]
 *   `interaction`: which exchange of a cassette (default 0); `status` overrides the status;
 *   `format` is the endpoint the request came to (adds `[DONE]` to chunk files on `openai-chat`).
 * @returns {RawResponse}
 * @throws {Error} for unknown file kinds or a cassette without that interaction
 */
export function loadRecordedResponse(file, options = {}) {
  const kind = fileKind(file);
  const text = readFileSync(file, "utf8");
  if (kind === "chunks") {
    const frames = lines(text).map((line) => `data: ${line}\n\n`);
    if (options.format === "openai-chat") frames.push("data: [DONE]\n\n");
    return {
      status: options.status ?? 200,
      headers: { "content-type": "text/event-stream; charset=utf-8" },
      frames,
    };
  }
  if (kind === "sse") {
    const frames = text.split(/(?<=\n\n)/);
    return {
      status: options.status ?? 200,
      headers: { "content-type": "text/event-stream; charset=utf-8" },
      frames,
    };
  }
  if (kind === "ndjson") {
    return {
      status: options.status ?? 200,
      headers: { "content-type": "application/x-ndjson" },
      frames: lines(text).map((line) => `${line}\n`),
    };
  }
  if (kind === "json") {
    const status = options.status ?? statusForErrorBody(JSON.parse(text));
    return { status, headers: { "content-type": "application/json" }, frames: [text] };
  }
  if (kind === "cassette") return cassetteResponse(file, text, options);
  throw new Error(
    `fake model: cannot replay ${file}: unknown file kind (expected .chunks.txt, .sse, .ndjson, .json, .yaml)`,
  );
}

/**
 * @typedef {object} CassetteInteraction
 * @property {{ parsed_body?: unknown; body?: unknown; uri?: string }} request
 * @property {{ status?: { code?: number }; headers?: Record<string, string[]>; body?: { string?: string }; parsed_body?: unknown }} response
 */

/** The interactions of a VCR cassette file. @param {string} file @returns {CassetteInteraction[]} */
export function cassetteInteractions(file) {
  const document = /** @type {{ interactions?: CassetteInteraction[] }} */ (
    parseYaml(readFileSync(file, "utf8"))
  );
  return document.interactions ?? [];
}

/**
 * @param {string} file
 * @param {string} text
 * @param {{ interaction?: number; status?: number }} options
 * @returns {RawResponse}
 */
function cassetteResponse(file, text, options) {
  const document = /** @type {{ interactions?: CassetteInteraction[] }} */ (parseYaml(text));
  const index = options.interaction ?? 0;
  const interaction = document.interactions?.[index];
  if (interaction === undefined) throw new Error(`fake model: ${file} has no interaction ${index}`);
  const { response } = interaction;
  const contentType = response.headers?.["content-type"]?.[0] ?? "application/json";
  const body =
    typeof response.body?.string === "string"
      ? response.body.string
      : JSON.stringify(response.parsed_body ?? {});
  const frames = contentType.includes("event-stream") ? body.split(/(?<=\n\n)/) : [body];
  return {
    status: options.status ?? response.status?.code ?? 200,
    headers: { "content-type": contentType },
    frames,
  };
}
