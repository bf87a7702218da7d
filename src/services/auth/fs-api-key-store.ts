import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { PlutoError } from "../../core/errors.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { KeyedLock } from "../fs/keyed-lock.js";
import type { ApiKeyRecord, ApiKeyStore } from "./api-key-store.js";
import {
  checkLoginLinkLimit,
  DEFAULT_MAX_LOGIN_LINKS_PER_TENANT,
  insertTime,
  isLiveLoginLink,
  isPrunable,
} from "./login-link-limit.js";

/** The two file reads the store makes; `node:fs/promises` by default (tests pass a counting wrapper). */
export interface KeyFileReader {
  stat(path: string): Promise<{ ino: number | bigint; size: number | bigint; mtimeMs: number | bigint }>;
  readFile(path: string): Promise<string>;
}

/** Options for {@link FsApiKeyStore}. */
export interface FsApiKeyStoreOptions {
  /** State folder; keys live in `<dataDir>/auth/api-keys.json` (mode 0600). */
  dataDir: string;
  /** Live login links one tenant may hold. @default 100 */
  maxLoginLinksPerTenant?: number;
  /** How the file is read. @default node:fs/promises (`stat` with bigint times, `readFile` as UTF-8) */
  reader?: KeyFileReader;
}

/** The parsed file and the `stat` identity it was read at. */
interface CachedFile {
  identity: string;
  records: ApiKeyRecord[];
  byId: Map<string, ApiKeyRecord>;
}

const nodeReader: KeyFileReader = {
  stat: (path) => stat(path, { bigint: true }),
  readFile: (path) => readFile(path, "utf8"),
};

/**
 * API keys in one JSON file, replaced atomically on every change. A lookup costs one `stat`: the parsed
 * file is cached and read again only when its inode, size or modification time (nanoseconds) changed,
 * so `pluto keys revoke` (or any other process writing the file) takes effect at the next request.
 * Inserts drop used and expired login links and expired cookies and cap live login links per tenant
 * (`login-link-limit.ts`), so the file stays small whatever a tenant does.
 */
export class FsApiKeyStore implements ApiKeyStore {
  readonly #file: string;
  readonly #lock = new KeyedLock();
  readonly #maxLoginLinks: number;
  readonly #reader: KeyFileReader;
  #cache: CachedFile | undefined;

  constructor(options: FsApiKeyStoreOptions) {
    this.#file = join(options.dataDir, "auth", "api-keys.json");
    this.#maxLoginLinks = options.maxLoginLinksPerTenant ?? DEFAULT_MAX_LOGIN_LINKS_PER_TENANT;
    this.#reader = options.reader ?? nodeReader;
  }

  /** See {@link ApiKeyStore.insert}. @throws PlutoError `LIMIT_EXCEEDED` past the login-link limit. */
  async insert(record: ApiKeyRecord): Promise<void> {
    await this.#update((records) => {
      if (records.some((existing) => existing.id === record.id)) {
        throw new PlutoError("SESSION_CONFLICT", `An API key with id ${record.id} already exists.`);
      }
      const now = insertTime(record);
      const kept = records.filter((existing) => !isPrunable(existing, now));
      const live = kept.filter((existing) => isLiveLoginLink(existing, record.tenant, now)).length;
      checkLoginLinkLimit(record, live, this.#maxLoginLinks);
      kept.push({ ...record });
      return kept;
    });
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const record = (await this.#read()).byId.get(id);
    return record === undefined ? undefined : { ...record };
  }

  async list(tenant?: string): Promise<ApiKeyRecord[]> {
    return (await this.#read()).records
      .filter((record) => tenant === undefined || record.tenant === tenant)
      .map((record) => ({ ...record }));
  }

  async revoke(id: string, at: string): Promise<boolean> {
    let found = false;
    await this.#update((records) => {
      const record = records.find((existing) => existing.id === id);
      if (record === undefined) return undefined;
      found = true;
      if (record.revokedAt !== undefined) return undefined;
      record.revokedAt = at;
      return records;
    });
    return found;
  }

  /** The file's records, from the cache when the file did not change since it was parsed. */
  async #read(): Promise<CachedFile> {
    let identity: string;
    try {
      const stats = await this.#reader.stat(this.#file);
      identity = `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyFile();
      throw error;
    }
    if (this.#cache?.identity === identity) return this.#cache;
    let text: string;
    try {
      text = await this.#reader.readFile(this.#file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyFile();
      throw error;
    }
    let records: ApiKeyRecord[];
    try {
      const parsed = JSON.parse(text) as { keys?: ApiKeyRecord[] };
      records = Array.isArray(parsed.keys) ? parsed.keys : [];
    } catch (error) {
      throw new PlutoError("CONFIG_INVALID", `${this.#file} is not valid JSON; restore it from a backup.`, {
        cause: error,
      });
    }
    // The identity was taken before the read: a write in between makes the next lookup read again.
    this.#cache = { identity, records, byId: new Map(records.map((record) => [record.id, record])) };
    return this.#cache;
  }

  /** Applies `change` to a copy of the records under the lock; writes the file when it returns records. */
  async #update(change: (records: ApiKeyRecord[]) => ApiKeyRecord[] | undefined): Promise<void> {
    await this.#lock.run(this.#file, async () => {
      const current = await this.#read();
      const records = change(current.records.map((record) => ({ ...record })));
      if (records === undefined) return;
      await writeFileAtomic(this.#file, `${JSON.stringify({ version: 1, keys: records }, null, 2)}\n`, {
        mode: 0o600,
      });
      this.#cache = undefined;
    });
  }
}

function emptyFile(): CachedFile {
  return { identity: "", records: [], byId: new Map() };
}
