import { randomBytes } from "node:crypto";
import type { ApiKeyRecord, ApiKeyRole, ApiKeyStore } from "../../services/auth/api-key-store.js";
import { hashToken, verifyApiKey } from "../../services/auth/api-keys.js";
import { KeyedLock } from "../../services/fs/keyed-lock.js";

/** How long a login link stays usable, in ms (10 minutes). */
export const LOGIN_LINK_TTL_MS = 10 * 60 * 1000;
/** How long a browser session cookie lives, in ms (12 hours). */
export const SESSION_COOKIE_TTL_MS = 12 * 60 * 60 * 1000;

/** Options for {@link mintToken}. */
export interface MintTokenOptions {
  tenant: string;
  role: ApiKeyRole;
  kind: "login" | "cookie";
  /** A label for people, stored with the record. */
  name: string;
  /** Lifetime in ms from `now`. */
  ttlMs: number;
  /** @default new Date() */
  now?: Date;
}

/**
 * Creates and stores a short-lived token of `kind` (`login`: one-time link, `cookie`: browser session)
 * with an expiry. The token has the API key format (`pluto_<12 hex id>_<43 base64url chars>`, 256
 * random bits; see `services/auth/api-keys.ts`) so `verifyApiKey` checks it; only its SHA-256 is stored.
 * @returns the stored record and the token, which exists in clear only here.
 * @throws whatever the store's `insert` throws.
 */
export async function mintToken(
  store: ApiKeyStore,
  options: MintTokenOptions,
): Promise<{ record: ApiKeyRecord; token: string }> {
  const now = options.now ?? new Date();
  const id = randomBytes(6).toString("hex");
  const token = `pluto_${id}_${randomBytes(32).toString("base64url")}`;
  const record: ApiKeyRecord = {
    id,
    tenant: options.tenant,
    role: options.role,
    name: options.name,
    hash: hashToken(token),
    createdAt: now.toISOString(),
    kind: options.kind,
    expiresAt: new Date(now.getTime() + options.ttlMs).toISOString(),
  };
  await store.insert(record);
  return { record, token };
}

/**
 * Exchanges one-time login tokens for session cookie tokens. Each login token works once: the exchange
 * revokes it before minting the cookie, under an in-process lock per token id, so two concurrent
 * exchanges of the same link in one process yield one session.
 */
export class LoginExchange {
  readonly #store: ApiKeyStore;
  readonly #lock = new KeyedLock();
  readonly #now: () => Date;

  /** @param options.now clock, @default () => new Date() */
  constructor(options: { apiKeys: ApiKeyStore; now?: () => Date }) {
    this.#store = options.apiKeys;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Verifies `token` as a live, unexpired `login` record, revokes it, and mints a `cookie` record for
   * the same tenant and role that expires after {@link SESSION_COOKIE_TTL_MS}.
   * @returns the cookie token and its record, or `undefined` for an unknown, malformed, used, expired
   *   or non-login token (the caller cannot tell which, on purpose).
   */
  async exchange(token: string): Promise<{ token: string; record: ApiKeyRecord } | undefined> {
    const found = await verifyApiKey(this.#store, token);
    if (found === undefined || found.kind !== "login") return undefined;
    return this.#lock.run(found.id, async () => {
      const now = this.#now();
      const current = await this.#store.get(found.id);
      if (
        current === undefined ||
        current.revokedAt !== undefined ||
        current.expiresAt === undefined ||
        Date.parse(current.expiresAt) <= now.getTime()
      ) {
        return undefined;
      }
      await this.#store.revoke(current.id, now.toISOString());
      return mintToken(this.#store, {
        tenant: current.tenant,
        role: current.role,
        kind: "cookie",
        name: `browser session (login link ${current.id})`,
        ttlMs: SESSION_COOKIE_TTL_MS,
        now,
      });
    });
  }
}
