import { assertSafeName } from "../../core/names.js";
import type { Scope } from "../../core/scope.js";
import { addBullet } from "./day-note.js";
import {
  assertMemoryDocument,
  checkMarkdown,
  checkMemoryNote,
  checkSearchLimit,
  sortDocuments,
} from "./memory-document.js";
import { searchDocuments } from "./memory-search.js";
import type { MemoryDocument, MemoryHit, MemoryNote, MemoryStore } from "./memory-store.js";

/** Validates a scope and returns its map key. @throws PlutoError `INVALID_NAME`. */
function scopeKey(scope: Scope): string {
  return `${assertSafeName("tenant", scope?.tenant)}/${assertSafeName("agent", scope?.agent)}`;
}

/**
 * A {@link MemoryStore} in process memory: the test backend and `backend: memory`. Holds the same
 * Markdown the filesystem store writes (same day format, same search), nothing survives the process.
 */
export class InMemoryMemoryStore implements MemoryStore {
  /** scope key → document name → Markdown. */
  readonly #scopes = new Map<string, Map<MemoryDocument, string>>();

  #documents(scope: Scope): Map<MemoryDocument, string> {
    const key = scopeKey(scope);
    let documents = this.#scopes.get(key);
    if (documents === undefined) {
      documents = new Map();
      this.#scopes.set(key, documents);
    }
    return documents;
  }

  /** See {@link MemoryStore.add}. */
  async add(scope: Scope, note: MemoryNote): Promise<void> {
    const documents = this.#documents(scope);
    const { day, section, text } = checkMemoryNote(note);
    documents.set(day, addBullet(documents.get(day), day, section, text));
  }

  /** See {@link MemoryStore.read}. */
  async read(scope: Scope, document: MemoryDocument): Promise<string | undefined> {
    const documents = this.#documents(scope);
    return documents.get(assertMemoryDocument(document));
  }

  /** See {@link MemoryStore.write}. */
  async write(scope: Scope, document: MemoryDocument, markdown: string): Promise<void> {
    const documents = this.#documents(scope);
    documents.set(assertMemoryDocument(document), checkMarkdown(markdown));
  }

  /** See {@link MemoryStore.list}. */
  async list(scope: Scope): Promise<MemoryDocument[]> {
    return sortDocuments(this.#documents(scope).keys());
  }

  /** See {@link MemoryStore.search}; ranking rules in `memory-search.ts`. */
  async search(scope: Scope, query: string, options?: { limit?: number }): Promise<MemoryHit[]> {
    const documents = this.#documents(scope);
    const limit = checkSearchLimit(options?.limit);
    const all = [...documents].map(([document, markdown]) => ({ document, markdown }));
    return searchDocuments(all, query, limit);
  }
}
