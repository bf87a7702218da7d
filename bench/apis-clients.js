/**
 * One minimal client per API of `pluto serve` for bench/apis.js, each sending one message to one agent
 * in a new session and returning the agent's answer text. Raw `fetch` (undici, keep-alive) and the
 * global `WebSocket`, with the request shapes docs/api-*.md and docs/websocket.md give:
 *
 * - native: `POST /api/v1/agents/{agent}/runs` `{input}` (docs/http-api.md)
 * - OpenAI: `POST /v1/chat/completions` without `user`, JSON and `stream: true` (docs/api-openai.md)
 * - Agent Protocol: `POST /ap/v1/agent/tasks` (unmeasured) then `POST …/tasks/{id}/steps` with no body,
 *   which runs the task's input (docs/api-agent-protocol.md)
 * - A2A v1.0 JSON-RPC `SendMessage` with `A2A-Version: 1.0` (docs/api-a2a.md)
 * - MCP `tools/call` of `send_message`, stateless Streamable HTTP, no `initialize` (docs/api-mcp.md)
 * - WebSocket `run` on one socket opened beforehand, answered by its `run-end` event (docs/websocket.md)
 *
 * Every `send` throws when the answer is not a success (the message quotes the body), so a broken
 * route cannot pass for a fast one.
 */

/**
 * @typedef {object} ApiClient
 * @property {string} name a short label for the report
 * @property {string} route what is measured, for the report
 * @property {(input: string) => Promise<string>} [prepare] unmeasured set-up per request (returns an id)
 * @property {(input: string, prepared: string) => Promise<string>} send the measured request; the answer text
 * @property {() => Promise<void>} [close]
 */

/**
 * @param {Response} response @param {string} what
 * @returns {Promise<string>} the body
 * @throws {Error} unless the status is 200
 */
async function okText(response, what) {
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${what} answered ${response.status}: ${text.slice(0, 500)}`);
  return text;
}

/**
 * The `data:` payloads of a complete Server-Sent Events body.
 * @param {string} body
 * @returns {string[]}
 */
export function sseData(body) {
  return body
    .split(/\r?\n\r?\n/)
    .map((frame) =>
      frame
        .split(/\r?\n/)
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""))
        .join("\n"),
    )
    .filter((data) => data !== "");
}

const JSON_HEADERS = { "content-type": "application/json" };

/** @param {string} baseUrl @param {string} agent @returns {ApiClient} */
function nativeClient(baseUrl, agent) {
  const url = `${baseUrl}/api/v1/agents/${agent}/runs`;
  return {
    name: "native runs",
    route: "`POST /api/v1/agents/{agent}/runs` (JSON)",
    async send(input) {
      const response = await fetch(url, {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ input }),
      });
      const answer = JSON.parse(await okText(response, "run"));
      if (answer.status !== "completed") throw new Error(`run ended ${answer.status}`);
      return String(answer.output);
    },
  };
}

/** @param {string} baseUrl @param {string} agent @returns {ApiClient} */
function openAiClient(baseUrl, agent) {
  const url = `${baseUrl}/v1/chat/completions`;
  return {
    name: "OpenAI chat completions",
    route: "`POST /v1/chat/completions` (JSON)",
    async send(input) {
      const body = JSON.stringify({ model: agent, messages: [{ role: "user", content: input }] });
      const response = await fetch(url, { method: "POST", headers: JSON_HEADERS, body });
      const completion = JSON.parse(await okText(response, "chat completion"));
      return String(completion.choices?.[0]?.message?.content);
    },
  };
}

/** @param {string} baseUrl @param {string} agent @returns {ApiClient} */
function openAiStreamClient(baseUrl, agent) {
  const url = `${baseUrl}/v1/chat/completions`;
  return {
    name: "OpenAI chat completions, stream",
    route: "`POST /v1/chat/completions` `stream: true` (SSE read to `[DONE]`)",
    async send(input) {
      const body = JSON.stringify({
        model: agent,
        stream: true,
        messages: [{ role: "user", content: input }],
      });
      const response = await fetch(url, { method: "POST", headers: JSON_HEADERS, body });
      const frames = sseData(await okText(response, "streamed chat completion"));
      if (frames.at(-1) !== "[DONE]") throw new Error(`stream did not end with [DONE]: ${frames.at(-1)}`);
      return frames
        .slice(0, -1)
        .map((frame) => JSON.parse(frame).choices?.[0]?.delta?.content ?? "")
        .join("");
    },
  };
}

/** @param {string} baseUrl @param {string} agent @returns {ApiClient} */
function agentProtocolClient(baseUrl, agent) {
  const tasks = `${baseUrl}/ap/v1/agent/tasks`;
  return {
    name: "Agent Protocol step",
    route: "`POST /ap/v1/agent/tasks/{id}/steps` (no body; the task is created unmeasured)",
    async prepare(input) {
      const response = await fetch(tasks, {
        method: "POST",
        headers: { ...JSON_HEADERS, "x-pluto-agent": agent },
        body: JSON.stringify({ input }),
      });
      return String(JSON.parse(await okText(response, "create task")).task_id);
    },
    async send(_input, taskId) {
      const response = await fetch(`${tasks}/${taskId}/steps`, { method: "POST" });
      const step = JSON.parse(await okText(response, "step"));
      if (step.additional_output?.status !== "completed")
        throw new Error(`step ended ${step.additional_output?.status}`);
      return String(step.output);
    },
  };
}

/** @param {string} baseUrl @param {string} agent @returns {ApiClient} */
function a2aClient(baseUrl, agent) {
  const url = `${baseUrl}/a2a/${agent}/jsonrpc`;
  let id = 0;
  return {
    name: "A2A SendMessage",
    route: "`POST /a2a/{agent}/jsonrpc` `SendMessage` (v1.0)",
    async send(input) {
      id++;
      const body = JSON.stringify({
        jsonrpc: "2.0",
        id,
        method: "SendMessage",
        params: { message: { role: "ROLE_USER", messageId: `bench-${id}`, parts: [{ text: input }] } },
      });
      const response = await fetch(url, {
        method: "POST",
        headers: { ...JSON_HEADERS, "A2A-Version": "1.0" },
        body,
      });
      const text = await okText(response, "SendMessage");
      const answer = JSON.parse(text);
      const task = answer.result?.task;
      if (task?.status?.state !== "TASK_STATE_COMPLETED")
        throw new Error(`SendMessage did not complete a task: ${text.slice(0, 500)}`);
      return (task.artifacts ?? [])
        .flatMap((/** @type {{ parts: Array<{ text?: string }> }} */ artifact) => artifact.parts)
        .map((/** @type {{ text?: string }} */ part) => part.text ?? "")
        .join("");
    },
  };
}

/** @param {string} baseUrl @param {string} agent @returns {ApiClient} */
function mcpClient(baseUrl, agent) {
  const url = `${baseUrl}/mcp/${agent}`;
  let id = 0;
  return {
    name: "MCP send_message",
    route: "`POST /mcp/{agent}` `tools/call` (stateless Streamable HTTP, SSE answer)",
    async send(input) {
      id++;
      const response = await fetch(url, {
        method: "POST",
        headers: {
          ...JSON_HEADERS,
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2025-06-18",
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id,
          method: "tools/call",
          params: { name: "send_message", arguments: { message: input } },
        }),
      });
      const body = await okText(response, "tools/call");
      const message = JSON.parse(sseData(body).at(-1) ?? body);
      if (message.result?.structuredContent?.status !== "completed")
        throw new Error(`tools/call did not complete: ${body.slice(0, 500)}`);
      return (message.result.content ?? [])
        .map((/** @type {{ text?: string }} */ part) => part.text ?? "")
        .join("");
    },
  };
}

/**
 * A WebSocket client on one socket, opened (and its upgrade paid) before anything is measured.
 * @param {string} baseUrl @param {string} agent
 * @returns {Promise<ApiClient>}
 */
async function webSocketClient(baseUrl, agent) {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/api/v1/ws`);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", () => reject(new Error("WebSocket did not open")), { once: true });
  });
  /** @type {((message: { type: string; event?: { type: string; status?: string; output?: string }; error?: unknown }) => void) | undefined} */
  let waiting;
  socket.addEventListener("message", (message) => waiting?.(JSON.parse(String(message.data))));
  return {
    name: "WebSocket run",
    route: "`run` message on one open socket of `GET /api/v1/ws`, until its `run-end` event",
    send(input) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error("no run-end over the WebSocket within 10 s")),
          10_000,
        );
        waiting = (message) => {
          if (message.type === "error")
            reject(new Error(`WebSocket error: ${JSON.stringify(message.error)}`));
          else if (message.event?.type !== "run-end") return;
          else if (message.event.status !== "completed")
            reject(new Error(`run ended ${message.event.status}`));
          else resolve(String(message.event.output));
          clearTimeout(timer);
          waiting = undefined;
        };
        socket.send(JSON.stringify({ type: "run", agent, input }));
      });
    },
    async close() {
      socket.close();
    },
  };
}

/**
 * Every client, the native route first (the baseline the others are compared with).
 * @param {{ baseUrl: string; agent: string; webSocket: boolean }} options `webSocket`: include the
 *   WebSocket client (opens a socket)
 * @returns {Promise<ApiClient[]>}
 */
export async function createApiClients(options) {
  const { baseUrl, agent } = options;
  const clients = [
    nativeClient(baseUrl, agent),
    openAiClient(baseUrl, agent),
    openAiStreamClient(baseUrl, agent),
    agentProtocolClient(baseUrl, agent),
    a2aClient(baseUrl, agent),
    mcpClient(baseUrl, agent),
  ];
  if (options.webSocket) clients.push(await webSocketClient(baseUrl, agent));
  return clients;
}

/**
 * Sends one message through `client` and returns the measured milliseconds (the `prepare` step, when
 * there is one, is not counted).
 * @param {ApiClient} client @param {string} input @param {string} expected the answer the fake model gives
 * @returns {Promise<number>}
 * @throws {Error} when the request fails or the answer is not `expected`
 */
export async function timedSend(client, input, expected) {
  const prepared = client.prepare === undefined ? "" : await client.prepare(input);
  const started = performance.now();
  const answer = await client.send(input, prepared);
  const elapsed = performance.now() - started;
  if (answer !== expected)
    throw new Error(
      `${client.name} answered ${JSON.stringify(answer.slice(0, 200))}, not ${JSON.stringify(expected)}`,
    );
  return elapsed;
}
