import path from "node:path";
import { z } from "zod";

/**
 * The shape of one MCP server as written in YAML, shared by an agent's `spec.tools.mcp` entries and the
 * operator's catalogue (`mcp_servers:` in pluto.yaml), and its resolved camelCase form. The MCP transports
 * themselves are described in docs/tools.md.
 */

/** An MCP server started over stdio (`command`, `args`, `env`, `cwd`). */
export interface McpStdioServerSpec {
  name: string;
  transport: "stdio";
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Absolute working directory (relative paths resolve against the agent folder or pluto.yaml's folder). */
  cwd?: string;
  /** Per-request timeout in milliseconds; reset on progress notifications. */
  timeoutMs: number;
}

/** An MCP server over Streamable HTTP, falling back to the legacy SSE transport. */
export interface McpHttpServerSpec {
  name: string;
  transport: "http";
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

/** A server Pluto can connect to. */
export type McpServerSpec = McpStdioServerSpec | McpHttpServerSpec;

const stringMap = (description: string) => z.record(z.string().min(1), z.string()).meta({ description });

/** The keys of one MCP server, without its name (strict objects are built from these). */
export const mcpServerFields = {
  command: z
    .string()
    .min(1)
    .optional()
    .meta({ description: "stdio server: the program to start (looked up on PATH)." }),
  args: z
    .array(z.string())
    .optional()
    .meta({ description: "stdio server: command-line arguments. Default []." }),
  env: stringMap(
    "stdio server: extra environment variables (string values; quote numbers). Default {}.",
  ).optional(),
  cwd: z.string().min(1).optional().meta({
    description:
      "stdio server: working directory; relative paths resolve against the agent folder (agents written through the admin API: must stay inside it).",
  }),
  url: z
    .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
    .optional()
    .meta({ description: "HTTP server: Streamable HTTP endpoint (falls back to legacy SSE)." }),
  headers: stringMap("HTTP server: extra request headers (string values). Default {}.").optional(),
  timeout_seconds: z.number().positive().max(3600).default(60).meta({
    description: "Per-request timeout in seconds, reset on progress notifications. Default 60, max 3600.",
  }),
};

/** One MCP server as written (after defaults). */
export interface McpServerEntry {
  command?: string | undefined;
  args?: string[] | undefined;
  env?: Record<string, string> | undefined;
  cwd?: string | undefined;
  url?: string | undefined;
  headers?: Record<string, string> | undefined;
  timeout_seconds: number;
}

/**
 * The refinement both schemas share: exactly one of `command` (stdio), `url` (HTTP) or, where `kinds`
 * includes it, `server` (a catalogue reference, which takes no other key but `name`); keys of the other
 * transport are reported one by one. Each issue carries a `fix`.
 */
export function checkMcpServerKinds(kinds: readonly ("command" | "url" | "server")[]) {
  return (server: Record<string, unknown>, context: z.RefinementCtx): void => {
    if (server === null || typeof server !== "object") return;
    const present = kinds.filter((kind) => server[kind] !== undefined);
    if (present.length !== 1) {
      context.addIssue({
        code: "custom",
        message:
          present.length === 0
            ? `needs either "command" or "url"${kinds.includes("server") ? ', or "server" naming an entry of mcp_servers in pluto.yaml' : ""}`
            : `has both ${present.map((kind) => `"${kind}"`).join(" and ")}`,
        params: {
          fix: `${present.length === 0 ? "Add" : "Keep"} "command" for a local stdio server or "url" for an HTTP server${kinds.includes("server") ? ', or "server" for one from mcp_servers in pluto.yaml' : ""}${present.length === 0 ? "." : ", not both."}`,
        },
      });
      return;
    }
    const kind = present[0];
    const allowed: Record<string, readonly string[]> = {
      command: ["command", "args", "env", "cwd"],
      url: ["url", "headers"],
      server: ["server"],
    };
    // timeout_seconds is not checked: its default fills it in before this runs; a reference ignores it.
    for (const key of ["command", "args", "env", "cwd", "url", "headers", "server"]) {
      if (server[key] === undefined || kind === undefined || allowed[kind]?.includes(key)) continue;
      context.addIssue({
        code: "custom",
        path: [key],
        message:
          kind === "server"
            ? 'does not apply to a catalogue server (with "server"); pluto.yaml sets it'
            : kind === "url"
              ? 'applies only to stdio servers (with "command")'
              : 'applies only to HTTP servers (with "url")',
        params: { fix: `Remove "${key}".` },
      });
    }
  };
}

/**
 * Resolves one written server into a {@link McpServerSpec}: `timeout_seconds` becomes `timeoutMs`, a
 * relative `cwd` resolves against `baseDirectory`. The entry must have passed {@link checkMcpServerKinds}
 * with `command` or `url`.
 */
export function toMcpServerSpec(name: string, entry: McpServerEntry, baseDirectory: string): McpServerSpec {
  const timeoutMs = Math.round(entry.timeout_seconds * 1000);
  if (entry.url !== undefined) {
    return { name, transport: "http", url: entry.url, headers: { ...entry.headers }, timeoutMs };
  }
  const stdio: McpStdioServerSpec = {
    name,
    transport: "stdio",
    command: entry.command ?? "",
    args: [...(entry.args ?? [])],
    env: { ...entry.env },
    timeoutMs,
  };
  if (entry.cwd !== undefined) stdio.cwd = path.resolve(baseDirectory, entry.cwd);
  return stdio;
}
