import type { Scope } from "../../core/scope.js";

/** The three sections of a daily note, in the seed's format (DESIGN.md, State layout). */
export type MemorySection = "Decisions Made" | "Preferences Learned" | "Facts Stored";

/** The sections in the order they appear in a day file. */
export const MEMORY_SECTIONS: readonly MemorySection[] = [
  "Decisions Made",
  "Preferences Learned",
  "Facts Stored",
];

/** Name of the curated long-term memory document. */
export const LONG_TERM_DOCUMENT = "MEMORY";

/**
 * A memory document name: a day (`YYYY-MM-DD`, stored as `YYYY-MM-DD.md`) or `MEMORY` (`MEMORY.md`).
 */
export type MemoryDocument = string;

/** One note to add to a day's file. */
export interface MemoryNote {
  /** Day in `YYYY-MM-DD` (UTC unless the caller chooses otherwise). */
  day: string;
  section: MemorySection;
  /** One bullet's text; newlines are folded into spaces. */
  text: string;
}

/** A search hit: the document, the 1-based line within its Markdown, the line's text and a rank score (higher is better). */
export interface MemoryHit {
  document: MemoryDocument;
  line: number;
  text: string;
  score: number;
}

/**
 * Daily Markdown notes plus `MEMORY.md` per agent (DESIGN.md, Services: put, query, export).
 * Markdown is the source of truth and the export format in every backend.
 */
export interface MemoryStore {
  /** Appends `note` as a bullet under its section of the day's file, creating the file in the day format. */
  add(scope: Scope, note: MemoryNote): Promise<void>;

  /** The whole Markdown of a document, or `undefined` when it does not exist. */
  read(scope: Scope, document: MemoryDocument): Promise<string | undefined>;

  /** Replaces a document's Markdown atomically (used for `MEMORY.md` and imports). */
  write(scope: Scope, document: MemoryDocument, markdown: string): Promise<void>;

  /** Documents of a scope, sorted by name (days ascending, then `MEMORY`). */
  list(scope: Scope): Promise<MemoryDocument[]>;

  /** Ranked hits for a free-text query; `[]` for a blank query. @param options.limit default 10. */
  search(scope: Scope, query: string, options?: { limit?: number }): Promise<MemoryHit[]>;

  /** Releases resources. */
  close?(): Promise<void>;
}
