import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Diagnostic } from "../core/diagnostic.js";
import { PlutoError } from "../core/errors.js";
import { assertSafeName, isSafeName } from "../core/names.js";
import type { AgentDefinition } from "./agent-definition.js";
import { AGENT_FILE_NAME, agentInvalidError, type LoadAgentResult, loadAgent } from "./load-agent.js";

/** Options for {@link AgentCatalog}. */
export interface AgentCatalogOptions {
  /** Absolute folder holding one folder per agent (`<agentsDir>/<name>/agent.yaml`). */
  agentsDir: string;
  /** Provider names declared in pluto.yaml (built-in names are always known). */
  providerNames: readonly string[];
  /** Loaded agents kept in memory (least recently used are dropped first). @default 1000 */
  maxCached?: number;
}

/** One row of {@link AgentCatalog.list}. */
export interface AgentSummary {
  name: string;
  /** `metadata.description`, or "" when absent or unreadable. */
  description: string;
  /** True when the agent loads without errors. */
  valid: boolean;
  /** Errors and warnings from loading the agent (empty for a clean agent). */
  diagnostics: Diagnostic[];
}

interface CacheEntry {
  result: LoadAgentResult;
  /** `mtime:size:ctime` of every file the load looked at ("missing" for absent ones). */
  stamps: string[];
}

/**
 * The agents in one folder, loaded lazily and cached. Every `get` re-checks the files the cached load
 * used (agent.yaml, the Markdown files, skill folders and SKILL.md files) with `stat` and reloads the agent
 * when any of them changed, appeared or disappeared. Names are checked with `assertSafeName` before they
 * reach the filesystem.
 */
export class AgentCatalog {
  readonly agentsDir: string;
  readonly #providerNames: readonly string[];
  readonly #maxCached: number;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #loading = new Map<string, Promise<CacheEntry>>();

  constructor(options: AgentCatalogOptions) {
    this.agentsDir = path.resolve(options.agentsDir);
    this.#providerNames = [...options.providerNames];
    this.#maxCached = Math.max(1, options.maxCached ?? 1000);
  }

  /**
   * Every folder under `agentsDir` with a safe name and an `agent.yaml`, sorted by name, loaded (or taken
   * from the cache) to report validity. A missing `agentsDir` gives an empty list.
   */
  async list(): Promise<AgentSummary[]> {
    const names = await this.#agentNames();
    const summaries: AgentSummary[] = [];
    for (const name of names) {
      const { result } = await this.#entry(name);
      summaries.push({
        name,
        description: result.agent?.description ?? "",
        valid: result.agent !== undefined,
        diagnostics: result.diagnostics,
      });
    }
    return summaries;
  }

  /**
   * The named agent, freshly validated (reloaded when its files changed since the last load).
   * @throws PlutoError `INVALID_NAME` for a name that is not a safe name (such as `../x`).
   * @throws PlutoError `AGENT_NOT_FOUND` when `<agentsDir>/<name>/agent.yaml` does not exist;
   *   `details.available` lists the agents that do (at most 100).
   * @throws PlutoError `AGENT_INVALID` with `details.diagnostics` when the agent has errors.
   */
  async get(name: string): Promise<AgentDefinition> {
    assertSafeName("agent", name);
    const agentFile = path.join(this.agentsDir, name, AGENT_FILE_NAME);
    const info = await stat(agentFile).catch(() => undefined);
    if (info === undefined || !info.isFile()) {
      this.#cache.delete(name);
      const available = (await this.#agentNames()).slice(0, 100);
      throw new PlutoError(
        "AGENT_NOT_FOUND",
        `Agent "${name}" not found in ${this.agentsDir}. ${
          available.length === 0
            ? `There are no agents yet; create one with \`pluto init ${name}\`.`
            : `Available agents: ${available.join(", ")}. Create it with \`pluto init ${name}\` or use one of those.`
        }`,
        { details: { agent: name, available } },
      );
    }
    const { result } = await this.#entry(name);
    if (result.agent === undefined) throw agentInvalidError(name, result.diagnostics);
    return result.agent;
  }

  /** Drops cached agents (one by name, or all), so the next `get` reloads from disk. */
  invalidate(name?: string): void {
    if (name === undefined) this.#cache.clear();
    else this.#cache.delete(name);
  }

  async #agentNames(): Promise<string[]> {
    let entries: Dirent[];
    try {
      entries = await readdir(this.agentsDir, { withFileTypes: true });
    } catch {
      return [];
    }
    const names: string[] = [];
    for (const entry of entries) {
      if (!isSafeName(entry.name) || !(entry.isDirectory() || entry.isSymbolicLink())) continue;
      const info = await stat(path.join(this.agentsDir, entry.name, AGENT_FILE_NAME)).catch(() => undefined);
      if (info?.isFile()) names.push(entry.name);
    }
    return names.sort();
  }

  async #entry(name: string): Promise<CacheEntry> {
    const cached = this.#cache.get(name);
    if (cached !== undefined && sameStamps(cached.stamps, await stampsOf(cached.result.files))) {
      this.#cache.delete(name);
      this.#cache.set(name, cached);
      return cached;
    }
    const pending = this.#loading.get(name);
    if (pending !== undefined) return pending;
    const loading = this.#load(name).finally(() => this.#loading.delete(name));
    this.#loading.set(name, loading);
    return loading;
  }

  async #load(name: string): Promise<CacheEntry> {
    const started = Date.now();
    const result = await loadAgent(path.join(this.agentsDir, name), { providerNames: this.#providerNames });
    const stamps = await stampsOf(result.files);
    // A file modified within a second of the load may have changed while it was being read (and mtime
    // granularity can be coarse), so such a result is served once and reloaded on the next get.
    const recent = stamps.some(
      (stamp) => stamp !== "missing" && Number(stamp.split(":")[0]) >= started - 1000,
    );
    const entry: CacheEntry = { result, stamps: recent ? ["volatile"] : stamps };
    this.#cache.delete(name);
    this.#cache.set(name, entry);
    while (this.#cache.size > this.#maxCached) {
      const oldest = this.#cache.keys().next().value;
      if (oldest === undefined) break;
      this.#cache.delete(oldest);
    }
    return entry;
  }
}

async function stampsOf(files: readonly string[]): Promise<string[]> {
  return Promise.all(
    files.map(async (file) => {
      const info = await stat(file).catch(() => undefined);
      return info === undefined ? "missing" : `${info.mtimeMs}:${info.size}:${info.ctimeMs}:${info.ino}`;
    }),
  );
}

function sameStamps(left: readonly string[], right: readonly string[]): boolean {
  return left.length === right.length && left.every((stamp, index) => stamp === right[index]);
}
