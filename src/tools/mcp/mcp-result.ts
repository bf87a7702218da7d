import type { ContentBlock } from "@modelcontextprotocol/sdk/types.js";
import type { ToolOutput } from "../tool.js";

/** What `Client.callTool` resolves to: a `CallToolResult`, or the 2024-10-07 `{ toolResult }` shape. */
export interface McpCallResult {
  content?: ContentBlock[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  toolResult?: unknown;
  [key: string]: unknown;
}

/** Structured part of an MCP tool's {@link ToolOutput} (`details`). */
export interface McpToolDetails {
  server: string;
  /** The tool's own name on the server. */
  tool: string;
  /** The raw MCP content blocks, unchanged (images keep their base64 `data`). */
  content: ContentBlock[];
  structuredContent?: Record<string, unknown>;
  /** Progress notifications received during the call, when any. */
  progress?: { notifications: number; progress: number; total?: number; message?: string };
}

/**
 * Turns an MCP `tools/call` result (MCP spec 2025-06-18, "Tool Result") into a {@link ToolOutput}.
 * Text blocks are joined with blank lines into `content`; other blocks are summarised in brackets:
 * `[image image/png 1234 bytes]`, `[audio audio/wav 99 bytes]`, `[resource link NAME URI]`,
 * `[resource URI MIME N bytes]` (an embedded text resource contributes its text after its header).
 * When there is no text at all but `structuredContent` exists, its JSON is the content.
 * `isError: true` is carried over so the model sees a tool error.
 */
export function mcpResultToToolOutput(
  result: McpCallResult,
  source: { server: string; tool: string; progress?: McpToolDetails["progress"] },
): ToolOutput {
  const blocks = Array.isArray(result.content) ? result.content : [];
  const parts = blocks.map(describeBlock);
  if (blocks.length === 0 && result.toolResult !== undefined) parts.push(stringify(result.toolResult));
  if (parts.length === 0 && result.structuredContent !== undefined)
    parts.push(stringify(result.structuredContent));
  const details: McpToolDetails = { server: source.server, tool: source.tool, content: blocks };
  if (result.structuredContent !== undefined) details.structuredContent = result.structuredContent;
  if (source.progress !== undefined) details.progress = source.progress;
  const content = parts.length === 0 ? "(no output)" : parts.join("\n\n");
  return result.isError === true ? { content, details, isError: true } : { content, details };
}

function describeBlock(block: ContentBlock): string {
  switch (block.type) {
    case "text":
      return block.text;
    case "image":
    case "audio":
      return `[${block.type} ${block.mimeType} ${base64Bytes(block.data)} bytes]`;
    case "resource_link":
      return `[resource link ${block.name} ${block.uri}${block.mimeType === undefined ? "" : ` ${block.mimeType}`}]`;
    case "resource": {
      const resource = block.resource;
      const mime = resource.mimeType ?? "application/octet-stream";
      if ("text" in resource && typeof resource.text === "string") {
        return `[resource ${resource.uri} ${mime} ${Buffer.byteLength(resource.text)} bytes]\n${resource.text}`;
      }
      const blob = "blob" in resource && typeof resource.blob === "string" ? resource.blob : "";
      return `[resource ${resource.uri} ${mime} ${base64Bytes(blob)} bytes]`;
    }
    default:
      return `[${String((block as { type?: unknown }).type)} content]`;
  }
}

/** Decoded size of a base64 string, in bytes. */
function base64Bytes(data: string): number {
  const clean = data.replace(/\s/g, "");
  const padding = clean.endsWith("==") ? 2 : clean.endsWith("=") ? 1 : 0;
  return Math.max(0, Math.floor((clean.length * 3) / 4) - padding);
}

function stringify(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}
