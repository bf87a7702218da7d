#!/usr/bin/env node
/**
 * The benchmark's floor: the least a server can do to answer Pluto's run request through a model.
 *
 *   node bench/floor-proxy.js --upstream http://127.0.0.1:PORT [--port 0]
 *
 * Prints one JSON line `{"url": "http://127.0.0.1:<port>"}` once listening on 127.0.0.1, then serves
 * until SIGTERM/SIGINT:
 * - `GET /healthz` → `{"status":"ok"}`;
 * - `POST /api/v1/agents/{agent}/runs` with `{"input": "...", "session_id"?: "..."}` → one request to
 *   `{upstream}/v1/responses` (OpenAI Responses API, `stream: true`, the input as one user message),
 *   the SSE answer consumed to the end and its text deltas and usage collected, then the same JSON shape
 *   Pluto answers: `{run_id, session_id, status, output, usage, steps}`.
 *
 * No sessions, no prompt files, no tools, no logs: whatever Pluto spends beyond this is its overhead.
 * It uses the global fetch (undici, keep-alive), as Pluto's provider layer does.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { upstream: { type: "string" }, port: { type: "string" } } });
if (values.upstream === undefined) {
  process.stderr.write("floor-proxy: --upstream URL is required (the fake model's base URL)\n");
  process.exit(2);
}
const responsesUrl = `${values.upstream.replace(/\/$/, "")}/v1/responses`;
/** Largest request body accepted, in bytes (Pluto's default server.max_body_bytes). */
const MAX_BODY_BYTES = 1024 * 1024;

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
        reject(new Error("body too large"));
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
 * Streams one model answer and collects its text and usage from the SSE `data:` lines.
 * @param {string} input
 * @returns {Promise<{ output: string; usage: Record<string, number> }>}
 */
async function callModel(input) {
  const response = await fetch(responsesUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer x" },
    body: JSON.stringify({
      model: "gpt-5-mini",
      input: [{ role: "user", content: [{ type: "input_text", text: input }] }],
      stream: true,
    }),
  });
  if (!response.ok || response.body === null) throw new Error(`model answered ${response.status}`);
  const decoder = new TextDecoder();
  let buffered = "";
  let output = "";
  /** @type {Record<string, number>} */
  let usage = {};
  for await (const chunk of response.body) {
    buffered += decoder.decode(chunk, { stream: true });
    let end = buffered.indexOf("\n\n");
    while (end !== -1) {
      const frame = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      end = buffered.indexOf("\n\n");
      const data = frame.split("\n").find((line) => line.startsWith("data: "));
      if (data === undefined) continue;
      const event = JSON.parse(data.slice(6));
      if (event.type === "response.output_text.delta") output += event.delta;
      else if (event.type === "response.completed") {
        const raw = event.response?.usage ?? {};
        usage = {
          inputTokens: raw.input_tokens ?? 0,
          outputTokens: raw.output_tokens ?? 0,
          totalTokens: raw.total_tokens ?? 0,
        };
      }
    }
  }
  return { output, usage };
}

/**
 * @param {import("node:http").ServerResponse} response
 * @param {number} status
 * @param {unknown} body
 */
function sendJson(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

const server = createServer((request, response) => {
  const path = (request.url ?? "/").split("?")[0] ?? "/";
  if (request.method === "GET" && path === "/healthz") {
    sendJson(response, 200, { status: "ok" });
    return;
  }
  if (request.method !== "POST" || !/^\/api\/v1\/agents\/[^/]+\/runs$/.test(path)) {
    sendJson(response, 404, { error: { code: "NOT_FOUND", message: `No route ${request.method} ${path}.` } });
    return;
  }
  readBody(request)
    .then(async (raw) => {
      const body = JSON.parse(raw);
      if (typeof body.input !== "string") {
        sendJson(response, 400, { error: { code: "BAD_REQUEST", message: "input must be a string." } });
        return;
      }
      const sessionId = typeof body.session_id === "string" ? body.session_id : `ses_${randomUUID()}`;
      const { output, usage } = await callModel(body.input);
      sendJson(response, 200, {
        run_id: `run_${randomUUID()}`,
        session_id: sessionId,
        status: "completed",
        output,
        usage,
        steps: 1,
      });
    })
    .catch((error) => {
      if (response.headersSent) response.destroy();
      else sendJson(response, 500, { error: { code: "INTERNAL", message: String(error?.message ?? error) } });
    });
});
server.keepAliveTimeout = 5_000;
server.listen(Number(values.port ?? 0), "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
