import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { FetchLike, Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { Implementation, Tool as McpTool } from "@modelcontextprotocol/sdk/types.js";
import type { McpHttpServerSpec, McpServerSpec, McpStdioServerSpec } from "../../agents/agent-definition.js";
import { errorMessage, PlutoError } from "../../core/errors.js";
import type { Tool } from "../tool.js";
import { findNetworkRefusal } from "./guarded-fetch.js";
import { createMcpRemoteTool, type McpProgressEvent } from "./mcp-remote-tool.js";
import { collectStderrTail, type StderrTail } from "./stderr-tail.js";

/** Longest wait for a server to start and answer `initialize` plus `tools/list`, in milliseconds. */
export const MAX_HANDSHAKE_TIMEOUT_MS = 15_000;

/** Receives the MCP client's log lines. */
export type McpLog = (
  level: "debug" | "info" | "warn" | "error",
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** Options of {@link connectMcpServer}. */
export interface ConnectMcpServerOptions {
  /** Name and version Pluto announces in `initialize`. */
  clientInfo: Implementation;
  log?: McpLog;
  onProgress?: (event: McpProgressEvent) => void;
  /**
   * The fetch HTTP transports use (`createGuardedFetch` for tenant-trust servers, which checks every
   * resolved address and redirect). @default the global fetch
   */
  fetch?: FetchLike;
}

/** How a connected server is reached. */
export type McpTransportKind = "stdio" | "streamable-http" | "sse";

/** One connected MCP server and its tools. */
export interface McpServerConnection {
  name: string;
  transport: McpTransportKind;
  client: Client;
  /** Pluto tools named `<server>__<tool>`, in the server's order, without duplicate names. */
  tools: Tool[];
  /** True once the connection has closed (the process exited, the HTTP session ended, or `close` ran). */
  readonly closed: boolean;
  /** Closes the session (HTTP: DELETE of the session; stdio: ends the process). Never throws. */
  close(): Promise<void>;
}

/**
 * Connects to one MCP server and lists its tools. stdio servers are spawned with `command`/`args` in
 * `cwd`, with `env` merged over the SDK's safe default environment (`getDefaultEnvironment`: HOME, PATH,
 * USER, SHELL, TERM, LOGNAME) and stderr piped (its tail appears in failures). HTTP servers are tried with
 * Streamable HTTP first; when that answers with a 4xx status, the legacy SSE transport is tried on the
 * same URL (MCP spec 2025-03-26, "Backwards compatibility"). The handshake (start, `initialize`,
 * `tools/list`) must finish within `min(spec.timeoutMs, 15 s)`.
 * @throws PlutoError `MCP_SERVER_FAILED` with a message naming the server, the cause and the fix.
 */
export async function connectMcpServer(
  spec: McpServerSpec,
  options: ConnectMcpServerOptions,
): Promise<McpServerConnection> {
  const handshakeMs = Math.max(1, Math.min(spec.timeoutMs, MAX_HANDSHAKE_TIMEOUT_MS));
  return spec.transport === "stdio"
    ? connectStdio(spec, options, handshakeMs)
    : connectHttp(spec, options, handshakeMs);
}

async function connectStdio(
  spec: McpStdioServerSpec,
  options: ConnectMcpServerOptions,
  handshakeMs: number,
): Promise<McpServerConnection> {
  const transport = new StdioClientTransport({
    command: spec.command,
    args: spec.args,
    env: { ...getDefaultEnvironment(), ...spec.env },
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
    stderr: "pipe",
  });
  const stderr = collectStderrTail(transport.stderr);
  const client = newClient(options);
  try {
    await handshake(client, transport, handshakeMs);
    const tools = await listAllTools(client, handshakeMs);
    return finish(spec, options, { client, transport, kind: "stdio", tools, stderr });
  } catch (error) {
    await closeQuietly(client, transport);
    throw startFailure(spec, describeStdioError(spec, error, handshakeMs), error, stderr.text());
  }
}

async function connectHttp(
  spec: McpHttpServerSpec,
  options: ConnectMcpServerOptions,
  handshakeMs: number,
): Promise<McpServerConnection> {
  let url: URL;
  try {
    url = new URL(spec.url);
  } catch (error) {
    throw startFailure(spec, `its url ${JSON.stringify(spec.url)} is not a valid URL`, error, "");
  }
  const requestInit: RequestInit = { headers: spec.headers };
  const fetchOption = options.fetch === undefined ? {} : { fetch: options.fetch };
  const streamable = new StreamableHTTPClientTransport(url, { requestInit, ...fetchOption });
  let client = newClient(options);
  try {
    await handshake(client, streamable, handshakeMs);
    const tools = await listAllTools(client, handshakeMs);
    return finish(spec, options, { client, transport: streamable, kind: "streamable-http", tools });
  } catch (error) {
    await closeQuietly(client, streamable);
    const status = error instanceof StreamableHTTPError ? error.code : undefined;
    if (status === undefined || status < 400 || status >= 500) {
      throw startFailure(spec, describeHttpError(spec, error, handshakeMs), error, "");
    }
    options.log?.(
      "info",
      `MCP server "${spec.name}" answered Streamable HTTP with ${status}; trying the SSE transport`,
      {
        server: spec.name,
      },
    );
  }
  const sse = new SSEClientTransport(url, { requestInit, ...fetchOption });
  client = newClient(options);
  try {
    await handshake(client, sse, handshakeMs);
    const tools = await listAllTools(client, handshakeMs);
    return finish(spec, options, { client, transport: sse, kind: "sse", tools });
  } catch (error) {
    await closeQuietly(client, sse);
    throw startFailure(
      spec,
      `neither Streamable HTTP nor SSE worked at ${spec.url} (${describeHttpError(spec, error, handshakeMs)})`,
      error,
      "",
    );
  }
}

function newClient(options: ConnectMcpServerOptions): Client {
  return new Client(options.clientInfo, { capabilities: {} });
}

/** `client.connect` bounded by `timeoutMs` as a whole (the SSE transport's start has no timeout of its own). */
async function handshake(client: Client, transport: Transport, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HandshakeTimeout(timeoutMs)), timeoutMs);
  });
  try {
    await Promise.race([client.connect(transport, { timeout: timeoutMs }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

class HandshakeTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer to initialize within ${timeoutMs} ms`);
  }
}

async function listAllTools(client: Client, timeoutMs: number): Promise<McpTool[]> {
  if (client.getServerCapabilities()?.tools === undefined) return [];
  const tools: McpTool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page += 1) {
    const result = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: timeoutMs });
    tools.push(...result.tools);
    cursor = result.nextCursor;
    if (cursor === undefined) break;
  }
  return tools;
}

function finish(
  spec: McpServerSpec,
  options: ConnectMcpServerOptions,
  parts: {
    client: Client;
    transport: Transport;
    kind: McpTransportKind;
    tools: McpTool[];
    stderr?: StderrTail;
  },
): McpServerConnection {
  const { client, transport, kind, stderr } = parts;
  let closing = false;
  let closed = false;
  client.onerror = (error) => {
    options.log?.("warn", `MCP server "${spec.name}": ${errorMessage(error)}`, { server: spec.name });
  };
  client.onclose = () => {
    closed = true;
    if (!closing) {
      options.log?.("warn", `MCP server "${spec.name}" closed the connection`, {
        server: spec.name,
        ...(stderr === undefined ? {} : { stderr: stderr.text() }),
      });
    }
  };
  const tools: Tool[] = [];
  const seen = new Set<string>();
  for (const tool of parts.tools) {
    const wrapped = createMcpRemoteTool({
      server: spec.name,
      client,
      tool,
      timeoutMs: spec.timeoutMs,
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(stderr === undefined ? {} : { diagnostics: () => stderr.text() }),
    });
    if (seen.has(wrapped.name)) {
      options.log?.(
        "warn",
        `MCP server "${spec.name}": tool "${tool.name}" skipped, its name ${wrapped.name} is taken`,
        {
          server: spec.name,
        },
      );
      continue;
    }
    seen.add(wrapped.name);
    tools.push(wrapped);
  }
  options.log?.("info", `MCP server "${spec.name}" connected over ${kind} with ${tools.length} tools`, {
    server: spec.name,
  });
  return {
    name: spec.name,
    transport: kind,
    client,
    tools,
    get closed() {
      return closed;
    },
    async close() {
      closing = true;
      if (transport instanceof StreamableHTTPClientTransport && transport.sessionId !== undefined) {
        await transport.terminateSession().catch(() => undefined);
      }
      await closeQuietly(client, transport);
      closed = true;
    },
  };
}

async function closeQuietly(client: Client, transport: Transport): Promise<void> {
  await client.close().catch(() => undefined);
  await transport.close().catch(() => undefined);
}

function startFailure(spec: McpServerSpec, reason: string, cause: unknown, stderr: string): PlutoError {
  const tail = stderr === "" ? "" : ` Server stderr (last lines): ${stderr}`;
  return new PlutoError("MCP_SERVER_FAILED", `MCP server "${spec.name}" failed to start: ${reason}.${tail}`, {
    cause,
    details: { server: spec.name, transport: spec.transport, ...(stderr === "" ? {} : { stderr }) },
    retryable: true,
  });
}

function describeStdioError(spec: McpStdioServerSpec, error: unknown, handshakeMs: number): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === "ENOENT") {
    return `the command ${JSON.stringify(spec.command)} was not found${spec.cwd === undefined ? "" : ` (cwd ${spec.cwd})`}; install it or fix "command" in agent.yaml (it is looked up on PATH)`;
  }
  if (code === "EACCES") return `the command ${JSON.stringify(spec.command)} is not executable (EACCES)`;
  if (error instanceof HandshakeTimeout || isRequestTimeout(error)) {
    return `it did not complete the MCP handshake within ${handshakeMs} ms; check that "${spec.command}" is an MCP server speaking stdio`;
  }
  if (isConnectionClosed(error)) {
    return `the process "${spec.command}" exited before completing the MCP handshake`;
  }
  return errorMessage(error);
}

function describeHttpError(spec: McpHttpServerSpec, error: unknown, handshakeMs: number): string {
  const refusal = findNetworkRefusal(error);
  if (refusal !== undefined) return `the connection was refused before it was made: ${refusal.message}`;
  if (error instanceof HandshakeTimeout || isRequestTimeout(error)) {
    return `no MCP handshake within ${handshakeMs} ms from ${spec.url}`;
  }
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  if (cause !== undefined && typeof cause.code === "string") {
    return `${errorMessage(error)} (${cause.code}) at ${spec.url}; check that the server is running and the url is right`;
  }
  return errorMessage(error);
}

function isRequestTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === -32001;
}

function isConnectionClosed(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === -32000;
}
