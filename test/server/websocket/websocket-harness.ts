import WebSocket from "ws";
import type { AgentDefinition } from "../../../src/agents/agent-definition.js";
import type { SessionEvent } from "../../../src/core/events.js";
import type { StreamStep } from "../../../src/llm/model-step.js";
import { createApp } from "../../../src/server/app.js";
import { type RunningServer, startServer } from "../../../src/server/start-server.js";
import type { ServerMessage } from "../../../src/server/websocket/websocket-protocol.js";
import { createWebSocketServer } from "../../../src/server/websocket/websocket-server.js";
import type { ApiKeyRole } from "../../../src/services/auth/api-key-store.js";
import { createApiKey } from "../../../src/services/auth/api-keys.js";
import { InMemoryApiKeyStore } from "../../../src/services/auth/in-memory-api-key-store.js";
import type { SessionStore } from "../../../src/services/session/session-store.js";
import { createRunHarness } from "../../runs/run-harness.js";

/** Options of {@link startWebSocketHarness}. */
export interface WebSocketHarnessOptions {
  streamStep: StreamStep;
  agents?: AgentDefinition[];
  /** Create API keys for tenants `default`, `acme` and `beta` (then every request must authenticate). */
  withKeys?: boolean;
  authToken?: string;
  /** @default 4096 */
  maxPayloadBytes?: number;
  publicUrl?: string;
  /** Start the HTTP server without a WebSocket server. */
  withoutWebSocket?: boolean;
  sessions?: SessionStore;
  /** `createApp`'s per-tenant request rate. */
  rateLimitPerMinute?: number;
  /** `createApp`'s cap on open streams. */
  maxStreams?: number;
}

/**
 * A real listening server (`startServer` on 127.0.0.1, port 0) over `createApp` with a real RunManager,
 * in-memory stores, a fake agent catalog, a scripted model and, optionally, tenant API keys.
 */
export async function startWebSocketHarness(options: WebSocketHarnessOptions) {
  const harness = createRunHarness({
    streamStep: options.streamStep,
    ...(options.agents === undefined ? {} : { agents: options.agents }),
    ...(options.sessions === undefined ? {} : { sessions: options.sessions }),
  });
  const apiKeys = options.withKeys === true ? new InMemoryApiKeyStore() : undefined;
  const key = async (tenant: string, role: ApiKeyRole) =>
    apiKeys === undefined
      ? ""
      : (await createApiKey(apiKeys, { tenant, role, name: `${tenant}-${role}` })).token;
  const tokens = {
    operator: await key("default", "admin"),
    acme: await key("acme", "member"),
    beta: await key("beta", "member"),
  };
  const unexpected: unknown[] = [];
  const app = createApp({
    agents: harness.catalog,
    runs: harness.runs,
    sessions: harness.sessions,
    maxBodyBytes: 16_384,
    ready: () => true,
    onUnexpectedError: (error) => unexpected.push(error),
    ...(apiKeys === undefined ? {} : { apiKeys }),
    ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
    ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
    ...(options.rateLimitPerMinute === undefined ? {} : { rateLimitPerMinute: options.rateLimitPerMinute }),
    ...(options.maxStreams === undefined ? {} : { maxStreams: options.maxStreams }),
  });
  const server: RunningServer = await startServer(app, {
    host: "127.0.0.1",
    port: 0,
    ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
    ...(options.withoutWebSocket === true
      ? {}
      : { websocket: createWebSocketServer({ maxPayloadBytes: options.maxPayloadBytes ?? 4096 }) }),
  });
  const clients: TestClient[] = [];
  return {
    ...harness,
    app,
    server,
    apiKeys,
    tokens,
    unexpected,
    wsUrl: `${server.url.replace(/^http/, "ws")}/api/v1/ws`,
    /** Opens a socket (headers such as `authorization`, `cookie`, `origin`) and waits until it is open. */
    async connect(headers: Record<string, string> = {}, path = "/api/v1/ws"): Promise<TestClient> {
      const client = await TestClient.open(`${server.url.replace(/^http/, "ws")}${path}`, headers);
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.socket.terminate();
      await server.close();
    },
  };
}

/** Why an upgrade was refused: the HTTP status of the handshake answer. */
export async function refusedStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.on("unexpected-response", (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
      socket.terminate();
    });
    socket.on("open", () => {
      socket.terminate();
      reject(new Error("the upgrade was accepted"));
    });
    socket.on("error", () => {});
  });
}

/** A `ws` client that records every server message and how the socket closed. */
export class TestClient {
  readonly socket: WebSocket;
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: (() => void)[] = [];

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on("message", (data, isBinary) => {
      if (isBinary) throw new Error("the server sent a binary frame");
      this.messages.push(JSON.parse(String(data)) as ServerMessage);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on("close", (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
  }

  static open(url: string, headers: Record<string, string>): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      const client = new TestClient(socket);
      socket.once("open", () => resolve(client));
      socket.once("error", reject);
      socket.once("unexpected-response", (_request, response) =>
        reject(new Error(`upgrade refused with ${response.statusCode}`)),
      );
    });
  }

  /** Sends a JSON message (or a raw string / binary frame as given). */
  send(message: unknown): void {
    if (typeof message === "string" || Buffer.isBuffer(message)) this.socket.send(message);
    else this.socket.send(JSON.stringify(message));
  }

  /** Events received for a session, in arrival order. */
  events(sessionId?: string): SessionEvent[] {
    return this.messages.flatMap((message) =>
      message.type === "event" && (sessionId === undefined || message.session_id === sessionId)
        ? [message.event]
        : [],
    );
  }

  errors() {
    return this.messages.flatMap((message) => (message.type === "error" ? [message] : []));
  }

  /** Waits until `predicate` holds over the messages received so far. @throws after `timeoutMs`. */
  async until(predicate: (messages: ServerMessage[]) => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out; messages so far: ${JSON.stringify(this.messages).slice(0, 2000)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the `count`-th `run-end` event. */
  untilRunEnds(count = 1): Promise<void> {
    return this.until(
      (messages) =>
        messages.filter((message) => message.type === "event" && message.event.type === "run-end").length >=
        count,
    );
  }

  /** Waits for the `count`-th error message and returns it. */
  async nextError(count: number) {
    await this.until(() => this.errors().length >= count);
    const error = this.errors()[count - 1];
    if (error === undefined) throw new Error("no error message");
    return error;
  }
}
