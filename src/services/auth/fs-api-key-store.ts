import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { PlutoError } from "../../core/errors.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { KeyedLock } from "../fs/keyed-lock.js";
import type { ApiKeyRecord, ApiKeyStore } from "./api-key-store.js";

/** Options for {@link FsApiKeyStore}. */
export interface FsApiKeyStoreOptions {
  /** State folder; keys live in `<dataDir>/auth/api-keys.json` (mode 0600). */
  dataDir: string;
}

/**
 * API keys in one JSON file, replaced atomically on every change. Fine for the few hundred keys of a
 * simple-mode instance; the file is re-read on every lookup so `pluto keys revoke` takes effect in a
 * running server at once.
 */
export class FsApiKeyStore implements ApiKeyStore {
  readonly #file: string;
  readonly #lock = new KeyedLock();

  constructor(options: FsApiKeyStoreOptions) {
    this.#file = join(options.dataDir, "auth", "api-keys.json");
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    await this.#update((records) => {
      if (records.some((existing) => existing.id === record.id)) {
        throw new PlutoError("SESSION_CONFLICT", `An API key with id ${record.id} already exists.`);
      }
      records.push(record);
      return true;
    });
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    return (await this.#read()).find((record) => record.id === id);
  }

  async list(tenant?: string): Promise<ApiKeyRecord[]> {
    return (await this.#read()).filter((record) => tenant === undefined || record.tenant === tenant);
  }

  async revoke(id: string, at: string): Promise<boolean> {
    let found = false;
    await this.#update((records) => {
      const record = records.find((existing) => existing.id === id);
      if (record === undefined) return false;
      found = true;
      if (record.revokedAt !== undefined) return false;
      record.revokedAt = at;
      return true;
    });
    return found;
  }

  async #read(): Promise<ApiKeyRecord[]> {
    let text: string;
    try {
      text = await readFile(this.#file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as { keys?: ApiKeyRecord[] };
      return Array.isArray(parsed.keys) ? parsed.keys : [];
    } catch (error) {
      throw new PlutoError("CONFIG_INVALID", `${this.#file} is not valid JSON; restore it from a backup.`, {
        cause: error,
      });
    }
  }

  async #update(change: (records: ApiKeyRecord[]) => boolean): Promise<void> {
    await this.#lock.run(this.#file, async () => {
      const records = await this.#read();
      if (!change(records)) return;
      await writeFileAtomic(this.#file, `${JSON.stringify({ version: 1, keys: records }, null, 2)}\n`, {
        mode: 0o600,
      });
    });
  }
}
