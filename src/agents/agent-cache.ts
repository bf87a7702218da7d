import type { LoadAgentResult } from "./load-agent.js";

/** Options for {@link AgentCache}. */
export interface AgentCacheOptions {
  /** Loaded agents kept in memory across every catalog sharing the cache; at least 1. @default 1000 */
  maxEntries?: number;
  /**
   * Estimated bytes of the kept agents (see {@link estimateAgentBytes}); at least 1. An agent larger than
   * this on its own is served but never kept. @default 67108864 (64 MiB)
   */
  maxBytes?: number;
}

/** One cached load of an agent folder. */
export interface CachedAgent {
  result: LoadAgentResult;
  /** Stamps of every file the load looked at (see `AgentCatalog`); `["volatile"]` forces a reload. */
  stamps: string[];
  /** Estimated size in bytes ({@link estimateAgentBytes}). */
  bytes: number;
}

/** Counters of an {@link AgentCache} since it was created. */
export interface AgentCacheStats {
  /** Agents kept now. */
  entries: number;
  /** Estimated bytes kept now. */
  bytes: number;
  /** Entries dropped to stay within `maxEntries` or `maxBytes`. */
  evictions: number;
  /** Entries dropped because their files changed or `invalidate` was called. */
  invalidations: number;
}

/** Default of {@link AgentCacheOptions.maxEntries}. */
export const DEFAULT_MAX_CACHED_AGENTS = 1000;
/** Default of {@link AgentCacheOptions.maxBytes}: 64 MiB. */
export const DEFAULT_MAX_CACHED_AGENT_BYTES = 64 * 1024 * 1024;

/**
 * A least-recently-used cache of loaded agents bounded by count and by estimated bytes, shared by the
 * catalogs of every tenant (`TenantAgents` owns one), so an instance with thousands of tenants and agents
 * keeps one memory budget. Keys are absolute agent folders, which never collide across tenants.
 * Recency is a `Map`'s insertion order: `get` moves an entry to the end, eviction takes from the front.
 */
export class AgentCache {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly #entries = new Map<string, CachedAgent>();
  #bytes = 0;
  #evictions = 0;
  #invalidations = 0;

  constructor(options: AgentCacheOptions = {}) {
    this.maxEntries = Math.max(1, Math.floor(options.maxEntries ?? DEFAULT_MAX_CACHED_AGENTS));
    this.maxBytes = Math.max(1, Math.floor(options.maxBytes ?? DEFAULT_MAX_CACHED_AGENT_BYTES));
  }

  /** The entry for `key`, marked most recently used; undefined when absent. */
  get(key: string): CachedAgent | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  /** The entry for `key` without changing its recency. */
  peek(key: string): CachedAgent | undefined {
    return this.#entries.get(key);
  }

  /**
   * Stores `entry` as the most recently used, then drops the least recently used entries until both
   * bounds hold. @returns false when the entry alone exceeds `maxBytes` (it is not kept).
   */
  set(key: string, entry: CachedAgent): boolean {
    this.#remove(key);
    if (entry.bytes > this.maxBytes) return false;
    this.#entries.set(key, entry);
    this.#bytes += entry.bytes;
    while (this.#entries.size > this.maxEntries || this.#bytes > this.maxBytes) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#remove(oldest);
      this.#evictions += 1;
    }
    return true;
  }

  /** Drops one entry (a changed or deleted agent). @returns true when it was cached. */
  delete(key: string): boolean {
    const removed = this.#remove(key);
    if (removed) this.#invalidations += 1;
    return removed;
  }

  /** Drops every entry whose key starts with `prefix` (all agents of one folder). @returns how many. */
  deleteWithPrefix(prefix: string): number {
    let count = 0;
    for (const key of [...this.#entries.keys()]) {
      if (key.startsWith(prefix) && this.#remove(key)) count += 1;
    }
    this.#invalidations += count;
    return count;
  }

  /** Keys from least to most recently used (for tests and diagnostics). */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** Current size and counters. */
  stats(): AgentCacheStats {
    return {
      entries: this.#entries.size,
      bytes: this.#bytes,
      evictions: this.#evictions,
      invalidations: this.#invalidations,
    };
  }

  #remove(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
    return true;
  }
}

/** Bytes charged per object, array and string on top of their contents (V8 headers, map slots). */
const OVERHEAD_BYTES = 32;

/**
 * Estimated memory of one load result: the UTF-8 length of every string it holds (system prompt,
 * instructions, skill names, descriptions and paths, diagnostics, file paths, MCP settings) plus a fixed
 * overhead per object, array and string. The estimate tracks what grows with an agent's files (its prompt
 * text) rather than exact heap bytes, which V8 does not expose per object.
 */
export function estimateAgentBytes(result: LoadAgentResult, stamps: readonly string[] = []): number {
  return approximateBytes(result) + approximateBytes(stamps);
}

function approximateBytes(value: unknown): number {
  if (typeof value === "string") return OVERHEAD_BYTES + Buffer.byteLength(value);
  if (typeof value !== "object" || value === null) return 8;
  let total = OVERHEAD_BYTES;
  if (Array.isArray(value)) {
    for (const item of value) total += approximateBytes(item);
    return total;
  }
  for (const [key, item] of Object.entries(value)) total += key.length + approximateBytes(item);
  return total;
}
