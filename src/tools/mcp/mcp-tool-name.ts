import { createHash } from "node:crypto";

/** Longest tool name Pluto gives the model (OpenAI's and Anthropic's limit). */
export const MAX_TOOL_NAME_LENGTH = 64;

/** Separator between the server's name and the tool's own name. */
export const MCP_TOOL_NAME_SEPARATOR = "__";

/**
 * The name the model sees for tool `tool` of MCP server `server`: `<server>__<tool>`, with every
 * character outside `[A-Za-z0-9_-]` replaced by `_`. Names longer than 64 characters are cut to 55
 * characters plus `_` and the first 8 hex digits of the SHA-256 of the unsanitised `server__tool`, so
 * long names stay distinct and stable across restarts.
 * Example: server `files`, tool `read.text file` → `files__read_text_file`.
 */
export function mcpToolName(server: string, tool: string): string {
  const name = sanitizeToolName(`${server}${MCP_TOOL_NAME_SEPARATOR}${tool}`);
  if (name.length <= MAX_TOOL_NAME_LENGTH) return name;
  const hash = createHash("sha256")
    .update(`${server}${MCP_TOOL_NAME_SEPARATOR}${tool}`)
    .digest("hex")
    .slice(0, 8);
  return `${name.slice(0, MAX_TOOL_NAME_LENGTH - hash.length - 1)}_${hash}`;
}

/** Replaces every character outside `[A-Za-z0-9_-]` with `_`. */
export function sanitizeToolName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "_");
}
