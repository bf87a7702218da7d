import { PlutoError } from "../../core/errors.js";
import type { ApiKeyRecord, ApiKeyStore } from "./api-key-store.js";
import {
  checkLoginLinkLimit,
  DEFAULT_MAX_LOGIN_LINKS_PER_TENANT,
  insertTime,
  isLiveLoginLink,
  isPrunable,
} from "./login-link-limit.js";

/** Options for {@link InMemoryApiKeyStore}. */
export interface InMemoryApiKeyStoreOptions {
  /** Live login links one tenant may hold. @default 100 */
  maxLoginLinksPerTenant?: number;
}

/**
 * API keys in memory: the test backend and the `memory` choice. Inserts prune used and expired login
 * links and cap live ones per tenant (`login-link-limit.ts`).
 */
export class InMemoryApiKeyStore implements ApiKeyStore {
  readonly #records = new Map<string, ApiKeyRecord>();
  readonly #maxLoginLinks: number;

  constructor(options: InMemoryApiKeyStoreOptions = {}) {
    this.#maxLoginLinks = options.maxLoginLinksPerTenant ?? DEFAULT_MAX_LOGIN_LINKS_PER_TENANT;
  }

  /** See {@link ApiKeyStore.insert}. @throws PlutoError `LIMIT_EXCEEDED` past the login-link limit. */
  async insert(record: ApiKeyRecord): Promise<void> {
    if (this.#records.has(record.id)) {
      throw new PlutoError("SESSION_CONFLICT", `An API key with id ${record.id} already exists.`);
    }
    const now = insertTime(record);
    let live = 0;
    for (const [id, existing] of this.#records) {
      if (isPrunable(existing, now)) this.#records.delete(id);
      else if (isLiveLoginLink(existing, record.tenant, now)) live += 1;
    }
    checkLoginLinkLimit(record, live, this.#maxLoginLinks);
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
