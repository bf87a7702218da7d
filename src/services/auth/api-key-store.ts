/** Roles of an API key: `admin` manages its tenant's agents and keys; `member` runs agents. */
export type ApiKeyRole = "admin" | "member";

/** What is stored about a key. The secret itself is never stored, only its SHA-256. */
export interface ApiKeyRecord {
  /** Public id, part of the token (`pluto_<id>_<secret>`); safe name. */
  id: string;
  tenant: string;
  role: ApiKeyRole;
  /** A label for people ("ci", "alice's laptop"). */
  name: string;
  /** Hex SHA-256 of the whole token. */
  hash: string;
  /** ISO-8601 creation time. */
  createdAt: string;
  /** ISO-8601 revocation time; a revoked key never authenticates again. */
  revokedAt?: string;
  /**
   * `api` (default): a bearer API key; `login`: a one-time login link token, exchanged once for a
   * `cookie` token, which authenticates browser requests through the HttpOnly session cookie.
   */
  kind?: "api" | "login" | "cookie";
  /** ISO-8601 expiry; absent for API keys, which live until revoked. */
  expiresAt?: string;
}

/**
 * Tenant-scoped API keys (issue "standard APIs and tenants", item 7), stored hashed. Tokens are
 * 256-bit random secrets, so a fast hash is enough (as with GitHub tokens); comparisons are constant-time.
 */
export interface ApiKeyStore {
  /** Stores a new key record. @throws PlutoError `SESSION_CONFLICT` when the id exists. */
  insert(record: ApiKeyRecord): Promise<void>;
  /** The record with this id (revoked ones included), or `undefined`. */
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /** Every key, or one tenant's, oldest first. */
  list(tenant?: string): Promise<ApiKeyRecord[]>;
  /** Marks a key revoked; @returns false when no such key exists. */
  revoke(id: string, at: string): Promise<boolean>;
  /** Releases resources. */
  close?(): Promise<void>;
}
