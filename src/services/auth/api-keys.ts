import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { PlutoError } from "../../core/errors.js";
import { assertSafeName } from "../../core/names.js";
import type { ApiKeyRecord, ApiKeyRole, ApiKeyStore } from "./api-key-store.js";

/** Token shape: `pluto_<id>_<secret>`, id 12 hex chars, secret 43 base64url chars (256 bits). */
const TOKEN = /^pluto_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/** SHA-256 of a token, hex. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Creates a key for `tenant` with `role` and stores only its hash.
 * @returns the record and the token — the only time the token exists in clear.
 * @throws PlutoError `INVALID_NAME` for an unsafe tenant; `BAD_REQUEST` for a bad role or name.
 */
export async function createApiKey(
  store: ApiKeyStore,
  options: { tenant: string; role: ApiKeyRole; name?: string; now?: Date },
): Promise<{ record: ApiKeyRecord; token: string }> {
  assertSafeName("tenant", options.tenant);
  if (options.role !== "admin" && options.role !== "member") {
    throw new PlutoError(
      "BAD_REQUEST",
      `Unknown role ${JSON.stringify(options.role)}: use "admin" or "member".`,
    );
  }
  const name = (options.name ?? "").trim();
  if (name.length > 200) throw new PlutoError("BAD_REQUEST", "A key name has at most 200 characters.");
  const id = randomBytes(6).toString("hex");
  const token = `pluto_${id}_${randomBytes(32).toString("base64url")}`;
  const record: ApiKeyRecord = {
    id,
    tenant: options.tenant,
    role: options.role,
    name,
    hash: hashToken(token),
    createdAt: (options.now ?? new Date()).toISOString(),
  };
  await store.insert(record);
  return { record, token };
}

/**
 * The live (not revoked) key record matching `token`, or `undefined`. The hash comparison is
 * constant-time; a malformed token is rejected before any lookup.
 */
export async function verifyApiKey(store: ApiKeyStore, token: string): Promise<ApiKeyRecord | undefined> {
  const match = TOKEN.exec(token);
  if (match === null) return undefined;
  const record = await store.get(match[1]!);
  if (record === undefined || record.revokedAt !== undefined) return undefined;
  const given = Buffer.from(hashToken(token), "hex");
  const expected = Buffer.from(record.hash, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected) ? record : undefined;
}
