import { z } from "zod";
import type { Scope } from "../../core/scope.js";
import type { MemoryStore } from "../../services/memory/memory-store.js";
import { defineTool } from "../define-tool.js";
import type { Tool } from "../tool.js";

/** Most hits one call may ask for. */
const MAX_LIMIT = 50;

const MemorySearchInput = z.object({
  query: z
    .string()
    .trim()
    .min(1, "query must not be empty")
    .max(500, "query must be at most 500 characters")
    .describe("Words to look for in your notes and long-term memory."),
  limit: z
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .optional()
    .describe(`How many hits to return, best first (1-${MAX_LIMIT}). Default 10.`),
});

/** Dependencies of {@link createMemorySearchTool}. */
export interface MemorySearchToolOptions {
  memory: MemoryStore;
  /** Pins the scope searched; when absent the call's `ToolContext.scope` is used. */
  scope?: Scope;
}

/**
 * The `memory_search` built-in: `{ query, limit? (1-50, default 10) }`. The model sees one hit per line,
 * `DOCUMENT:LINE: text` (document is a day `YYYY-MM-DD` or `MEMORY`, line is 1-based), best first, or a
 * "no matches" line; `details.hits` holds the store's {@link MemoryHit}s with their scores.
 */
export function createMemorySearchTool(options: MemorySearchToolOptions): Tool {
  return defineTool({
    name: "memory_search",
    description:
      "Search your memory (daily notes and long-term memory) for a query. Returns matching lines as DOCUMENT:LINE: text, best first.",
    input: MemorySearchInput,
    async run(input, context) {
      const scope = options.scope ?? context.scope;
      const hits = await options.memory.search(scope, input.query, { limit: input.limit ?? 10 });
      if (hits.length === 0) {
        return { content: `No memory matches ${JSON.stringify(input.query)}.`, details: { hits } };
      }
      const lines = hits.map((hit) => `${hit.document}:${hit.line}: ${hit.text.trim()}`);
      return { content: lines.join("\n"), details: { hits } };
    },
  });
}
