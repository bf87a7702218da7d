import type { Implementation } from "@modelcontextprotocol/sdk/types.js";
import type { AgentDefinition } from "../../agents/agent-definition.js";
import { errorMessage, PlutoError } from "../../core/errors.js";
import type { McpServerConnection } from "./connect-mcp-server.js";
import type { ConnectedMcpServers, McpServerFailure } from "./connect-mcp-servers.js";
import { createGuardedFetch } from "./guarded-fetch.js";
import type { McpProgressEvent } from "./mcp-remote-tool.js";
import {
  type AllowedMcpServer,
  checkMcpServer,
  createMcpServerPolicy,
  type McpServerPolicy,
  type McpServerRequester,
} from "./mcp-server-policy.js";

/** Options of {@link McpPool}. */
export interface McpPoolOptions {
  /** Name and version announced in `initialize`. @default { name: "pluto", version: "0.0.0" } */
  clientInfo?: Implementation;
  /** Receives warnings and errors (failed starts, servers that exit, fallbacks are not reported). */
  log?: (message: string, level: "warn" | "error") => void;
  /** Called for every progress notification of every tool call. */
  onProgress?: (event: McpProgressEvent) => void;
  /** A failed server is tried again by the first `connect` after this many milliseconds. @default 30000 */
  retryFailedAfterMs?: number;
  /** Clock in milliseconds. @default Date.now */
  now?: () => number;
  /**
   * The catalogue, allowances and network rules every server passes (`checkMcpServer`) before it is
   * started or connected. @default an empty catalogue, no allowances, the default network rules
   */
  policy?: McpServerPolicy;
}

type Outcome = { connection: McpServerConnection } | { failure: McpServerFailure; at: number };

interface Entry {
  fingerprint: string;
  outcome: Promise<Outcome>;
  settled?: Outcome;
}

/**
 * Keeps MCP servers running between runs: one connection per (agent folder, server name), shared by all
 * runs of that agent. `connect(agent)` reuses a live connection whose spec is unchanged; it reconnects
 * when the spec changed (the agent was edited), when the server has exited, or when a failed server's
 * retry delay has passed, and closes servers the agent no longer lists. Concurrent calls share one
 * connection attempt. The pool owns every connection: the result's `close()` does nothing; call
 * {@link McpPool.close} once at shutdown.
 */
export class McpPool {
  readonly #options: McpPoolOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #policy: McpServerPolicy;
  #fetch: ReturnType<typeof createGuardedFetch> | undefined;
  #closed = false;

  constructor(options: McpPoolOptions = {}) {
    this.#options = options;
    this.#policy = options.policy ?? createMcpServerPolicy();
  }

  /** The one guarded fetch of this pool (its keep-alive connections are shared by tenant-trust servers). */
  #guardedFetch(): ReturnType<typeof createGuardedFetch> {
    this.#fetch ??= createGuardedFetch(this.#policy.network);
    return this.#fetch;
  }

  /**
   * The tools of `agent.tools.mcpServers`, connecting what is not connected yet. Every server first
   * passes `checkMcpServer` for `trust` and `tenant` (catalogue references resolved, tenant-trust commands,
   * `cwd` and URLs refused as docs/security.md says; tenant-trust URL servers connect through a fetch that
   * checks resolved addresses). Never rejects for a server that fails or is refused: it is listed in
   * `failures`, and nothing was started for a refused one.
   * @throws PlutoError `INTERNAL` after {@link McpPool.close}.
   */
  async connect(
    agent: Pick<AgentDefinition, "name" | "directory" | "tools">,
    access: Pick<McpServerRequester, "tenant" | "trust">,
  ): Promise<ConnectedMcpServers> {
    if (this.#closed)
      throw new PlutoError("INTERNAL", "The MCP pool is closed; create a new runtime to run agents.");
    const requester = { ...access, directory: agent.directory };
    const servers = agent.tools.mcpServers;
    const prefix = `${agent.directory}\0`;
    const wanted = new Set(servers.map((server) => `${prefix}${server.name}`));
    for (const [key, entry] of this.#entries) {
      if (key.startsWith(prefix) && !wanted.has(key)) {
        this.#entries.delete(key);
        void closeEntry(entry);
      }
    }
    const outcomes = await Promise.all(
      servers.map(async (server): Promise<Outcome> => {
        const key = `${prefix}${server.name}`;
        const checked = await checkMcpServer(server, requester, this.#policy);
        if ("problem" in checked) {
          const existing = this.#entries.get(key);
          this.#entries.delete(key);
          if (existing !== undefined) void closeEntry(existing);
          const message = `MCP server "${server.name}" was not started: ${checked.problem.message}. ${checked.problem.fix}`;
          this.#options.log?.(message, "error");
          return { failure: { server: server.name, message }, at: this.#now() };
        }
        return this.#entryFor(key, checked).outcome;
      }),
    );
    const connections: McpServerConnection[] = [];
    const failures: McpServerFailure[] = [];
    for (const outcome of outcomes) {
      if ("connection" in outcome) connections.push(outcome.connection);
      else failures.push(outcome.failure);
    }
    return {
      tools: connections.flatMap((connection) => connection.tools),
      failures,
      servers: connections.map((connection) => ({
        name: connection.name,
        transport: connection.transport,
        tools: connection.tools.length,
      })),
      close: async () => {},
    };
  }

  /** Closes every server. Later `connect` calls throw. */
  async close(): Promise<void> {
    this.#closed = true;
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(entries.map(closeEntry));
  }

  #entryFor(key: string, allowed: AllowedMcpServer): Entry {
    const fingerprint = JSON.stringify({ spec: allowed.spec, guarded: allowed.network !== undefined });
    const existing = this.#entries.get(key);
    if (existing !== undefined && existing.fingerprint === fingerprint && this.#reusable(existing))
      return existing;
    if (existing !== undefined) void closeEntry(existing);
    const entry: Entry = { fingerprint, outcome: this.#open(allowed) };
    entry.outcome.then((outcome) => {
      entry.settled = outcome;
    });
    this.#entries.set(key, entry);
    return entry;
  }

  #reusable(entry: Entry): boolean {
    const settled = entry.settled;
    if (settled === undefined) return true;
    if ("connection" in settled) return !settled.connection.closed;
    return this.#now() - settled.at < (this.#options.retryFailedAfterMs ?? 30_000);
  }

  async #open({ spec, network }: AllowedMcpServer): Promise<Outcome> {
    const log = this.#options.log;
    try {
      // The MCP client SDK (about 80 ms to load) is imported on the first connection, so processes
      // whose agents have no MCP servers never load it.
      const { connectMcpServer } = await import("./connect-mcp-server.js");
      const connection = await connectMcpServer(spec, {
        clientInfo: this.#options.clientInfo ?? { name: "pluto", version: "0.0.0" },
        ...(log === undefined
          ? {}
          : {
              log: (level, message) =>
                level === "warn" || level === "error" ? log(message, level) : undefined,
            }),
        ...(this.#options.onProgress === undefined ? {} : { onProgress: this.#options.onProgress }),
        ...(network === undefined ? {} : { fetch: this.#guardedFetch() }),
      });
      return { connection };
    } catch (error) {
      const message = errorMessage(error);
      log?.(message, "error");
      return { failure: { server: spec.name, message }, at: this.#now() };
    }
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }
}

async function closeEntry(entry: Entry): Promise<void> {
  const outcome = await entry.outcome;
  if ("connection" in outcome) await outcome.connection.close();
}
