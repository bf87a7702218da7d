import { PlutoError } from "../../core/errors.js";
import { LONG_TERM_DOCUMENT, MEMORY_SECTIONS, type MemoryDocument, type MemoryNote } from "./memory-store.js";

/**
 * Name rules for memory documents, shared by every {@link MemoryStore} backend: a real calendar day
 * `YYYY-MM-DD` or `MEMORY` (DESIGN.md, State layout).
 */

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True when `day` is `YYYY-MM-DD` and names a real date (no 2026-02-30). */
export function isDay(day: string): boolean {
  const match = typeof day === "string" ? DAY.exec(day) : null;
  if (match === null) return false;
  const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const parsed = new Date(Date.UTC(year, month - 1, date));
  return (
    parsed.getUTCFullYear() === year && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === date
  );
}

/**
 * Validates a memory document name.
 * @returns the name unchanged.
 * @throws PlutoError `INVALID_NAME` unless it is a real `YYYY-MM-DD` day or `MEMORY`.
 */
export function assertMemoryDocument(document: MemoryDocument): MemoryDocument {
  if (document === LONG_TERM_DOCUMENT || isDay(document)) return document;
  throw new PlutoError(
    "INVALID_NAME",
    `Invalid memory document name ${JSON.stringify(String(document).slice(0, 80))}: use a real day as YYYY-MM-DD (e.g. 2026-11-22) or ${LONG_TERM_DOCUMENT}.`,
    { details: { kind: "memory document", name: String(document).slice(0, 200) } },
  );
}

/**
 * Validates a note and folds its text to one line (newlines and runs of whitespace become one space).
 * @returns the note with folded text.
 * @throws PlutoError `INVALID_NAME` for a bad day; `BAD_REQUEST` for an unknown section or blank text.
 */
export function checkMemoryNote(note: MemoryNote): MemoryNote {
  if (!isDay(note?.day)) assertMemoryDocument(note?.day);
  if (!MEMORY_SECTIONS.includes(note.section)) {
    throw new PlutoError(
      "BAD_REQUEST",
      `Unknown memory section ${JSON.stringify(note.section)}; use one of: ${MEMORY_SECTIONS.join(", ")}.`,
    );
  }
  const text = typeof note.text === "string" ? note.text.replace(/\s+/g, " ").trim() : "";
  if (text === "") throw new PlutoError("BAD_REQUEST", "A memory note needs non-blank text.");
  return { day: note.day, section: note.section, text };
}

/** Sorts document names as {@link MemoryStore.list} promises: days ascending, then `MEMORY`. */
export function sortDocuments(documents: Iterable<MemoryDocument>): MemoryDocument[] {
  const all = [...documents];
  const days = all.filter((document) => document !== LONG_TERM_DOCUMENT).sort();
  return all.includes(LONG_TERM_DOCUMENT) ? [...days, LONG_TERM_DOCUMENT] : days;
}

/**
 * Validates and normalises a search limit. @default 10. @throws PlutoError `BAD_REQUEST` unless 1-1000.
 */
export function checkSearchLimit(limit: number | undefined): number {
  if (limit === undefined) return 10;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
    throw new PlutoError(
      "BAD_REQUEST",
      `Search limit must be an integer from 1 to 1000, got ${JSON.stringify(limit)}.`,
    );
  }
  return limit;
}

/** Checks a document body. @returns `markdown`. @throws PlutoError `BAD_REQUEST` unless it is a string. */
export function checkMarkdown(markdown: string): string {
  if (typeof markdown !== "string")
    throw new PlutoError("BAD_REQUEST", "Memory documents are Markdown strings.");
  return markdown;
}
