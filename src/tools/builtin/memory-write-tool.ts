import { z } from "zod";
import type { Scope } from "../../core/scope.js";
import {
  LONG_TERM_DOCUMENT,
  type MemorySection,
  type MemoryStore,
} from "../../services/memory/memory-store.js";
import { defineTool } from "../define-tool.js";
import type { Tool } from "../tool.js";

/** The `section` values the model uses, mapped to the day file's section headings. */
const SECTIONS: Record<"decision" | "preference" | "fact", MemorySection> = {
  decision: "Decisions Made",
  preference: "Preferences Learned",
  fact: "Facts Stored",
};

/** Longest note accepted, in characters. */
const MAX_NOTE_CHARS = 2000;

const MemoryWriteInput = z.object({
  text: z
    .string()
    .trim()
    .min(1, "text must not be empty")
    .max(MAX_NOTE_CHARS, `text must be at most ${MAX_NOTE_CHARS} characters; keep notes to one fact`)
    .describe("The note: one self-contained sentence (newlines are folded into spaces)."),
  section: z
    .enum(["decision", "preference", "fact"])
    .describe(
      "decision: something decided; preference: something the user likes or wants; fact: anything else worth keeping.",
    ),
  long_term: z
    .boolean()
    .optional()
    .describe(
      "true to add the note to the curated long-term memory (MEMORY) instead of today's notes. Default false.",
    ),
});

/** Input of `memory_write`, as validated. */
export type MemoryWriteInput = z.output<typeof MemoryWriteInput>;

/** Dependencies of {@link createMemoryWriteTool}. */
export interface MemoryWriteToolOptions {
  memory: MemoryStore;
  /** Clock for "today" (UTC `YYYY-MM-DD`). @default () => new Date() */
  now?: () => Date;
  /** Pins the scope written to; when absent the call's `ToolContext.scope` is used. */
  scope?: Scope;
}

/**
 * The `memory_write` built-in: `{ text, section: "decision"|"preference"|"fact", long_term? }`.
 * Without `long_term` it adds a bullet under the section's heading of today's day file (UTC date from
 * `now`); with `long_term: true` it appends `- text` to the `MEMORY` document (read, then write; created
 * as `# Memory` when absent; a blank line separates the bullet from preceding prose). Output: a one-line
 * confirmation; details `{ document, section }`.
 */
export function createMemoryWriteTool(options: MemoryWriteToolOptions): Tool {
  const now = options.now ?? (() => new Date());
  return defineTool({
    name: "memory_write",
    description:
      "Save one note to your memory so you remember it in later conversations. Use for decisions, user preferences and facts worth keeping; set long_term for things that stay true.",
    input: MemoryWriteInput,
    async run(input, context) {
      const scope = options.scope ?? context.scope;
      const text = input.text.replace(/\s+/g, " ");
      const section = SECTIONS[input.section];
      if (input.long_term === true) {
        const existing = await options.memory.read(scope, LONG_TERM_DOCUMENT);
        await options.memory.write(scope, LONG_TERM_DOCUMENT, appendBullet(existing, text));
        return {
          content: `Saved to long-term memory (${LONG_TERM_DOCUMENT}).`,
          details: { document: LONG_TERM_DOCUMENT, section },
        };
      }
      const day = now().toISOString().slice(0, 10);
      await options.memory.add(scope, { day, section, text });
      return { content: `Saved to ${day} under "${section}".`, details: { document: day, section } };
    },
  });
}

/** `markdown` with `- text` appended as a list item; a new document starts with `# Memory`. */
function appendBullet(markdown: string | undefined, text: string): string {
  const body = (markdown ?? "").replace(/\s+$/, "");
  if (body === "") return `# Memory\n\n- ${text}\n`;
  const lastLine = body.slice(body.lastIndexOf("\n") + 1);
  const joiner = /^[ \t]*[-*+][ \t]/.test(lastLine) ? "\n" : "\n\n";
  return `${body}${joiner}- ${text}\n`;
}
