import type pg from "pg";
import { PlutoError } from "../../core/errors.js";
import { assertSafeName } from "../../core/names.js";
import type { Scope } from "../../core/scope.js";
import { addBullet, renderEmptyDay } from "../memory/day-note.js";
import {
  assertMemoryDocument,
  checkMarkdown,
  checkMemoryNote,
  checkSearchLimit,
  sortDocuments,
} from "../memory/memory-document.js";
import { queryTerms } from "../memory/memory-search.js";
import {
  LONG_TERM_DOCUMENT,
  type MemoryDocument,
  type MemoryHit,
  type MemoryNote,
  type MemoryStore,
} from "../memory/memory-store.js";
import { postgresError } from "./postgres-errors.js";
import { DEFAULT_POSTGRES_SCHEMA, quoteSchema } from "./postgres-schema.js";
import { withTransaction } from "./postgres-transaction.js";

/** Options for {@link PostgresMemoryStore}. */
export interface PostgresMemoryStoreOptions {
  /** A shared pool (from `PostgresPools.get(url)`); the store never ends it. */
  pool: pg.Pool;
  /** Schema holding the tables created by `migratePostgres`. @default "pluto" */
  schema?: string;
}

/** Only the first this many distinct query terms count, so a hostile query cannot build a huge tsquery. */
export const MAX_SEARCH_TERMS = 64;

/** The non-blank lines of a document with their 1-based numbers (the rows of `memory_lines`). */
function searchableLines(markdown: string): { numbers: number[]; texts: string[] } {
  const numbers: number[] = [];
  const texts: string[] = [];
  markdown.split(/\r?\n/).forEach((text, index) => {
    if (text.trim() === "") return;
    numbers.push(index + 1);
    texts.push(text);
  });
  return { numbers, texts };
}

/** PostgreSQL text cannot hold NUL; refuse it up front instead of failing inside the transaction. */
function checkNoNul(markdown: string): string {
  if (markdown.includes("\u0000")) {
    throw new PlutoError(
      "BAD_REQUEST",
      "Memory documents cannot contain NUL (\\u0000) characters in the PostgreSQL backend; remove them.",
    );
  }
  return markdown;
}

/**
 * A {@link MemoryStore} in PostgreSQL (tables `memory_documents` and `memory_lines`, migration 0001).
 *
 * `memory_documents.markdown` is the source of truth, in the same day format as the filesystem backend
 * (notes are added with `day-note.ts`), and `read` returns it byte for byte. `memory_lines` holds the
 * document's non-blank lines with a generated `to_tsvector('simple', text)` column under a GIN index; it is
 * rewritten in the same transaction as the document, so search never sees a half-updated document.
 * `add` locks the document row (`SELECT … FOR UPDATE`), so concurrent adds to one day keep every note.
 *
 * Search: the query's terms (the shared `queryTerms`: lower-cased runs of letters and digits, at most
 * {@link MAX_SEARCH_TERMS}) are OR-ed; a line matches when one of its words equals a term or starts with
 * it. Score = `ts_rank(exact terms) + 0.5 × ts_rank(prefix terms)`, so whole words outrank prefixes and
 * more matched terms outrank fewer. Ties go to `MEMORY`, then later days, then later lines.
 */
export class PostgresMemoryStore implements MemoryStore {
  readonly #pool: pg.Pool;
  readonly #schema: string;
  readonly #documents: string;
  readonly #lines: string;

  /** @throws PlutoError `CONFIG_INVALID` for a bad schema name. */
  constructor(options: PostgresMemoryStoreOptions) {
    this.#pool = options.pool;
    this.#schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
    const schema = quoteSchema(this.#schema);
    this.#documents = `${schema}.memory_documents`;
    this.#lines = `${schema}.memory_lines`;
  }

  async #run<T>(action: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw postgresError(error, action, this.#schema);
    }
  }

  /** Replaces the derived lines of one document (inside the caller's transaction). */
  async #rewriteLines(
    client: pg.PoolClient,
    scope: Scope,
    document: string,
    markdown: string,
  ): Promise<void> {
    await client.query(`DELETE FROM ${this.#lines} WHERE tenant = $1 AND agent = $2 AND document = $3`, [
      scope.tenant,
      scope.agent,
      document,
    ]);
    const { numbers, texts } = searchableLines(markdown);
    if (numbers.length === 0) return;
    await client.query(
      `INSERT INTO ${this.#lines} (tenant, agent, document, line, text)
       SELECT $1, $2, $3, l.line, l.text FROM unnest($4::integer[], $5::text[]) AS l(line, text)`,
      [scope.tenant, scope.agent, document, numbers, texts],
    );
  }

  /** See {@link MemoryStore.add}. */
  async add(scope: Scope, note: MemoryNote): Promise<void> {
    const checkedScope = checkScope(scope);
    const { day, section, text } = checkMemoryNote(note);
    checkNoNul(text);
    const key = [checkedScope.tenant, checkedScope.agent, day];
    await this.#run(`adding a note to memory document "${day}"`, () =>
      withTransaction(this.#pool, async (client) => {
        await client.query(
          `INSERT INTO ${this.#documents} (tenant, agent, document, markdown) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant, agent, document) DO NOTHING`,
          [...key, renderEmptyDay(day)],
        );
        const current = await client.query<{ markdown: string }>(
          `SELECT markdown FROM ${this.#documents} WHERE tenant = $1 AND agent = $2 AND document = $3 FOR UPDATE`,
          key,
        );
        const markdown = addBullet(current.rows[0]?.markdown, day, section, text);
        await client.query(
          `UPDATE ${this.#documents} SET markdown = $4, updated_at = now()
           WHERE tenant = $1 AND agent = $2 AND document = $3`,
          [...key, markdown],
        );
        await this.#rewriteLines(client, checkedScope, day, markdown);
      }),
    );
  }

  /** See {@link MemoryStore.read}. */
  async read(scope: Scope, document: MemoryDocument): Promise<string | undefined> {
    const checkedScope = checkScope(scope);
    const name = assertMemoryDocument(document);
    const result = await this.#run(`reading memory document "${name}"`, () =>
      this.#pool.query<{ markdown: string }>(
        `SELECT markdown FROM ${this.#documents} WHERE tenant = $1 AND agent = $2 AND document = $3`,
        [checkedScope.tenant, checkedScope.agent, name],
      ),
    );
    return result.rows[0]?.markdown;
  }

  /** See {@link MemoryStore.write}. Also rejects Markdown containing NUL with `BAD_REQUEST`. */
  async write(scope: Scope, document: MemoryDocument, markdown: string): Promise<void> {
    const checkedScope = checkScope(scope);
    const name = assertMemoryDocument(document);
    checkNoNul(checkMarkdown(markdown));
    await this.#run(`writing memory document "${name}"`, () =>
      withTransaction(this.#pool, async (client) => {
        await client.query(
          `INSERT INTO ${this.#documents} (tenant, agent, document, markdown) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant, agent, document) DO UPDATE SET markdown = EXCLUDED.markdown, updated_at = now()`,
          [checkedScope.tenant, checkedScope.agent, name, markdown],
        );
        await this.#rewriteLines(client, checkedScope, name, markdown);
      }),
    );
  }

  /** See {@link MemoryStore.list}. */
  async list(scope: Scope): Promise<MemoryDocument[]> {
    const checkedScope = checkScope(scope);
    const result = await this.#run(`listing memory of agent "${checkedScope.agent}"`, () =>
      this.#pool.query<{ document: string }>(
        `SELECT document FROM ${this.#documents} WHERE tenant = $1 AND agent = $2`,
        [checkedScope.tenant, checkedScope.agent],
      ),
    );
    return sortDocuments(result.rows.map((row) => row.document));
  }

  /** See {@link MemoryStore.search}; ranking described on the class. */
  async search(scope: Scope, query: string, options?: { limit?: number }): Promise<MemoryHit[]> {
    const checkedScope = checkScope(scope);
    const limit = checkSearchLimit(options?.limit);
    const terms = queryTerms(query).slice(0, MAX_SEARCH_TERMS);
    if (terms.length === 0) return [];
    // Terms hold only letters and digits, so quoting them as tsquery lexemes is safe.
    const exact = terms.map((term) => `'${term}'`).join(" | ");
    const prefix = terms.map((term) => `'${term}':*`).join(" | ");
    const result = await this.#run(`searching memory of agent "${checkedScope.agent}"`, () =>
      this.#pool.query<{ document: string; line: number; text: string; score: number }>(
        `SELECT document, line, text,
           ts_rank(tsv, to_tsquery('simple', $3)) + 0.5 * ts_rank(tsv, to_tsquery('simple', $4)) AS score
         FROM ${this.#lines}
         WHERE tenant = $1 AND agent = $2 AND tsv @@ to_tsquery('simple', $4)
         ORDER BY score DESC, document = $6 DESC, document COLLATE "C" DESC, line DESC
         LIMIT $5`,
        [checkedScope.tenant, checkedScope.agent, exact, prefix, limit, LONG_TERM_DOCUMENT],
      ),
    );
    return result.rows.map(({ document, line, text, score }) => ({ document, line, text, score }));
  }

  /** Nothing to release: the pool belongs to the caller (`PostgresPools.close()`). */
  async close(): Promise<void> {}
}

/** Validates a scope. @returns a plain copy. @throws PlutoError `INVALID_NAME`. */
function checkScope(scope: Scope): Scope {
  return { tenant: assertSafeName("tenant", scope?.tenant), agent: assertSafeName("agent", scope?.agent) };
}
