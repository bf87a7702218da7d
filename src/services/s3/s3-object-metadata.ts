import { DEFAULT_MEDIA_TYPE, sha256Hex } from "../artifact/artifact-input.js";
import type { ArtifactInfo } from "../artifact/artifact-store.js";

/**
 * How an artifact's {@link ArtifactInfo} is kept as S3 object metadata.
 *
 * The media type is the object's `Content-Type`; the rest are user metadata headers
 * (`x-amz-meta-<key>`; S3 lower-cases the keys and only carries ASCII values, so Pluto's own keys
 * are lower-case and the caller's metadata is one URI-encoded JSON value):
 * - `pluto-sha256`: hex SHA-256 of the body;
 * - `pluto-created-at`: ISO-8601 time of the write;
 * - `pluto-metadata`: `encodeURIComponent(JSON.stringify(metadata))`, when everything fits in
 *   {@link USER_METADATA_LIMIT_BYTES};
 * - `pluto-metadata-sidecar`: otherwise, the hex SHA-256 of the JSON metadata, which is stored as the
 *   sidecar object `S3Keys.sidecar` (content-addressed, so a reader never pairs a body with another
 *   version's metadata).
 * An object without `pluto-sha256` (uploaded by another tool, or through a presigned PUT) is served
 * with metadata derived from the object: `Content-Type`, `LastModified`, `{}`, and the SHA-256 of
 * its body computed on read.
 */

/** S3's limit on user metadata: the UTF-8 bytes of every `x-amz-meta-` key and value, summed (2 KB). */
export const USER_METADATA_LIMIT_BYTES = 2048;

const SHA256 = "pluto-sha256";
const CREATED_AT = "pluto-created-at";
const METADATA = "pluto-metadata";
const SIDECAR = "pluto-metadata-sidecar";
const HEX64 = /^[0-9a-f]{64}$/;

/** What a put sends: the S3 `Metadata` map, and the sidecar JSON when the metadata did not fit. */
export interface EncodedMetadata {
  headers: Record<string, string>;
  /** The JSON to store at `S3Keys.sidecar(..., sha256)`, with its hex SHA-256; absent when inline. */
  sidecar?: { json: string; sha256: string };
}

/** Encodes `info` (minus name, size and media type) as S3 user metadata, spilling to a sidecar above the 2 KB limit. */
export function encodeMetadata(info: ArtifactInfo): EncodedMetadata {
  const headers: Record<string, string> = { [SHA256]: info.sha256, [CREATED_AT]: info.createdAt };
  const inline = encodeURIComponent(JSON.stringify(info.metadata));
  const size = [...Object.entries(headers), [METADATA, inline]].reduce(
    (total, [key, value]) => total + Buffer.byteLength(`${key}${value}`),
    0,
  );
  if (size <= USER_METADATA_LIMIT_BYTES) return { headers: { ...headers, [METADATA]: inline } };
  const json = JSON.stringify(info.metadata);
  const sha256 = sha256Hex(new TextEncoder().encode(json));
  return { headers: { ...headers, [SIDECAR]: sha256 }, sidecar: { json, sha256 } };
}

/** The Pluto fields read back from an object's headers. */
export interface DecodedMetadata {
  /** Absent for an object Pluto did not write. */
  sha256?: string;
  createdAt?: string;
  /** The caller's metadata, when inline (or for a foreign object, `{}`). */
  metadata?: Record<string, string>;
  /** Set when the metadata lives in a sidecar with this hex SHA-256. */
  sidecarSha256?: string;
}

/** Parses JSON metadata; anything but an object of strings yields `undefined`. */
export function parseMetadataJson(json: string): Record<string, string> | undefined {
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value !== "string") return undefined;
      metadata[key] = value;
    }
    return metadata;
  } catch {
    return undefined;
  }
}

/** Reads the Pluto fields from an object's `Metadata` (keys as S3 returns them, lower-case). */
export function decodeMetadata(headers: Record<string, string> | undefined): DecodedMetadata {
  const sha256 = headers?.[SHA256];
  if (sha256 === undefined || !HEX64.test(sha256)) return { metadata: {} };
  const createdAt = headers?.[CREATED_AT];
  const decoded: DecodedMetadata = { sha256 };
  if (createdAt !== undefined && !Number.isNaN(Date.parse(createdAt))) decoded.createdAt = createdAt;
  const sidecar = headers?.[SIDECAR];
  if (sidecar !== undefined && HEX64.test(sidecar)) {
    decoded.sidecarSha256 = sidecar;
    return decoded;
  }
  const inline = headers?.[METADATA];
  let metadata: Record<string, string> | undefined;
  try {
    metadata = inline === undefined ? undefined : parseMetadataJson(decodeURIComponent(inline));
  } catch {
    metadata = undefined;
  }
  decoded.metadata = metadata ?? {};
  return decoded;
}

/** The object fields an {@link ArtifactInfo} is built from (a HeadObject or GetObject output). */
export interface ObjectHead {
  ContentType?: string | undefined;
  ContentLength?: number | undefined;
  LastModified?: Date | undefined;
}

/**
 * Builds an artifact's info from its object's head, its decoded Pluto fields, the caller's metadata
 * (inline or from the sidecar) and its SHA-256 (from the header, or computed from the body).
 */
export function infoFromObject(
  name: string,
  head: ObjectHead,
  fields: { sha256: string; createdAt?: string | undefined; metadata: Record<string, string> },
): ArtifactInfo {
  return {
    name,
    size: head.ContentLength ?? 0,
    mediaType: head.ContentType ?? DEFAULT_MEDIA_TYPE,
    sha256: fields.sha256,
    createdAt: fields.createdAt ?? (head.LastModified ?? new Date(0)).toISOString(),
    metadata: fields.metadata,
  };
}
