import { createHash } from "node:crypto";
import { PlutoError } from "../../core/errors.js";
import { assertSafeName, assertSafePath } from "../../core/names.js";
import type { Scope } from "../../core/scope.js";
import type { ArtifactInfo, PutArtifactOptions } from "./artifact-store.js";

/** Input checks and metadata building shared by every {@link ArtifactStore} backend. */

/** Default media type of an artifact stored without one. */
export const DEFAULT_MEDIA_TYPE = "application/octet-stream";

const MEDIA_TYPE = /^[A-Za-z0-9][\w!#$&^.+-]{0,126}\/[A-Za-z0-9][\w!#$&^.+-]{0,126}(\s*;[^\r\n\0]{0,256})?$/;

/** Validates a scope. @returns `{ tenant, agent }`. @throws PlutoError `INVALID_NAME`. */
export function checkScope(scope: Scope): Scope {
  return { tenant: assertSafeName("tenant", scope?.tenant), agent: assertSafeName("agent", scope?.agent) };
}

/** Validates an artifact name (`assertSafePath`). @throws PlutoError `INVALID_NAME`. */
export function checkArtifactName(name: string): string {
  return assertSafePath("artifact", name);
}

/**
 * Validates a put's body and options.
 * @returns the body as bytes (strings are UTF-8 encoded; byte arrays are copied), the media type
 * (default {@link DEFAULT_MEDIA_TYPE}) and a copy of the metadata.
 * @throws PlutoError `BAD_REQUEST` for a body that is neither string nor Uint8Array, a malformed media
 * type, or metadata values that are not strings.
 */
export function checkPut(
  body: Uint8Array | string,
  options: PutArtifactOptions | undefined,
): { bytes: Uint8Array; mediaType: string; metadata: Record<string, string> } {
  let bytes: Uint8Array;
  if (typeof body === "string") bytes = new TextEncoder().encode(body);
  else if (body instanceof Uint8Array) bytes = new Uint8Array(body);
  else throw new PlutoError("BAD_REQUEST", "An artifact body must be a string or a Uint8Array.");
  const mediaType = options?.mediaType ?? DEFAULT_MEDIA_TYPE;
  if (typeof mediaType !== "string" || !MEDIA_TYPE.test(mediaType)) {
    throw new PlutoError(
      "BAD_REQUEST",
      `Invalid media type ${JSON.stringify(mediaType)}: use type/subtype, e.g. text/markdown or application/json.`,
    );
  }
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(options?.metadata ?? {})) {
    if (typeof value !== "string") {
      throw new PlutoError("BAD_REQUEST", `Artifact metadata value for "${key}" must be a string.`);
    }
    metadata[key] = value;
  }
  return { bytes, mediaType, metadata };
}

/** Hex SHA-256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Builds the {@link ArtifactInfo} of a body written now. */
export function buildInfo(
  name: string,
  bytes: Uint8Array,
  mediaType: string,
  metadata: Record<string, string>,
): ArtifactInfo {
  return {
    name,
    size: bytes.byteLength,
    mediaType,
    sha256: sha256Hex(bytes),
    createdAt: new Date().toISOString(),
    metadata,
  };
}

/**
 * The error for a name that would make an artifact both a file and a folder (`a` and `a/b`).
 * @returns PlutoError `INVALID_NAME`.
 */
export function nameClash(name: string, existing: string): PlutoError {
  return new PlutoError(
    "INVALID_NAME",
    `Artifact name "${name}" clashes with existing artifact "${existing}": one name cannot be both a file and a folder. Delete "${existing}" or choose another name.`,
    { details: { kind: "artifact", name, existing } },
  );
}

/** A prefix filter for `list()`. @throws PlutoError `BAD_REQUEST` unless a string (may be empty). */
export function checkPrefix(prefix: string | undefined): string {
  if (prefix === undefined) return "";
  if (typeof prefix !== "string" || prefix.includes("\0")) {
    throw new PlutoError("BAD_REQUEST", "An artifact list prefix must be a string without NUL.");
  }
  return prefix;
}
