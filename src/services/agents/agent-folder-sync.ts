import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, readlink, rename, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { mapWithConcurrency } from "../../agents/agent-name-index.js";
import type { AgentFolderSource } from "../../agents/tenant-agents.js";
import { errorMessage, isPlutoError } from "../../core/errors.js";
import { assertSafeName, isSafeName } from "../../core/names.js";
import { KeyedLock } from "../fs/keyed-lock.js";
import type { AgentStore, StoredAgent } from "./agent-store.js";

/** Where sync problems go (the runtime's log). */
export type AgentFolderSyncLog = (level: "info" | "warn" | "error", message: string) => void;

/** Options for {@link AgentFolderSync}. */
export interface AgentFolderSyncOptions {
  /** The shared store the definitions come from. */
  store: AgentStore;
  /** Folder of the local copies, one sub-folder per tenant (the runtime uses `<data_dir>/agents-cache`). */
  cacheDir: string;
  /**
   * Milliseconds during which a checked agent (or a tenant's listing) is served from its copy without
   * asking the store again; so another worker's change shows here within about this long. @default 1000
   */
  checkIntervalMs?: number;
  /** Agents (and tenants) whose check times and versions are remembered; the oldest are forgotten. @default 100000 */
  maxTracked?: number;
  /** Copies written or removed at once while syncing a whole tenant. @default 8 */
  concurrency?: number;
  /** @default no-op */
  log?: AgentFolderSyncLog;
  /** Clock in milliseconds (tests). @default Date.now */
  now?: () => number;
}

/** Version of a local copy: 0 when there is none, -1 for a folder this class did not write. */
type LocalVersion = number;

/**
 * Keeps a local copy of every agent a worker uses, written from an {@link AgentStore}, so `TenantAgents`
 * and its catalogs keep loading folders (implements `AgentFolderSource`).
 *
 * Layout under `cacheDir`: `<tenant>/<name>` is a symbolic link to `<tenant>/.<name>@<version>/`, a folder
 * holding the agent's files as stored. A new version is written beside the old one, then the link is
 * replaced with one `rename`, so a reader sees the old files or the new ones; the version a copy holds is
 * in its link's target name. Names starting with `.` are never agent names, so versions and temporary
 * folders never appear in listings.
 *
 * `sync(tenant, name)` asks the store for the agent's version (one cheap query) at most once per
 * `checkIntervalMs`, and fetches the files only when the version differs from the copy's (versions never
 * repeat, so any difference means stale); an agent gone from the store loses its copy. `sync(tenant)` does
 * the same for every agent of the tenant from one listing of names and versions. Concurrent calls share
 * one check. When the store is unreachable, agents that have a copy keep being served from it (checked
 * again in the background) and a warning is logged once; an agent without a copy gets the store's error
 * (PlutoError `BACKEND_UNAVAILABLE`). Symbolic links are required (Linux, macOS).
 */
export class AgentFolderSync implements AgentFolderSource {
  readonly cacheDir: string;
  readonly #store: AgentStore;
  readonly #intervalMs: number;
  readonly #maxTracked: number;
  readonly #concurrency: number;
  readonly #log: AgentFolderSyncLog;
  readonly #now: () => number;
  /** `tenant/name` (or `tenant/` for a listing) → when it was last checked. */
  readonly #checked = new Map<string, number>();
  /** `tenant/name` → the version of its copy, as this process last wrote or read it. */
  readonly #versions = new Map<string, LocalVersion>();
  readonly #inFlight = new Map<string, Promise<readonly string[]>>();
  readonly #lock = new KeyedLock();
  #unavailable = false;

  constructor(options: AgentFolderSyncOptions) {
    this.cacheDir = path.resolve(options.cacheDir);
    this.#store = options.store;
    this.#intervalMs = Math.max(0, options.checkIntervalMs ?? 1000);
    this.#maxTracked = Math.max(1, options.maxTracked ?? 100_000);
    this.#concurrency = Math.max(1, options.concurrency ?? 8);
    this.#log = options.log ?? (() => {});
    this.#now = options.now ?? Date.now;
  }

  /** `<cacheDir>/<tenant>`. @throws PlutoError `INVALID_NAME` for an unsafe tenant. */
  directoryOf(tenant: string): string {
    return path.join(this.cacheDir, assertSafeName("tenant", tenant));
  }

  /**
   * Brings the copy of `name` (or of every agent) of `tenant` up to date; see the class comment.
   * @returns the names whose copies were written or removed.
   * @throws PlutoError `INVALID_NAME` for an unsafe tenant or name; the store's errors (such as
   *   `BACKEND_UNAVAILABLE`) when there is no copy to serve instead.
   */
  async sync(tenant: string, name?: string): Promise<readonly string[]> {
    assertSafeName("tenant", tenant);
    if (name !== undefined) assertSafeName("agent", name);
    const key = `${tenant}/${name ?? ""}`;
    const checked = this.#checked.get(key);
    if (checked !== undefined && this.#now() - checked < this.#intervalMs) return [];
    const pending = this.#inFlight.get(key);
    if (pending !== undefined) return pending;
    const running = (name === undefined ? this.#syncTenant(tenant) : this.#syncAgent(tenant, name)).finally(
      () => this.#inFlight.delete(key),
    );
    this.#inFlight.set(key, running);
    return running;
  }

  /** Forgets when `name` (or every agent of `tenant`, and its listing) was checked. Unsafe names are ignored. */
  expire(tenant: string, name?: string): void {
    if (!isSafeName(tenant)) return;
    if (name !== undefined) {
      if (isSafeName(name)) this.#checked.delete(`${tenant}/${name}`);
      this.#checked.delete(`${tenant}/`);
      return;
    }
    const prefix = `${tenant}/`;
    for (const key of [...this.#checked.keys()]) if (key.startsWith(prefix)) this.#checked.delete(key);
  }

  async #syncAgent(tenant: string, name: string): Promise<readonly string[]> {
    const key = `${tenant}/${name}`;
    const local = await this.#localVersion(tenant, name);
    const refresh = async (): Promise<readonly string[]> => {
      const version = await this.#ask(() => this.#store.version(tenant, name));
      this.#track(this.#checked, key, this.#now());
      if ((version ?? 0) === local) return [];
      return (await this.#apply(tenant, name, version)) ? [name] : [];
    };
    if (local === 0) return refresh();
    if (this.#unavailable) {
      // The store failed recently: serve the copy now and check in the background.
      this.#track(this.#checked, key, this.#now());
      void refresh().catch(() => {});
      return [];
    }
    try {
      return await refresh();
    } catch (error) {
      if (!isPlutoError(error, "BACKEND_UNAVAILABLE")) throw error;
      this.#track(this.#checked, key, this.#now());
      return [];
    }
  }

  async #syncTenant(tenant: string): Promise<readonly string[]> {
    const locals = await this.#localNames(tenant);
    let remote: Map<string, number>;
    try {
      remote = await this.#ask(() => this.#remoteVersions(tenant));
    } catch (error) {
      if (!isPlutoError(error, "BACKEND_UNAVAILABLE") || locals.length === 0) throw error;
      this.#track(this.#checked, `${tenant}/`, this.#now());
      return [];
    }
    const now = this.#now();
    this.#track(this.#checked, `${tenant}/`, now);
    const names = [...new Set([...locals, ...remote.keys()])];
    const changed = await mapWithConcurrency(names, this.#concurrency, async (name) => {
      this.#track(this.#checked, `${tenant}/${name}`, now);
      const version = remote.get(name);
      if ((version ?? 0) === (await this.#localVersion(tenant, name))) return undefined;
      return (await this.#apply(tenant, name, version)) ? name : undefined;
    });
    return changed.filter((name): name is string => name !== undefined);
  }

  /** Every agent of a tenant in the store with its version, read a page of 1000 at a time. */
  async #remoteVersions(tenant: string): Promise<Map<string, number>> {
    const versions = new Map<string, number>();
    for (let offset = 0; ; offset += 1000) {
      const page = await this.#store.list(tenant, { offset, limit: 1000 });
      for (const entry of page.agents) versions.set(entry.name, entry.version);
      if (page.agents.length < 1000 || offset + 1000 >= page.total) return versions;
    }
  }

  /** Runs a store call, remembering whether the store was reachable (and logging when that changes). */
  async #ask<T>(call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      if (this.#unavailable)
        this.#log("info", "Agent store reachable again; agent copies are being refreshed.");
      this.#unavailable = false;
      return result;
    } catch (error) {
      if (isPlutoError(error, "BACKEND_UNAVAILABLE") && !this.#unavailable) {
        this.#unavailable = true;
        this.#log(
          "warn",
          `Agent store unreachable; agents are served from their local copies in ${this.cacheDir} until it is back (${errorMessage(error)})`,
        );
      }
      throw error;
    }
  }

  /**
   * Makes the copy of one agent match `version` (undefined: remove it), fetching the files when needed.
   * Serialised per agent; re-checks the copy inside the lock, so concurrent callers write once.
   * @returns true when the copy changed.
   */
  #apply(tenant: string, name: string, version: number | undefined): Promise<boolean> {
    const key = `${tenant}/${name}`;
    return this.#lock.run(key, async () => {
      const local = await this.#localVersion(tenant, name);
      if ((version ?? 0) === local) return false;
      const stored = version === undefined ? undefined : await this.#ask(() => this.#store.get(tenant, name));
      if (stored === undefined) {
        if (local === 0) return false;
        await this.#remove(tenant, name);
        this.#track(this.#versions, key, 0);
        return true;
      }
      await this.#write(tenant, name, stored);
      this.#track(this.#versions, key, stored.version);
      return true;
    });
  }

  /** Writes `.<name>@<version>/`, then points the `<name>` link at it, then removes the old version. */
  async #write(tenant: string, name: string, stored: StoredAgent): Promise<void> {
    const directory = this.directoryOf(tenant);
    const target = `.${name}@${stored.version}`;
    const temporary = path.join(directory, `${target}.tmp-${randomBytes(6).toString("hex")}`);
    try {
      await mkdir(temporary, { recursive: true });
      for (const [file, text] of Object.entries(stored.files)) {
        const segments = file.split("/");
        if (!segments.every((segment) => isSafeName(segment))) {
          this.#log(
            "warn",
            `Agent "${name}" of tenant "${tenant}": skipped stored file ${JSON.stringify(file)} (unsafe path).`,
          );
          continue;
        }
        const destination = path.join(temporary, ...segments);
        await mkdir(path.dirname(destination), { recursive: true });
        await writeFile(destination, text, { flag: "wx" });
      }
      await rm(path.join(directory, target), { recursive: true, force: true });
      await rename(temporary, path.join(directory, target));
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
    const live = path.join(directory, name);
    const previous = await readlink(live).catch(() => undefined);
    const link = path.join(directory, `.${name}.link-${randomBytes(6).toString("hex")}`);
    await symlink(target, link, "dir");
    try {
      await rename(link, live);
    } catch {
      // A real folder (not written by this class) is in the way: remove it and try once more.
      await rm(live, { recursive: true, force: true });
      await rename(link, live).catch(async (error: unknown) => {
        await rm(link, { force: true });
        throw error;
      });
    }
    if (previous !== undefined && previous !== target && isVersionTarget(name, previous)) {
      await rm(path.join(directory, previous), { recursive: true, force: true });
    }
  }

  /** Removes the `<name>` link (the agent disappears at once), then the folder it pointed to. */
  async #remove(tenant: string, name: string): Promise<void> {
    const directory = this.directoryOf(tenant);
    const live = path.join(directory, name);
    const previous = await readlink(live).catch(() => undefined);
    await rm(live, { recursive: true, force: true });
    if (previous !== undefined && isVersionTarget(name, previous)) {
      await rm(path.join(directory, previous), { recursive: true, force: true });
    }
  }

  /** The version of a copy: from memory, else from its link; 0 when absent, -1 for a foreign folder. */
  async #localVersion(tenant: string, name: string): Promise<LocalVersion> {
    const key = `${tenant}/${name}`;
    const known = this.#versions.get(key);
    if (known !== undefined) return known;
    const live = path.join(this.directoryOf(tenant), name);
    const info = await lstat(live).catch(() => undefined);
    let version: LocalVersion = 0;
    if (info?.isSymbolicLink()) {
      const target = await readlink(live).catch(() => "");
      version = isVersionTarget(name, target) ? Number(target.slice(name.length + 2)) : -1;
    } else if (info !== undefined) {
      version = -1;
    }
    this.#track(this.#versions, key, version);
    return version;
  }

  /** Names of the copies in a tenant's folder (links and folders with safe names). */
  async #localNames(tenant: string): Promise<string[]> {
    const entries = await readdir(this.directoryOf(tenant), { withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => isSafeName(entry.name) && (entry.isSymbolicLink() || entry.isDirectory()))
      .map((entry) => entry.name);
  }

  /** Sets `key` as the most recent entry of a bounded map, dropping the oldest beyond `maxTracked`. */
  #track<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > this.#maxTracked) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }
}

/** True when `target` is the name of a version folder of agent `name` (`.<name>@<digits>`). */
function isVersionTarget(name: string, target: string): boolean {
  return target.startsWith(`.${name}@`) && /^[1-9][0-9]{0,15}$/.test(target.slice(name.length + 2));
}
