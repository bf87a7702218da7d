import { LONG_TERM_DOCUMENT, type MemoryDocument, type MemoryHit } from "./memory-store.js";

/**
 * The simple ranked term search both memory backends use until a search index arrives.
 *
 * - The query is split into terms: lower-cased runs of Unicode letters and digits, deduplicated.
 * - Every non-blank line of every document is a candidate; a line matches a term when its lower-cased
 *   text contains it. Each matched term adds its weight `1 + ln(1 + lines / linesContainingTerm)`
 *   (rarer terms count more); a whole-word match counts in full, a match inside a word counts half.
 * - Ties go to the more recent line: `MEMORY` first, then later days, then later lines in a document.
 */

/** One document to search: its name and whole Markdown. */
export interface SearchableDocument {
  document: MemoryDocument;
  markdown: string;
}

/** Lower-cased, deduplicated terms of a query; `[]` when it has no letters or digits. */
export function queryTerms(query: string): string[] {
  const terms = String(query ?? "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((term) => term !== "");
  return [...new Set(terms)];
}

/** Recency rank of a document: `MEMORY` above all days, later days above earlier ones. */
function documentRecency(document: MemoryDocument): string {
  return document === LONG_TERM_DOCUMENT ? "9999-99-99" : document;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Ranks the lines of `documents` against `query`.
 * @returns at most `limit` hits, best first; `[]` for a blank query or no match.
 */
export function searchDocuments(documents: SearchableDocument[], query: string, limit: number): MemoryHit[] {
  const terms = queryTerms(query);
  if (terms.length === 0) return [];
  const lines: { document: MemoryDocument; line: number; text: string; lower: string }[] = [];
  for (const { document, markdown } of documents) {
    markdown.split(/\r?\n/).forEach((text, index) => {
      if (text.trim() !== "") lines.push({ document, line: index + 1, text, lower: text.toLowerCase() });
    });
  }
  const weights = terms.map((term) => {
    const containing = lines.filter((line) => line.lower.includes(term)).length;
    return containing === 0 ? 0 : 1 + Math.log(1 + lines.length / containing);
  });
  const wholeWords = terms.map(
    (term) => new RegExp(`(^|[^\\p{L}\\p{N}])${escapeRegExp(term)}($|[^\\p{L}\\p{N}])`, "u"),
  );

  const hits: MemoryHit[] = [];
  for (const line of lines) {
    let score = 0;
    terms.forEach((term, index) => {
      if (!line.lower.includes(term)) return;
      score += (weights[index] ?? 0) * (wholeWords[index]?.test(line.lower) ? 1 : 0.5);
    });
    if (score > 0) hits.push({ document: line.document, line: line.line, text: line.text, score });
  }
  hits.sort(
    (a, b) =>
      b.score - a.score ||
      documentRecency(b.document).localeCompare(documentRecency(a.document)) ||
      b.line - a.line,
  );
  return hits.slice(0, limit);
}
