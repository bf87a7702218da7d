import { PlutoError } from "../../core/errors.js";
import type { ApiKeyRecord, ApiKeyStore } from "./api-key-store.js";

/** API keys in memory: the test backend and the `memory` choice. */
export class InMemoryApiKeyStore implements ApiKeyStore {
  readonly #records = new Map<string, ApiKeyRecord>();

  async insert(record: ApiKeyRecord): Promise<void> {
    if (this.#records.has(record.id)) {
      throw new PlutoError("SESSION_CONFLICT", `An API key with id ${record.id} already exists.`);
    }
    this.#records.set(record.id, { ...record });
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const record = this.#records.get(id);
    return record === undefined ? undefined : { ...record };
  }

  async list(tenant?: string): Promise<ApiKeyRecord[]> {
    return [...this.#records.values()]
      .filter((record) => tenant === undefined || record.tenant === tenant)
      .map((record) => ({ ...record }));
  }

  async revoke(id: string, at: string): Promise<boolean> {
    const record = this.#records.get(id);
    if (record === undefined) return false;
    record.revokedAt ??= at;
    return true;
  }
}
