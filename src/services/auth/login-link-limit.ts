import { PlutoError } from "../../core/errors.js";
import type { ApiKeyRecord } from "./api-key-store.js";

/**
 * The rules every {@link ApiKeyStore} backend applies on `insert`, so that no tenant can make the key
 * store (and with it every request's authentication) grow without bound: at most
 * `maxLoginLinksPerTenant` live login links per tenant, and records that can never authenticate again
 * (used or expired login links, expired browser-session cookies) are removed on every insert.
 * "Now" is the inserted record's `createdAt`, so the rules are the same on every backend and worker.
 */

/** Live login links one tenant may hold when `services.keys.max_login_links_per_tenant` is not set. */
export const DEFAULT_MAX_LOGIN_LINKS_PER_TENANT = 100;

/**
 * True for a record that can never authenticate again and is not an API key (revoked API keys stay,
 * so `pluto keys list --all` still shows them): a used (revoked) or expired login link, or an expired
 * cookie. @param now milliseconds since the epoch.
 */
export function isPrunable(record: ApiKeyRecord, now: number): boolean {
  if (record.kind !== "login" && record.kind !== "cookie") return false;
  const expired = record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now;
  return expired || (record.kind === "login" && record.revokedAt !== undefined);
}

/** True for an unused, unexpired login link of `tenant`. @param now milliseconds since the epoch. */
export function isLiveLoginLink(record: ApiKeyRecord, tenant: string, now: number): boolean {
  return (
    record.kind === "login" &&
    record.tenant === tenant &&
    record.revokedAt === undefined &&
    (record.expiresAt === undefined || Date.parse(record.expiresAt) > now)
  );
}

/** The reference time of an insert: the new record's `createdAt` in ms (wall clock when unreadable). */
export function insertTime(record: ApiKeyRecord): number {
  const time = Date.parse(record.createdAt);
  return Number.isFinite(time) ? time : Date.now();
}

/**
 * Refuses a new login link when its tenant already holds `max` live ones.
 * @param live the number of live login links of the record's tenant, without the new one.
 * @throws PlutoError `LIMIT_EXCEEDED` (HTTP 429; details `{ tenant, limit }`).
 */
export function checkLoginLinkLimit(record: ApiKeyRecord, live: number, max: number): void {
  if (record.kind !== "login" || live < max) return;
  throw new PlutoError(
    "LIMIT_EXCEEDED",
    `Tenant "${record.tenant}" already has ${max} unused login links. Use or let one expire (they last 10 minutes), or raise services.keys.max_login_links_per_tenant in pluto.yaml.`,
    { details: { tenant: record.tenant, limit: max } },
  );
}
